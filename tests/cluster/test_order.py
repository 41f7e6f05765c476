"""The apply order follows the dependencies the program declares (captured by the offline
plan): a NetworkPolicy comes after its Namespace, Namespaces lead their wave."""

from mlops.cluster.order import FIRST_IN_WAVE, manifest, waves


def test_networkpolicies_follow_their_namespace(plans) -> None:
    ordered = waves(plans["prod"].resources)
    level = {}
    for index, wave in enumerate(ordered):
        for resource in wave:
            obj = manifest(resource)
            level[(obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])] = index
    policies = [manifest(r) for wave in ordered for r in wave if r.type.endswith(":NetworkPolicy")]
    assert policies
    for policy in policies:
        namespace = policy["metadata"]["namespace"]
        name = policy["metadata"]["name"]
        assert level[("NetworkPolicy", namespace, name)] > level[("Namespace", None, namespace)]
    for wave in ordered:
        kinds = [manifest(r)["kind"] in FIRST_IN_WAVE for r in wave]
        assert kinds == sorted(kinds, reverse=True)
