"""Explanations in the request log: coefficients for linear models, perturbation against the
training reference for any other (the shipped model is gradient-boosted trees)."""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from mlops.errors import BadInputError
from mlops.serving.explain import (
    REFERENCE_KEY,
    LinearExplainer,
    ReferenceExplainer,
    explainer_for,
    reference_values,
)
from tests.serving.conftest import training_frame


def trees(path, reference: bool):
    import mlflow.sklearn
    from mlflow.models import infer_signature

    frame = training_frame()
    numeric = frame[["income", "age"]]
    model = HistGradientBoostingClassifier(max_iter=20).fit(numeric, (frame.income > 50))
    mlflow.sklearn.save_model(
        model, str(path), signature=infer_signature(numeric, model.predict_proba(numeric)),
        pip_requirements=["scikit-learn"], serialization_format="cloudpickle",
        pyfunc_predict_fn="predict_proba",
        metadata={REFERENCE_KEY: reference_values(numeric)} if reference else None,
    )  # fmt: skip
    return mlflow.pyfunc.load_model(str(path)), frame


def test_reference_values_are_medians_and_modes():
    frame = pd.DataFrame({"n": [1.0, 2.0, 10.0], "i": [1, 2, 4], "c": ["a", "b", "b"]})
    assert reference_values(frame) == {"n": 2.0, "i": 2, "c": "b"}


def test_reference_explanations_of_a_tree_model(tmp_path):
    pyfunc, frame = trees(tmp_path / "m", reference=True)
    explainer = explainer_for("auto", pyfunc)
    assert isinstance(explainer, ReferenceExplainer)
    rows = frame[["income", "age"]].iloc[:4].reset_index(drop=True)
    rows.loc[0, "income"] = 90.0  # far above the reference: income moves the score most
    explained = explainer(rows)
    scores = pyfunc.get_raw_model().predict_proba(rows)[:, 1]
    assert [set(e) for e in explained] == [{"income", "age", "_score"}] * 4
    assert [e["_score"] for e in explained] == pytest.approx(list(scores))
    at_reference = rows.iloc[[0]].assign(income=explainer.reference["income"])
    moved = scores[0] - pyfunc.get_raw_model().predict_proba(at_reference)[0, 1]
    assert explained[0]["income"] == pytest.approx(moved)
    assert abs(explained[0]["income"]) > abs(explained[0]["age"])


def test_auto_is_linear_for_linear_models_and_none_without_a_reference(model_dir, tmp_path):
    assert isinstance(
        explainer_for("auto", mlflow.pyfunc.load_model(str(model_dir))), LinearExplainer
    )
    pyfunc, _ = trees(tmp_path / "m", reference=False)
    assert explainer_for("auto", pyfunc) is None
    assert explainer_for("none", pyfunc) is None
    with pytest.raises(BadInputError, match="explain: reference needs the training reference"):
        explainer_for("reference", pyfunc)
    with pytest.raises(BadInputError, match="explain: linear needs a linear model"):
        explainer_for("linear", pyfunc)
    with pytest.raises(BadInputError, match="allowed: none, linear, reference, auto"):
        explainer_for("shap", pyfunc)
