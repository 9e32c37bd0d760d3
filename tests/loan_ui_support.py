"""A bank for driving the loan screens: the UI bank's customers, a loan officer and a manager with
authenticators (a supervisor has one already), and applications put in a state through the real services."""

from dataclasses import dataclass
from datetime import timedelta

from teller import clock, loans
from teller.actor import Actor
from tests.helpers import enrol
from tests.loan_support import CLEAR_CHECK, consumer_draft, make_staff
from tests.ui_support import UiBank, seed_ui_bank, wait_until


@dataclass(frozen=True)
class LoanBank:
    ui: UiBank
    officer: Actor
    customer_id: int

    @property
    def db(self):
        return self.ui.db


def enrol_in_the_past(ui: UiBank, username: str) -> None:
    """Enrol `username`'s authenticator five minutes ago, so that the codes of now are unused."""
    enrolled_at = clock.now() - timedelta(minutes=5)
    real_now = clock.now
    clock.now = lambda: enrolled_at
    try:
        ui.secrets[username] = enrol(ui.db, username)
    finally:
        clock.now = real_now


def seed_loan_bank(db) -> LoanBank:
    ui = seed_ui_bank(db)
    officer = make_staff(db, ui.bank, "officer1", ("loan_officer",))
    for username in ("officer1", "manager1", "audit1"):
        enrol_in_the_past(ui, username)
    return LoanBank(ui, officer, ui.customer_ids["王芳"])


def draft_application(bank: LoanBank, amount: int = 100_000_00) -> loans.ApplicationView:
    return loans.create_application(bank.db, bank.officer, consumer_draft(bank.customer_id, amount))


def submitted_application(bank: LoanBank, amount: int = 100_000_00) -> loans.ApplicationView:
    made = draft_application(bank, amount)
    return loans.submit(bank.db, bank.officer, made.id)


def reviewed_application(bank: LoanBank, amount: int = 100_000_00) -> loans.ApplicationView:
    made = submitted_application(bank, amount)
    return loans.start_review(bank.db, bank.ui.bank.supervisor, made.id, notes="income verified",
                              credit_check=CLEAR_CHECK)


def idle(app, *groups: str) -> bool:
    """No worker of these groups (of any, when none given) is still running."""
    return not [worker for worker in app.workers if (not groups or worker.group in groups) and not worker.is_finished]


async def settle(pilot) -> None:
    """Wait for every worker, then for the screen to repaint."""
    await wait_until(pilot, lambda: idle(pilot.app))
    await pilot.pause()
