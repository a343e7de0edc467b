"""The one mutation path: data, outbox row and audit entry in one transaction; nothing writes around it."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from desktop import audit, integrity, mutations, timeutil
from desktop.errors import DomainError
from desktop.migrate import backup_database
from desktop.models import AuditEntry, Contact, Customer, OutboxEntry, Touchpoint
from desktop.store import UnrecordedWriteError, open_store
from tests import media_files
from tests.conftest import make_customer, replay_outbox, run, table_rows


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_mutation_writes_data_outbox_and_audit_together(store, org):
    outcome = run(store, org["rep"], "customer.create", name="无锡华创电子科技有限公司", city="无锡",
                  credit_limit="1200000.005")
    device_id, _ = store.device()
    with store.read() as s:
        customer = s.scalars(select(Customer)).one()
        assert customer.owner_id == org["rep"] and customer.version == 1
        assert customer.credit_limit == Decimal("1200000.01")  # money rounds half-up to cents, stays Decimal
        entry = s.scalars(select(OutboxEntry)).one()
        assert (entry.seq, entry.device_id, entry.name, entry.status) == (1, device_id, "customer.create", "pending")
        assert entry.args["id"] == customer.id and entry.args["name"] == "无锡华创电子科技有限公司"
        assert entry.mutation_id == outcome.mutation_id and entry.base_version is None
        assert entry.schema_version == store.schema_version
        assert entry.client_time == timeutil.from_text(entry.args["at"])
        assert entry.changes["rows"] == [["customers", customer.id, "insert", 1]]
        log = s.scalars(select(AuditEntry)).one()
        assert (log.action, log.entity_id, log.actor_id, log.detail["outbox_seq"]) == (
            "customer.create", customer.id, org["rep"], 1)


def test_sequence_numbers_are_per_device_and_contiguous(store, org):
    customer = make_customer(store, org["rep"])
    for i in range(5):
        run(store, org["rep"], "touchpoint.log", customer_id=customer, channel="call",
            occurred_at=timeutil.to_text(timeutil.utcnow()), summary=f"第{i}次电话")
    with store.read() as s:
        assert s.scalars(select(OutboxEntry.seq).order_by(OutboxEntry.seq)).all() == [1, 2, 3, 4, 5, 6]
        assert mutations.pending(s) == 6


def test_update_records_base_version_and_diff(store, org):
    customer = make_customer(store, org["rep"])
    run(store, org["rep"], "customer.update", id=customer, phone="0512-66668888", segment="key_account")
    with store.read() as s:
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.name == "customer.update")).one()
        assert entry.base_version == 1 and entry.changes["rows"] == [["customers", customer, "update", 2]]
        log = s.scalars(select(AuditEntry).where(AuditEntry.action == "customer.update")).one()
        assert log.detail["diff"] == {"phone": ["", "0512-66668888"], "segment": ["standard", "key_account"]}


def test_touchpoint_updates_contact_last_reached_in_the_same_mutation(store, org):
    customer = make_customer(store, org["rep"])
    contact = run(store, org["rep"], "contact.add", customer_id=customer, name="王伟",
                  decision_role="purchasing").changes.entity_id
    when = timeutil.utcnow() - timedelta(hours=2)
    outcome = run(store, org["rep"], "touchpoint.log", customer_id=customer, contact_id=contact, channel="meeting",
                  occurred_at=timeutil.to_text(when), summary="现场拜访，拍摄设备铭牌照片")
    assert [r.table for r in outcome.changes.rows] == ["touchpoints", "contacts"]
    with store.read() as s:
        reached = s.get(Contact, contact)
        assert reached.last_reached_at == when.replace(microsecond=when.microsecond)
        assert reached.version == 2
        tp = s.scalars(select(Touchpoint)).one()
        assert tp.with_whom == "王伟" and tp.user_id == org["rep"]


def test_a_batch_is_all_or_nothing(store, org):
    customer = make_customer(store, org["rep"])
    calls = [("contact.add", {"customer_id": customer, "name": "李娜", "decision_role": "technical"}),
             ("contact.add", {"customer_id": customer, "name": "", "decision_role": "technical"})]
    with pytest.raises(DomainError) as caught:
        mutations.run_many(store, org["rep"], calls)
    assert caught.value.code == "missing_field" and caught.value.detail["index"] == 1
    with store.read() as s:
        assert _count(s, Contact) == 0
        assert _count(s, OutboxEntry) == 1 and _count(s, AuditEntry) == 1  # only the customer


def test_replaying_the_outbox_on_another_database_gives_the_same_rows(store, org, template_db, tmp_path):
    """A mutation is deterministic given its args: what the server will do during sync."""
    customer = make_customer(store, org["rep"], phone="0512-1")
    contact = run(store, org["rep"], "contact.add", customer_id=customer, name="张敏",
                  decision_role="decision_maker").changes.entity_id
    run(store, org["rep"], "touchpoint.log", customer_id=customer, contact_id=contact, channel="wechat",
        occurred_at=timeutil.to_text(timeutil.utcnow()), summary="微信发送报价单")
    run(store, org["rep"], "customer.update", id=customer, status="dormant")

    replica = replay_outbox(store, template_db, tmp_path / "replica.db")
    for table in ("customers", "contacts", "touchpoints"):
        assert table_rows(store, table) == table_rows(replica, table)
    replica.close()


def test_writes_outside_the_mutation_path_are_refused(store, org):
    with store.read() as s:
        s.add(Customer(id="01900000-0000-7000-8000-000000000000", name="绕过", owner_id=org["rep"],
                       created_at=timeutil.utcnow(), updated_at=timeutil.utcnow()))
        with pytest.raises(UnrecordedWriteError):
            s.flush()
    with store.read() as s:
        with pytest.raises(UnrecordedWriteError):
            s.execute(text("UPDATE users SET role = 'admin'"))
        with pytest.raises(UnrecordedWriteError):
            s.execute(text("DELETE FROM outbox"))
        # Whatever comes before the verb, and however the table is named, it is the same write.
        for sneaky in ("-- a note first\nUPDATE users SET role = 'admin'",
                       "/* a comment */ DELETE FROM outbox",
                       "WITH bad AS (SELECT 'admin' AS role) UPDATE users SET role = (SELECT role FROM bad)",
                       'UPDATE main."users" SET role = \'admin\'',
                       "UPDATE [audit_log] SET action = 'nothing'",
                       "INSERT OR REPLACE INTO main.sync_state (singleton, cursor) VALUES (1, 99)"):
            with pytest.raises(UnrecordedWriteError):
                s.execute(text(sneaky))
        # A word inside a string or a comment is not a write.
        assert s.execute(text("SELECT 'UPDATE users SET role = 1' /* DELETE FROM outbox */")).scalar()
    with pytest.raises(ValueError):
        with store.writer("backdoor"):
            pass


def test_every_row_change_is_accounted_for_by_an_outbox_entry(store, org, tmp_path):
    """After a scenario using every mutation, each row's version equals the outbox entries that touched it."""
    rep, manager, admin = org["rep"], org["manager"], org["admin"]
    now = timeutil.utcnow()
    c1 = make_customer(store, rep, "南京鑫达汽车零部件有限公司")
    c2 = make_customer(store, manager, "常州瑞丰包装材料有限公司", owner_id=org["rep2"])
    k1 = run(store, rep, "contact.add", customer_id=c1, name="赵强", decision_role="technical").changes.entity_id
    k2 = run(store, manager, "contact.add", customer_id=c2, name="钱芳", decision_role="user").changes.entity_id
    run(store, rep, "contact.update", id=k1, title="技术总监", email="zhao@example.cn")
    for i, channel in enumerate(("call", "wechat", "email", "file_sent", "meeting")):
        run(store, rep if i % 2 else manager, "touchpoint.log", customer_id=c1 if i % 2 else c2,
            contact_id=k1 if i % 2 else k2, channel=channel, occurred_at=timeutil.to_text(now - timedelta(days=i)),
            summary=f"沟通{channel}")
    at = timeutil.to_text
    step = run(store, rep, "touchpoint.log", customer_id=c1, channel="call", occurred_at=at(now - timedelta(hours=3)),
               summary="询价", next_step="发报价", next_step_due=at(now + timedelta(days=1))).changes.entity_id
    run(store, rep, "follow_up.postpone", id=step, due=at(now + timedelta(days=3)))
    run(store, manager, "follow_up.hand_over", id=step, to_user_id=manager)
    run(store, manager, "follow_up.done", id=step)
    sample = run(store, rep, "touchpoint.log", customer_id=c1, channel="call", occurred_at=at(now - timedelta(hours=2)),
                 summary="要样品", next_step="寄样品", next_step_due=at(now + timedelta(days=2))).changes.entity_id
    run(store, rep, "touchpoint.log", customer_id=c1, channel="file_sent", occurred_at=at(now - timedelta(hours=1)),
        summary="样品已寄出", closes_follow_up_id=sample)
    run(store, manager, "customer.update", id=c1, owner_id=org["rep2"])
    run(store, manager, "contact.remove", id=k2)
    new_user = run(store, admin, "user.create", username="newrep", display_name="新人", role="field_rep",
                   password_hash="scrypt$1$1$1$x$y").changes.entity_id
    run(store, admin, "user.update", id=new_user, team="east1")
    run(store, new_user, "user.set_password", id=new_user, password_hash="scrypt$1$1$1$a$b")
    run(store, manager, "capture_rule.set", scope="segment", scope_value="key_account", min_audio_s=60)
    owner = org["rep2"]  # c1 is theirs now
    check_in = timeutil.to_text(now - timedelta(hours=1))
    visit = run(store, owner, "visit.save", customer_id=c1, check_in_at=check_in, summary="现场拜访").changes.entity_id
    evidence = [(media_files.photo(tmp_path / "门头.jpg"), "storefront"),
                (media_files.photo(tmp_path / "铭牌.jpg", size=(300, 200)), "nameplate"),
                (media_files.wav(tmp_path / "录音.wav", 91), None)]
    for path, label in evidence:
        sha, _size = store.blobs.add_file(path)
        run(store, owner, "attachment.add", touchpoint_id=visit, sha256=sha, filename=path.name,
            **({"label": label} if label else {}))
    run(store, owner, "visit.save", id=visit, check_in_at=check_in, summary="现场拜访，客户确认型号")
    run(store, owner, "visit.submit", id=visit)
    draft = run(store, owner, "visit.save", customer_id=c1, check_in_at=check_in).changes.entity_id
    sha, _size = store.blobs.add_file(evidence[0][0])
    extra = run(store, owner, "attachment.add", touchpoint_id=draft, sha256=sha, filename="x.jpg").changes.entity_id
    run(store, owner, "attachment.relabel", id=extra, label="nameplate")
    run(store, owner, "attachment.remove", id=extra)
    run(store, owner, "visit.discard", id=draft)
    finance = org["finance"]
    product = run(store, finance, "product.create", code="CK6150", name="数控车床", unit="台", list_price="128000.00",
                  currency="CNY").changes.entity_id
    run(store, finance, "product.update", id=product, list_price="126000.00")
    run(store, finance, "rate.record", pair="USD/CNY", rate="7.1234", rate_date=now.date().isoformat(),
        source="中国外汇交易中心")
    run(store, org["cfo"], "policy.set", rules=[{"key": "finance", "kind": "always", "role": "finance"}])
    quote = run(store, owner, "quote.create", customer_id=c1).changes.entity_id
    run(store, owner, "quote.line_set", quote_id=quote, product_id=product, quantity="2")
    spare = run(store, owner, "quote.line_set", quote_id=quote, description="备件", quantity="1",
                unit_price="10.005").changes.entity_id
    run(store, owner, "quote.line_remove", id=spare)
    run(store, owner, "quote.update", id=quote, discount_pct="2.5")
    run(store, owner, "quote.submit", id=quote)
    run(store, owner, "quote.withdraw", id=quote)
    version = run(store, owner, "quote.submit", id=quote).changes.rows[-1].version
    run(store, finance, "approval.decide", quote_id=quote, quote_version=version, decision="approve")
    run(store, owner, "quote.mark_sent", id=quote)
    run(store, owner, "quote.revise", source_id=quote)
    run(store, owner, "quote.copy", source_id=quote)
    with pytest.raises(DomainError):  # a refused mutation leaves no trace anywhere
        run(store, rep, "customer.update", id=c2, name="")

    with store.read() as s:
        assert integrity.outbox_accounting(s) == []
        assert {e.name for e in s.scalars(select(OutboxEntry))} == set(mutations.REGISTRY)  # every mutation
        assert _count(s, AuditEntry) == _count(s, OutboxEntry) == 49
        assert audit.verify_chain(s).ok
    # The check is not vacuous: a change made around the mutation path (here, straight into the file)
    # is caught.
    copy_path = backup_database(store.path, tmp_path / "tampered.db")
    with sqlite3.connect(copy_path) as raw:
        raw.execute("UPDATE customers SET phone = 'x', version = version + 1")
    tampered = open_store(copy_path)
    with tampered.read() as s:
        problems = integrity.outbox_accounting(s)
    tampered.close()
    assert len(problems) == 2 and all("outbox accounts for" in p for p in problems)
