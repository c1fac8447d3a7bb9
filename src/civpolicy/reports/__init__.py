"""What the headquarters publishes from the facts: the monthly bulletin's sampling plan."""
