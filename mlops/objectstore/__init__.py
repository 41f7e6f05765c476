"""The platform's S3 store as a program: how SeaweedFS is started, in the cluster and locally."""
