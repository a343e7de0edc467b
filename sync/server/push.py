"""Applying pushed mutations: idempotent per (device, seq), in order, re-checked under the real user."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import Engine, func, select

from desktop import mutations, timeutil
from desktop.errors import DomainError
from desktop.mutations.registry import load_actor
from sync import protocol
from sync.server import changes
from sync.server.db import writing
from sync.server.models import Processed


def push(engine: Engine, user_id: str, device_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Process items in order; stop after the first one that is out of order."""
    results = []
    for item in items:
        result = apply_one(engine, user_id, device_id, item)
        results.append(result)
        if result["status"] == protocol.OUT_OF_ORDER:
            break
    return results


def apply_one(engine: Engine, user_id: str, device_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """One mutation in one serialised transaction: the business rows, the change log and the stored result.

    The actor is the authenticated user behind the token, whatever the payload says. A rejection is
    final and stored like an application, so a resend gets the same answer and the queue moves on.
    """
    seq, mutation_id, name = item["seq"], item["mutation_id"], item["name"]
    with writing(engine) as session:
        done = session.scalars(select(Processed).where(Processed.device_id == device_id, Processed.seq == seq)).first()
        if done is not None:
            return done.result
        last = session.scalar(select(func.max(Processed.seq)).where(Processed.device_id == device_id)) or 0
        if seq != last + 1:
            return {"seq": seq, "mutation_id": mutation_id, "status": protocol.OUT_OF_ORDER, "expected": last + 1}
        result: dict[str, Any] = {"seq": seq, "mutation_id": mutation_id}
        try:
            with session.begin_nested():
                actor = load_actor(session, user_id, device_id)
                outcome = mutations.execute(session, actor, name, copy.deepcopy(item["args"]))
                session.flush()
                for table in dict.fromkeys(r.table for r in outcome.rows):
                    changes.record(session, table, [r.id for r in outcome.rows if r.table == table])
                if outcome.entity == "customer" and "owner_id" in outcome.diff:
                    changes.record_customer_tree(session, outcome.entity_id)
            result["status"] = protocol.APPLIED
        except DomainError as exc:
            result["status"] = protocol.REJECTED
            result["error"] = exc.to_dict()
        session.add(Processed(device_id=device_id, seq=seq, mutation_id=mutation_id, name=name,
                              status=result["status"], result=result, processed_at=timeutil.utcnow()))
    return result
