"""What the headquarters publishes from the facts: the bulletin's sampling plan, the league tables, the bulletin."""
