"""`mlops demo` end to end: the steps in order, progress on the console, and every process it
started stopped on the way out, whether it finished, failed or was interrupted."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from mlops.demo import monitor, steps, summary, workspace
from mlops.demo.processes import Interrupted, Supervisor, raise_if_interrupted, signals_raise
from mlops.errors import BadInputError, CheckFailedError


def _plan(platform: steps.Platform) -> list[tuple[str, str, Callable[[], Any]]]:
    """(step, what it does, how) in order."""
    return [
        ("clone", "git clone of this repository into the work directory",
         lambda: steps.scratch_clone(platform)),
        ("services", "MLflow tracking server and Audit API on SQLite, S3 stores (SeaweedFS): the "
         "registry's and one per serving environment",
         lambda: steps.start_services(platform)),
        ("train", "training pipeline (prod mode: full data, search), evidence to the Audit API",
         lambda: steps.train(platform)),
        ("promote-dev", "gate registry-to-serving-dev, model copied to dev's store, "
         "pull-request branch, merge",
         lambda: steps.promote(platform, "dev")),
        ("promote-int", "gate registry-to-serving-int, model copied to int's store, "
         "pull-request branch, merge",
         lambda: steps.promote(platform, "int")),
        ("serve-int", "KServe predictor of the int release", lambda: steps.serve(platform, "int")),
        ("test-int", "equivalence and load test of the idle colour in int, recorded as evidence",
         lambda: _test_int(platform)),
        ("switch-int", "gate blue-green-step-int, switch branch, merge: int takes the release",
         lambda: steps.advance(platform, "int")),
        ("promote-prod", "gate serving-int-to-serving-prod, model copied to prod's store, "
         "pull-request branch, merge",
         lambda: steps.promote(platform, "prod")),
        ("serve-prod", "KServe predictor of the prod release", lambda: steps.serve(platform, "prod")),
        ("prometheus", "Prometheus scraping the prod predictor",
         lambda: monitor.start_prometheus(platform)),
        ("loadtest-prod", "short load test of the prod predictor",
         lambda: steps.load_test(platform, "prod", steps.PROD_LOAD_S)),
        ("collect-prod", "evidence collector on live traffic: Prometheus, request-log drift, "
         "the live verdict", lambda: monitor.monitor(platform)),
        ("evidence", "audit report, quality record and certificate from the Audit API",
         lambda: steps.collect_evidence(platform)),
        ("drift-prod", "a drift injected: the collector revokes the certificate and requests "
         "retraining", lambda: monitor.drift(platform)),
        ("witness", "the evidence log's newest signed checkpoint committed in the clone",
         lambda: steps.witness(platform)),
    ]  # fmt: skip


def _test_int(platform: steps.Platform) -> None:
    steps.equivalence_test(platform, "int")
    steps.load_test(platform, "int", steps.INT_LOAD_S)
    steps.stop_predictor(platform)


@contextmanager
def _step(console: Console, index: int, total: int, name: str, what: str,
          timings: dict[str, float], supervisor: Supervisor) -> Iterator[None]:  # fmt: skip
    supervisor.step = name
    supervisor.save()
    console.print(f"[bold][{index}/{total}] {name}[/]: {escape(what)}")
    started = time.monotonic()
    status = console.status(f"{name}...") if console.is_terminal else None
    if status is not None:
        status.start()
    try:
        yield
    finally:
        if status is not None:
            status.stop()
        timings[name] = time.monotonic() - started
    console.print(f"    [green]done[/] {name} ({timings[name]:.1f} s)")


def run_demo(
    root: Path, console: Console, hold: bool = False, on_ready: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Run every step; with `hold`, keep the platform running after the summary until SIGINT
    or SIGTERM. Raises CheckFailedError naming the step that failed; `Interrupted` on a signal.
    Every started process is stopped before this returns or raises."""
    from mlops.verify.local import verify_local

    with signals_raise():
        ws = workspace.prepare(root)
        supervisor = Supervisor(ws.state_file)
        supervisor.save()
        platform = steps.Platform(ws, supervisor)
        timings: dict[str, float] = {}
        plan = _plan(platform)
        total = len(plan) + 1
        try:
            for index, (name, what, action) in enumerate(plan, start=1):
                raise_if_interrupted()
                with _step(console, index, total, name, what, timings, supervisor):
                    try:
                        action()
                    except (CheckFailedError, BadInputError) as error:
                        # a refusal inside a step is that step failing, not bad input to the demo
                        raise CheckFailedError(f"step {name}: {error}") from None
            raise_if_interrupted()
            with _step(console, total, total, "verify", "mlops verify --target local",
                       timings, supervisor):  # fmt: skip
                report = verify_local(ws.root)
            verification = report.counts()
            result = summary.build(platform, timings, verification)
            summary.write(result, ws.root / "summary.json")
            if not report.ok:
                failed = "; ".join(f"{c.name}: {c.detail}" for c in report.failures())
                raise CheckFailedError(f"step verify: {failed}")
            if hold:
                summary.render(result, console)
                console.print(
                    f"platform running; `source {ws.root / 'env.sh'}` in another shell; "
                    "Ctrl-C stops it"
                )
                supervisor.step = "hold"
                supervisor.save()
                if on_ready:
                    on_ready()
                with contextlib.suppress(Interrupted):
                    while True:
                        time.sleep(1)
                        raise_if_interrupted()
            return result
        finally:
            supervisor.step = "stopping"
            supervisor.stop_all()
            supervisor.step = "stopped"
            supervisor.save()
