"""Wall-clock time in UTC, the one place services ask for it, and the branch's clock that people read."""

from datetime import UTC, date, datetime, timedelta, timezone

BRANCH_TIME = timezone(timedelta(hours=8))  # China Standard Time, no daylight saving


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones. Make both aware."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def in_branch_time(moment: datetime) -> datetime:
    """A stored moment (naive from SQLite means UTC) as the branch's clock shows it: screens, receipts and
    proofs all read one clock, whatever time zone the terminal's machine is set to."""
    return as_utc(moment).astimezone(BRANCH_TIME)


def branch_today() -> date:
    """Today's date on the branch's clock (a new day starts at midnight in the branch, not in UTC)."""
    return in_branch_time(now()).date()
