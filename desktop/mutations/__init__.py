"""Every change to data is a named mutation in one registry; importing this package registers them all."""

from desktop.mutations import (  # noqa: F401  (registration)
    contacts,
    customers,
    follow_ups,
    policy,
    products,
    quotes,
    rates,
    rules,
    touchpoints,
    users,
    visits,
)
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
