"""Kubernetes manifests: schema validation of everything the project generates."""
