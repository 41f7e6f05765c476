"""Configuration: the typed model of a stack, its namespaces, and every setting read from the environment."""
