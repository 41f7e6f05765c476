"""Model promotion between serving environments by Git branch and pull request, gated by the
audit gates; rollback restores the previous release; finalize moves the MLflow alias."""
