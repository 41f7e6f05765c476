"""Pulumi ComponentResources of the platform, one per module (type tokens `mlops:<module>:<Type>`)."""
