"""What `civpolicy check` adds to a well-formed model: cross-references, strata, lint, the values a field can take."""
