"""Every evidence and registry name the gates read, in one place.

Producers (the training pipeline, CI, the serving load test, `mlops promote --finalize`) write
these names; gate files refer to them. The training pipeline's names are taken from
`pipelines/credit_risk/steps.py` and `handover.py` (what it records today); the load-test names
from `mlops/serving/loadtest.py`. Measurement names are audit-log entry names; handover fields
are MLflow model version tags (`HANDOVER_TAG_PREFIX` + field, or the pipeline's own tag).
"""

# Analytics-prod evaluation, as the training pipeline records it (subject model+version).
EVAL_ROC_AUC = "test.roc_auc"
EVAL_BASELINE_ROC_AUC = "baseline.roc_auc"
EVAL_GAIN_OVER_BASELINE = "baseline.gain.roc_auc"
FAIRNESS_DEMOGRAPHIC_PARITY = "fairness.sex.demographic_parity_difference"
FAIRNESS_EQUALIZED_ODDS = "fairness.sex.equalized_odds_difference"
DATA_VALIDATION = "data.validation"  # kind verdict, value {"passed": bool, "findings": [...]}
# kind verdict, value {"passed": bool, "rules": [...]}: the training pipeline's own gates, in the
# environment (mode) it trained in: `prod` is the full data and the hyper-parameter search
ANALYTICS_VERDICT = "gates.analytics"
DATA_INGESTED = "data.rows"  # artifacts {"data": digest of the ingested (validated) data}
HANDOVER_DOCUMENT = "handover.artifact"  # kind document, artifacts {"model": ..., "data": ...}

# Serving-int tests (`mlops loadtest`, equivalence test of the exported model).
LOADTEST_P95_LATENCY_MS = "loadtest.p95_latency_ms"
LOADTEST_ERROR_RATE = "loadtest.error_rate"
LOADTEST_THROUGHPUT_RPS = "loadtest.throughput_rps"
EQUIVALENCE_MAX_ABS_DIFF = "equivalence.max_abs_diff"

# Live serving, per version and environment, under the names the evidence collector of issue 16
# (not on main yet) records; a rollout step compares the canary's with the incumbent's.
LIVE_ERROR_RATE = "serving.error_rate"
LIVE_P95_LATENCY_MS = "serving.p95_latency_ms"
LIVE_DRIFTED_FEATURES = "drift.breached_features"

# Code lifecycle (CI on pull requests and release tags); subject: commit=<sha>.
CI_UNIT_TESTS_PASSED = "ci.unit_tests.passed"
CI_PIPELINE_INT_PASSED = "ci.pipeline_int.passed"

# Written by `mlops promote --finalize` once the release is merged and the alias moved.
PROMOTION_FINALIZED = "promotion.finalized"
# Written by `mlops promote --transfer-to`: the model copied, digest-verified, from the registry's
# store into the target environment's (source and target URI, digest, the identities used).
PROMOTION_TRANSFER = "promotion.transfer"

# Artifact digest names in an entry's `artifacts`: the evaluated model, the validated data.
ARTIFACT_MODEL = "model"
ARTIFACT_DATA = "data"

# MLflow aliases: the pipeline compares with `champion`; finalize to prod moves it.
CHAMPION_ALIAS = "champion"

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
# The handover's documents a promotion copies beside the model (mlops.promotion.transfer), so a
# release's references stay readable in its environment; a descriptor may name such a copy.
HANDOVER_DOCUMENTS = ("parameters_reference", "environment_spec", "model_card")
# Handover fields the training pipeline already tags under its own names (`mlops.*`).
PIPELINE_TAGS = {
    "code_commit": "mlops.code.commit",
    "data_reference": "mlops.data.uri",
    "data_digest": "mlops.data.sha256",
    "environment_digest": "mlops.env.requirements_sha256",
}


def handover_value(tags: dict[str, str], field: str) -> tuple[str | None, str]:
    """A handover field from a version's tags: `handover.<field>`, else the pipeline's tag."""
    explicit = HANDOVER_TAG_PREFIX + field
    if tags.get(explicit):
        return tags[explicit], explicit
    fallback = PIPELINE_TAGS.get(field)
    if fallback and tags.get(fallback):
        return tags[fallback], fallback
    return None, explicit


def alias_for(environment: str) -> str:
    """The MLflow alias that marks the version serving in an environment (`serving-prod`)."""
    return f"serving-{environment}"
