"""Preflight: what `pulumi up` would install, rendered with the real Helm and kustomize and
checked before anything reaches a cluster (`mlops preflight`)."""
