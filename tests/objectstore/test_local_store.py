"""The local store starts again on fresh ports when another process took one of the ports it
was given before it could bind it (the demo starts four stores and its services side by side)."""

import socket
from collections.abc import Iterator

from mlops.config.object_store import STORE_GRANTS
from mlops.demo.processes import Supervisor, free_port
from mlops.objectstore import local
from mlops.objectstore.local import PORT_TAKEN, ready, start_store


def test_a_store_whose_port_was_taken_starts_again_with_the_same_keys(weed, tmp_path, monkeypatch):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        handed: Iterator[int] = iter([taken])
        monkeypatch.setattr(local, "free_port", lambda: next(handed, None) or free_port())
        supervisor = Supervisor(tmp_path / "processes.json")
        try:
            starting = start_store(
                supervisor, "store", weed, tmp_path / "store", ("mlflow-artifacts",),
                {"mlflow": STORE_GRANTS["mlflow"]},
            )  # fmt: skip
            assert starting.store.ports.s3 == taken
            store = ready(supervisor, starting)
            assert [s.name for s in supervisor.services] == ["store", "store"]  # both recorded
        finally:
            supervisor.stop_all()
    assert store.ports.s3 != taken and store.keys == starting.store.keys
    log = (tmp_path / "store" / "weed.log").read_text()
    assert any(message in log for message in PORT_TAKEN)
