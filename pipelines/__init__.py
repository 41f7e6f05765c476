"""KFP v2 training pipelines. Each use case is a package whose step functions run locally as plain
Python and, wrapped as KFP components, on a cluster."""

import mlops.pipelines  # noqa: F401  (MLflow offline defaults, before anything imports mlflow)
