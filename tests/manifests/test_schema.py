"""The validator every generated Kubernetes object goes through."""

import pytest

from mlops.manifests.schema import CRD_DIR, CRD_FILES, crd_file_schemas, validation_errors

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "models"}}


def test_crd_index_names_every_vendored_file_and_what_it_holds():
    assert set(CRD_FILES.values()) == {p.name for p in CRD_DIR.glob("*.yaml")}
    for (group, kind), file_name in CRD_FILES.items():
        held = {(api_version.split("/")[0], k) for api_version, k in crd_file_schemas(file_name)}
        assert held == {(group, kind)}, file_name


def test_core_kind_valid_and_unknown_field_rejected():
    assert validation_errors(NAMESPACE) == []
    errors = validation_errors({**NAMESPACE, "spex": {}})
    assert errors == [
        "Namespace models: <root>: Additional properties are not allowed ('spex' was unexpected)"
    ]


def test_custom_kind_rejects_unknown_fields_deep_inside():
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "p", "namespace": "argocd"},
        "spec": {
            "sourceRepos": ["https://example.com/r.git"],
            "destinations": [{"server": "s", "namespace": "n", "nmae": "x"}],
        },
    }
    (error,) = validation_errors(project)
    assert "spec.destinations.0" in error and "'nmae' was unexpected" in error


@pytest.mark.parametrize(
    "manifest",
    [
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}},
        {
            "apiVersion": "serving.kserve.io/v9",
            "kind": "InferenceService",
            "metadata": {"name": "w"},
        },
    ],
)
def test_a_kind_without_a_vendored_schema_is_an_error(manifest):
    (error,) = validation_errors(manifest)
    assert "no schema for" in error


def test_partial_objects_may_omit_required_fields_but_not_invent_them():
    patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"replicas": 2},
    }
    assert validation_errors(patch, partial=True) == []
    assert validation_errors(patch) != []
    assert validation_errors({**patch, "spec": {"replicaz": 2}}, partial=True) != []
