"""Every evidence and registry name the gates read, in one place.

Producers (the training pipeline, CI, the serving load test, `mlops promote --finalize`) must
write exactly these names; gate files refer to them. Measurement names are audit-log entry
names; `HANDOVER_TAG_PREFIX` + field is an MLflow model version tag.
"""

# Analytics-prod evaluation (training pipeline, `pipelines/`).
EVAL_ROC_AUC = "eval.roc_auc"
EVAL_BASELINE_ROC_AUC = "eval.baseline_roc_auc"
EVAL_GAIN_OVER_BASELINE = "eval.gain_over_baseline"
FAIRNESS_DEMOGRAPHIC_PARITY = "fairness.demographic_parity_difference"
FAIRNESS_EQUALIZED_ODDS = "fairness.equalized_odds_difference"
DATA_VALIDATION_PASSED = "data_validation.passed"

# Serving-int tests (`mlops loadtest`, equivalence test of the exported model).
LOADTEST_P95_LATENCY_MS = "loadtest.p95_latency_ms"
LOADTEST_ERROR_RATE = "loadtest.error_rate"
LOADTEST_THROUGHPUT_RPS = "loadtest.throughput_rps"
EQUIVALENCE_MAX_ABS_DIFF = "equivalence.max_abs_diff"

# Code lifecycle (CI on pull requests and release tags); subject: commit=<sha>.
CI_UNIT_TESTS_PASSED = "ci.unit_tests.passed"
CI_PIPELINE_INT_PASSED = "ci.pipeline_int.passed"

# Written by `mlops promote --finalize` once the release is merged and the alias moved.
PROMOTION_FINALIZED = "promotion.finalized"

# Artifact digest names in an entry's `artifacts`: the evaluated model, the validated data.
ARTIFACT_MODEL = "model"
ARTIFACT_DATA = "data"

# The handover artifact (Zwiesler 2.3) as MLflow model version tags `handover.<field>`.
HANDOVER_TAG_PREFIX = "handover."
HANDOVER_FIELDS = (
    "storage_uri",
    "model_digest",
    "code_repository",
    "code_commit",
    "data_reference",
    "data_digest",
    "parameters_reference",
    "environment_spec",
    "environment_digest",
    "model_card",
)
DIGEST_FIELDS = ("model_digest", "data_digest", "environment_digest")


def alias_for(environment: str) -> str:
    """The MLflow alias that marks the version serving in an environment (`serving-prod`)."""
    return f"serving-{environment}"
