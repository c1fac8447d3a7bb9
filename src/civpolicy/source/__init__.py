"""Policy files to a validated model: strict YAML, the reader, the model, the expression language, citations."""
