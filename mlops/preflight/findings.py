"""What preflight reports: one finding per problem, named by check, install and subject."""

from dataclasses import asdict, dataclass
from typing import Literal

Check = Literal[
    "render",
    "values",
    "schema",
    "pod-security",
    "crd-order",
    "registry",
    "load-balancer",
    "install-steps",
    "apply",
]
CHECKS: tuple[Check, ...] = (
    "render",
    "values",
    "schema",
    "pod-security",
    "crd-order",
    "registry",
    "load-balancer",
    "install-steps",
    "apply",
)


@dataclass(frozen=True, order=True)
class Finding:
    """One problem: which check found it, in which install (release or tree), about what."""

    install: str
    check: Check
    subject: str  # an object (Kind namespace/name) or a values key
    message: str

    def as_json(self) -> dict[str, str]:
        return asdict(self)
