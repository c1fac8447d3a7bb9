"""The validated model compiled to rules and plans, run by an engine (native or durable) in a workspace."""
