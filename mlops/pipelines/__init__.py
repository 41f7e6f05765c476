"""Library code the training pipelines share: evidence recording, provenance, MLflow set-up.

Importing this package turns MLflow's usage telemetry off (MLflow decides at import time, so this
must run before `import mlflow`; `pipelines/__init__.py` imports it first) and stops MLflow from
running `uv export`: a pipeline run contacts nothing but the tracking URI and audit URL it was
given, and the handover carries its own environment specification.
"""

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_UV_AUTO_DETECT", "false")
