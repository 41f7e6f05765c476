"""`mlops gates check` as a library call: pick the gate, evaluate, record, write the reports."""

from __future__ import annotations

from pathlib import Path

from mlops.gates import report as reports
from mlops.gates.context import Context, Target
from mlops.gates.descriptor_check import consistency, read_descriptor
from mlops.gates.evaluate import GateResult, evaluate_gate, record
from mlops.gates.spec import gate_for

REPORT_DIR = ".mlops/gate-reports"


def check(
    target: Target, ctx: Context, source: str, out_dir: Path | None, descriptor: Path | None = None
) -> GateResult:
    """Evaluate the gate admitting `target`, record the verdict, write `<out_dir>/<stem>.{json,md}`
    (skipped when out_dir is None). With `descriptor`, also re-check what it claims."""
    gate_path, gate = gate_for(ctx.root, target.kind, target.environment)
    extra = None
    if descriptor is not None:
        _, release = read_descriptor(ctx.root, descriptor)
        extra = consistency(release, gate.gate, target, ctx)
    result = evaluate_gate(gate, gate_path, target, ctx, extra)
    entry = record(result, ctx, source)
    if out_dir is not None:
        reports.write(result.report, entry.seq, out_dir)
    return result


def check_descriptor(path: Path, ctx: Context, source: str, out_dir: Path | None) -> GateResult:
    """CI: re-evaluate the gate for the release a descriptor claims, independent of its author."""
    target, _ = read_descriptor(ctx.root, path)
    return check(target, ctx, source, out_dir, descriptor=path)
