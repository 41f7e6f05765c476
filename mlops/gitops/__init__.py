"""The GitOps tree Argo CD syncs: model release descriptors, their rendered manifests and the
Argo CD bootstrap objects (AppProject and root ApplicationSet) of every environment."""
