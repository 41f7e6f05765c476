"""`mlops plan`: the offline plan of a stack (placeholder until the plan runner lands)."""
