"""The candidate model (gradient-boosted trees) and the simple linear baseline it must beat.

Both are whole scikit-learn pipelines from raw inputs to a default probability, so the
comparison is complexity against benefit on exactly the same inputs.
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from pipelines.credit_risk.config import Candidate
from pipelines.credit_risk.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    CreditFeatures,
)


def _encode(scale: bool) -> ColumnTransformer:
    numeric = StandardScaler() if scale else "passthrough"
    return ColumnTransformer(
        [
            ("numeric", numeric, list(NUMERIC_FEATURES)),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(CATEGORICAL_FEATURES),
            ),
        ],
        verbose_feature_names_out=False,
    )


def candidate(params: Candidate, seed: int) -> Pipeline:
    """Gradient-boosted trees with the given hyper-parameters (no early stopping: reproducible)."""
    return Pipeline(
        [
            ("features", CreditFeatures()),
            ("encode", _encode(scale=False)),
            (
                "classifier",
                HistGradientBoostingClassifier(
                    learning_rate=params.learning_rate,
                    max_iter=params.max_iter,
                    max_depth=params.max_depth,
                    min_samples_leaf=params.min_samples_leaf,
                    # sklearn is untyped; the parameter's 'auto' default reads as str
                    early_stopping=False,  # pyright: ignore[reportArgumentType]
                    random_state=seed,
                ),
            ),
        ]
    )


def baseline() -> Pipeline:
    """Logistic regression on the same features, standardised."""
    return Pipeline(
        [
            ("features", CreditFeatures()),
            ("encode", _encode(scale=True)),
            ("classifier", LogisticRegression(max_iter=1000)),
        ]
    )
