"""Results of a verification: one line per thing checked, and the whole report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class Result:
    """One observed fact: `check` is the suite's check, `name` what it was about."""

    check: str
    name: str
    status: Status
    detail: str = ""


@dataclass
class Report:
    target: str
    results: list[Result] = field(default_factory=list)
    skipped_reason: str = ""

    def extend(self, results: Iterable[Result]) -> None:
        self.results.extend(results)

    @property
    def ok(self) -> bool:
        return not self.failures()

    def failures(self) -> list[Result]:
        return [r for r in self.results if r.status == "failed"]

    def counts(self) -> dict[str, int]:
        return {
            s: sum(r.status == s for r in self.results) for s in ("passed", "failed", "skipped")
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "ok": self.ok,
            "skipped_reason": self.skipped_reason or None,
            **self.counts(),
            "results": [asdict(r) for r in self.results],
        }


def passed(check: str, name: str, detail: str = "") -> Result:
    return Result(check, name, "passed", detail)


def failed(check: str, name: str, detail: str) -> Result:
    return Result(check, name, "failed", detail)


def skipped(check: str, name: str, detail: str) -> Result:
    return Result(check, name, "skipped", detail)


def expect(check: str, name: str, condition: bool, detail: str) -> Result:
    """Passed or failed on `condition`; the detail says what was observed either way."""
    return Result(check, name, "passed" if condition else "failed", detail)
