"""The append-only, hash-chained audit log: recording, sealing at commit, and verification.

Services call `record` inside their unit of work; the rows are written just before that unit commits,
under a lock on the chain head, so the chain has no gaps and follows commit order. Each row's hash is
HMAC-SHA256(key, previous hash + canonical JSON of its content); the head row carries a MAC of the last
sequence number and hash, so rows removed from the end are detected as well.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from models import AuditEvent, AuditHead
from teller import clock
from teller.actor import Actor

GENESIS_HASH = "0" * 64
PENDING_KEY = "audit_pending"


@dataclass(frozen=True)
class AuditDraft:
    occurred_at: datetime
    business_date: date | None
    branch_id: int | None
    staff_id: int | None
    role: str | None
    terminal: str
    action: str
    object_type: str | None
    object_id: str | None
    detail: str


@dataclass(frozen=True)
class ChainReport:
    rows: int
    head_seq: int
    head_hash: str
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: object = None,
    business_date: date | None = None,
    branch_id: int | None = None,
    **detail: object,
) -> None:
    """Queue an audit row; it is chained and written when the unit of work commits."""
    draft = AuditDraft(
        occurred_at=clock.now(),
        business_date=business_date,
        branch_id=branch_id if branch_id is not None else actor.branch_id,
        staff_id=actor.staff_id,
        role=actor.role_text,
        terminal=actor.terminal,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")),
    )
    session.info.setdefault(PENDING_KEY, []).append(draft)


def _canonical(seq: int, row: AuditDraft | AuditEvent) -> bytes:
    content = {
        "seq": seq,
        "occurred_at": clock.as_utc(row.occurred_at).isoformat(timespec="microseconds"),
        "business_date": row.business_date.isoformat() if row.business_date else None,
        "branch_id": row.branch_id,
        "staff_id": row.staff_id,
        "role": row.role,
        "terminal": row.terminal,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "detail": row.detail,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _row_hash(key: bytes, prev_hash: str, seq: int, row: AuditDraft | AuditEvent) -> str:
    return hmac.new(key, prev_hash.encode() + _canonical(seq, row), hashlib.sha256).hexdigest()


def _head_mac(key: bytes, seq: int, row_hash: str) -> str:
    return hmac.new(key, f"head:{seq}:{row_hash}".encode(), hashlib.sha256).hexdigest()


_READ_HEAD = select(AuditHead.seq, AuditHead.row_hash).where(AuditHead.id == 1).with_for_update()
_INSERT_ROWS = insert(AuditEvent)
_UPDATE_HEAD = update(AuditHead).where(AuditHead.id == 1)
_INSERT_HEAD = insert(AuditHead)


def _write_pending(session: Session) -> None:
    pending: list[AuditDraft] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    key: bytes = session.info["audit_key"]
    connection = session.connection()
    head = connection.execute(_READ_HEAD).first()
    seq, prev_hash = (head.seq, head.row_hash) if head else (0, GENESIS_HASH)
    rows = []
    for draft in pending:
        seq += 1
        row_hash = _row_hash(key, prev_hash, seq, draft)
        rows.append({**draft.__dict__, "seq": seq, "prev_hash": prev_hash, "row_hash": row_hash})
        prev_hash = row_hash
    connection.execute(_INSERT_ROWS, rows)
    sealed = {"seq": seq, "row_hash": prev_hash, "head_mac": _head_mac(key, seq, prev_hash)}
    if head:
        connection.execute(_UPDATE_HEAD, sealed)
    else:
        connection.execute(_INSERT_HEAD, {"id": 1, **sealed})


def install(factory: sessionmaker) -> None:
    """Write queued audit rows just before each commit of sessions from `factory`."""
    event.listen(factory, "before_commit", _write_pending)


def _rows(session: Session, batch: int = 2000) -> Iterator[AuditEvent]:
    last_seq = -1
    while True:
        chunk = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not chunk:
            return
        yield from chunk
        last_seq = chunk[-1].seq
        session.expunge_all()


def verify_chain(session: Session, key: bytes) -> ChainReport:
    """Check every row and the head; name the first row that was altered, removed, inserted or reordered."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0

    def report(problem: str | None) -> ChainReport:
        return ChainReport(rows=count, head_seq=expected_seq - 1, head_hash=prev_hash, problem=problem)

    for row in _rows(session):
        if row.seq != expected_seq:
            return report(
                f"audit row {expected_seq} is missing (row {row.seq} follows row {expected_seq - 1}): rows were removed"
            )
        if row.prev_hash != prev_hash:
            return report(
                f"audit row {row.seq} does not follow row {row.seq - 1}: a row was inserted, removed or reordered"
            )
        if not hmac.compare_digest(row.row_hash, _row_hash(key, prev_hash, row.seq, row)):
            return report(f"audit row {row.seq} was altered: its content does not match its hash")
        prev_hash, expected_seq, count = row.row_hash, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    last_seq = expected_seq - 1
    if head is None:  # every ledger records its creation, so a chain without a head was wiped
        return report("the audit chain head is missing: the log was wiped or never sealed")
    if not hmac.compare_digest(head.head_mac, _head_mac(key, head.seq, head.row_hash)):
        return report("the audit chain head was altered (or the audit key is wrong)")
    if head.seq != last_seq or head.row_hash != prev_hash:
        return report(f"audit rows after row {last_seq} were removed: the sealed head is row {head.seq}")
    return report(None)
