"""Custom checkov checks (CKV_MLOPS_<n>) for what Argo CD syncs: the rendered manifests under
gitops/. Run with the isolated checkov: `.venvs/checkov/bin/checkov -d gitops --framework
kubernetes --skip-download --external-checks-dir policies/checkov`."""
