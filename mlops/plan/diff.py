"""Environment parity at a glance: what one stack declares that another does not, or differently."""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from mlops.plan.runner import Plan

Key = tuple[str, str]


@dataclass(frozen=True)
class PlanDiff:
    left: str
    right: str
    only_left: list[Key]
    only_right: list[Key]
    changed: dict[Key, list[str]]  # resource -> top-level input keys whose values differ
    counts: dict[str, tuple[int, int]]  # type -> (count left, count right), where they differ

    def as_json(self) -> dict[str, Any]:
        def named(keys: list[Key]) -> list[dict[str, str]]:
            return [{"type": type_, "name": name} for type_, name in keys]

        return {
            "stacks": [self.left, self.right],
            f"only_in_{self.left}": named(self.only_left),
            f"only_in_{self.right}": named(self.only_right),
            "changed": [
                {"type": type_, "name": name, "inputs": keys}
                for (type_, name), keys in self.changed.items()
            ],
            "counts": {type_: list(pair) for type_, pair in self.counts.items()},
        }

    def print(self, console: Console) -> None:
        table = Table(title=f"{self.left} vs {self.right}: resource counts that differ")
        table.add_column("type")
        table.add_column(self.left, justify="right")
        table.add_column(self.right, justify="right")
        for type_, (left, right) in sorted(self.counts.items()):
            table.add_row(type_, str(left), str(right))
        console.print(table)
        changes = Table(title="declared in both, with different inputs")
        changes.add_column("resource")
        changes.add_column("inputs that differ")
        for (type_, name), keys in sorted(self.changed.items()):
            changes.add_row(f"{name} [dim]{type_}[/]", ", ".join(keys))
        console.print(changes)
        console.print(
            f"{len(self.only_left)} only in {self.left}, {len(self.only_right)} only in "
            f"{self.right}, {len(self.changed)} changed"
        )


def diff_plans(left: Plan, right: Plan) -> PlanDiff:
    left_by_key = {(r.type, r.name): r for r in left.resources}
    right_by_key = {(r.type, r.name): r for r in right.resources}
    changed = {}
    for key in sorted(left_by_key.keys() & right_by_key.keys()):
        a, b = left_by_key[key].inputs, right_by_key[key].inputs
        differing = sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
        if differing:
            changed[key] = differing
    left_counts = Counter(r.type for r in left.resources)
    right_counts = Counter(r.type for r in right.resources)
    counts = {
        type_: (left_counts[type_], right_counts[type_])
        for type_ in left_counts.keys() | right_counts.keys()
        if left_counts[type_] != right_counts[type_]
    }
    return PlanDiff(
        left=left.stack,
        right=right.stack,
        only_left=sorted(left_by_key.keys() - right_by_key.keys()),
        only_right=sorted(right_by_key.keys() - left_by_key.keys()),
        changed=changed,
        counts=counts,
    )
