"""The stack's `edge` section is validated at the edge of the program: a route left
unauthenticated in int or prod, a route without access rules, an unknown role or machine
identity: exit 2 with one message naming the route, and nothing planned."""

from pathlib import Path

import yaml

from mlops.config.loader import CONFIG_KEY
from tests.conftest import STACKS_DIR


def write_stack(folder: Path, stack: str, mutate) -> Path:
    document = yaml.safe_load((STACKS_DIR / f"Pulumi.{stack}.yaml").read_text())
    mutate(document["config"][CONFIG_KEY])
    (folder / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document))
    return folder


def plan(mlops, folder: Path, stack: str) -> tuple[int, str, str]:
    return mlops("plan", "--stack", stack, "--stacks-dir", str(folder), "--json")


def test_a_prod_route_left_unauthenticated_exits_2_naming_the_route(mlops, tmp_path):
    folder = write_stack(
        tmp_path, "prod", lambda c: c["edge"]["routes"].update(grafana={"authentication": "none"})
    )
    code, out, err = plan(mlops, folder, "prod")
    assert code == 2
    assert out == ""
    assert "edge.routes.grafana" in err and "'grafana' unauthenticated" in err
    assert "Traceback" not in err


def test_an_int_route_left_unauthenticated_is_refused_too_and_dev_may(mlops, tmp_path):
    def open_inference(config: dict) -> None:
        config["edge"]["routes"]["inference"] = {"authentication": "none"}

    code, _, err = plan(mlops, write_stack(tmp_path, "int", open_inference), "int")
    assert code == 2 and "edge.routes.inference" in err
    code, out, _ = plan(mlops, write_stack(tmp_path, "dev", open_inference), "dev")
    assert code == 0
    assert '"kind": "SecurityPolicy"' in out and '"name": "inference"' in out


def test_an_exposed_route_without_access_rules_is_refused(mlops, tmp_path):
    folder = write_stack(tmp_path, "prod", lambda c: c["edge"]["routes"].pop("mlflow"))
    code, _, err = plan(mlops, folder, "prod")
    assert code == 2
    assert "no entry for the exposed route 'mlflow'" in err


def test_principals_must_exist(mlops, tmp_path):
    def unknown_machine(config: dict) -> None:
        config["edge"]["routes"]["mlflow"]["write"] = {"machines": ["jenkins"]}

    code, _, err = plan(mlops, write_stack(tmp_path, "prod", unknown_machine), "prod")
    assert code == 2
    assert "edge.routes.mlflow.write.machines: unknown machine identity 'jenkins'" in err

    def ungrouped_role(config: dict) -> None:
        config["edge"]["routes"]["mlflow"]["read"] = {"roles": ["data-scientist"]}

    code, _, err = plan(mlops, write_stack(tmp_path, "prod", ungrouped_role), "prod")
    assert code == 2
    assert "no group configured for role 'data-scientist'" in err


def test_an_open_route_cannot_name_principals(mlops, tmp_path):
    def contradiction(config: dict) -> None:
        config["edge"]["routes"]["grafana"] = {
            "authentication": "none",
            "read": {"roles": ["auditor"]},
        }

    code, _, err = plan(mlops, write_stack(tmp_path, "dev", contradiction), "dev")
    assert code == 2 and "edge.routes.grafana" in err


def test_machine_identity_keys_are_explicit_or_the_clusters(mlops, tmp_path):
    def no_keys(config: dict) -> None:
        del config["edge"]["machines"]["ci"]["jwks_uri"]

    code, _, err = plan(mlops, write_stack(tmp_path, "prod", no_keys), "prod")
    assert code == 2 and "edge.machines.ci" in err and "jwks_uri" in err
