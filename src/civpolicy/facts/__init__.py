"""Facts files to validated facts; periods; the JSON Schemas of facts and decisions."""
