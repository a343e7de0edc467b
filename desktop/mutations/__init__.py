"""Every change to data is a named mutation in one registry; importing this package registers them all."""

from desktop.mutations import contacts, customers, rules, touchpoints, users, visits  # noqa: F401  (registration)
from desktop.mutations.registry import (
    REGISTRY,
    Actor,
    Changes,
    Outcome,
    execute,
    pending,
    prepare,
    run,
    run_many,
)

__all__ = ["REGISTRY", "Actor", "Changes", "Outcome", "execute", "pending", "prepare", "run", "run_many"]
