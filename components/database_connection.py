"""How a component reaches the platform's PostgreSQL: in the cluster or RDS, the same contract."""

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class DatabaseConnection:
    """A PostgreSQL database and where its credentials live.

    `password_secret` names a Kubernetes Secret in the consuming component's namespace. It holds
    the key `password`, and also `username` (equal to `user`): charts such as MLflow's read both
    from the same Secret, so the database component writes both keys.
    """

    host: pulumi.Input[str]
    port: int
    name: str
    user: str
    password_secret: pulumi.Input[str]
