"""CI's independent re-check of a release descriptor: does what the author wrote agree with the
registry and the audit log? A forged descriptor (a version without evidence, a digest that is
not the registered one, a storage URI that is neither the registered one nor a recorded copy of
it, a gate report id that names no passing verdict) fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mlops.errors import BadInputError
from mlops.gates import evidence_names as names
from mlops.gates.context import Context, Target
from mlops.gates.rules import Check, cite
from mlops.gitops.descriptor import ModelRelease, load_release
from mlops.governance.quality import VERDICT_PREFIX, verdict_of

COPIED_FIELDS = ("storage_uri", *names.HANDOVER_DOCUMENTS)  # a promotion may copy these
_PATH = re.compile(r"(?:^|/)gitops/envs/(?P<env>[a-z]+)/models/(?P<model>[^/]+)\.yaml$")
_REPORT_ID = re.compile(r"^verdict-(?P<gate>[a-z0-9-]+)-(?P<seq>\d+)$")


def gate_report_id(gate: str, seq: int) -> str:
    """The descriptor's `gate_report` value naming the verdict entry that admitted it."""
    return f"verdict-{gate}-{seq:04d}"


def read_descriptor(root: Path, path: Path) -> tuple[Target, ModelRelease]:
    """The target a descriptor claims: model, registry version and environment (from its path)."""
    absolute = path if path.is_absolute() else root / path
    match = _PATH.search(absolute.resolve().as_posix())
    if not match:
        raise BadInputError(
            f"{path}: not a release descriptor; allowed: gitops/envs/<env>/models/<model>.yaml"
        )
    release = load_release(absolute)
    target = Target(
        kind="model", environment=match["env"], model=release.model,
        version=str(release.registry_version),
    )  # fmt: skip
    return target, release


def consistency(release: ModelRelease, gate: str, target: Target, ctx: Context) -> list[Check]:
    """Descriptor fields against the registry's handover tags and the recorded verdict."""
    registry = ctx.need_registry()
    version = registry.model_version(release.registry_model, str(release.registry_version))
    tags = version.tags if version else {}
    where = f"MLflow model version {release.registry_model}/{release.registry_version}"
    checks = []
    for field in names.HANDOVER_FIELDS:
        claimed = getattr(release, field)
        registered, tag = names.handover_value(tags, field)
        if field in COPIED_FIELDS and registered is not None and claimed != registered:
            digest, _ = names.handover_value(tags, "model_digest")
            checks.append(copy_check(field, claimed, registered, digest, target, ctx))
            continue
        checks.append(
            Check(
                rule="descriptor", kind="descriptor_consistency", name=f"descriptor.{field}",
                op="==", required=registered or "registered value", actual=claimed,
                passed=registered is not None and claimed == registered,
                evidence=f"{where} tag {tag}",
                detail="" if claimed == registered else
                f"the descriptor's {field} is not the registered one",
            )
        )  # fmt: skip
    checks.append(report_check(release.gate_report, gate, target, ctx))
    return checks


def copy_check(
    field: str, claimed: str, registered: str, digest: str | None, target: Target, ctx: Context
) -> Check:
    """A descriptor may name, instead of the registry's URI, the copy a promotion made into the
    environment's store: only one the audit log records, made from the registered URI (the
    model with the registered digest verified, or a handover document; see
    mlops.promotion.transfer)."""
    entry = next(
        (
            e
            for e in ctx.entries(target.subject)
            if e.name == names.PROMOTION_TRANSFER
            and isinstance(e.value, dict)
            and _records_copy(e.value, field, claimed, registered, digest)
        ),
        None,
    )
    return Check(
        rule="descriptor", kind="descriptor_consistency", name=f"descriptor.{field}", op="==",
        required=f"{registered} or a recorded, verified copy of it", actual=claimed,
        passed=entry is not None, evidence=cite(entry, f"{names.PROMOTION_TRANSFER} {claimed}"),
        evidence_seq=entry.seq if entry else None,
        detail="" if entry else f"the descriptor's {field} is neither the registered one nor "
        f"a copy the audit log records for {target.label()}",
    )  # fmt: skip


def _records_copy(
    value: dict[str, Any], field: str, claimed: str, registered: str, digest: str | None
) -> bool:
    """Whether a transfer entry records `claimed` as the copy of `registered` for `field`."""
    if field == "storage_uri":
        return (
            value.get("target_uri") == claimed
            and value.get("source_uri") == registered
            and digest is not None
            and value.get("digest") == digest
        )
    documents = value.get("documents")
    document = documents.get(field) if isinstance(documents, dict) else None
    return (
        isinstance(document, dict)
        and document.get("target_uri") == claimed
        and document.get("source_uri") == registered
    )


def report_check(report_id: str, gate: str, target: Target, ctx: Context) -> Check:
    match = _REPORT_ID.match(report_id)
    entry = None
    if match and match["gate"] == gate:
        seq = int(match["seq"])
        entry = next((e for e in ctx.entries(target.subject) if e.seq == seq), None)
    verdict = verdict_of(entry) if entry else None
    ok = bool(verdict and verdict.passed and entry and entry.name == VERDICT_PREFIX + gate)
    return Check(
        rule="descriptor", kind="descriptor_consistency", name="descriptor.gate_report", op="==",
        required=f"a passing {VERDICT_PREFIX}{gate} verdict for {target.label()}",
        actual=report_id, passed=ok, evidence=cite(entry, f"verdict {report_id}"),
        evidence_seq=entry.seq if entry else None,
        detail="" if ok else "gate_report names no passing verdict of this gate for this release",
    )  # fmt: skip
