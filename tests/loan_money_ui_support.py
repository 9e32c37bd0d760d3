"""Signed and disbursed loans for driving the loan money screens: the loan UI bank's officer and 王芳 (with
her deposit account), the application taken through origination and signing by the real services."""

from dataclasses import dataclass

from textual.widgets import DataTable

from screens.loan_application import LoanApplicationScreen
from screens.second_key import SecondKeyScreen
from teller import accounts, customers, loans
from teller.ledger import Leg
from tests.helpers import PASSWORD, post
from tests.loan_ui_support import LoanBank, seed_loan_bank, settle
from tests.servicing_support import Borrower, consumer_terms, disbursed, signed
from tests.ui_support import code_for, sign_in_quickly, type_credentials, wait_until


@dataclass(frozen=True)
class MoneyBank:
    loans: LoanBank
    borrower: Borrower

    @property
    def db(self):
        return self.loans.db

    @property
    def ui(self):
        return self.loans.ui

    @property
    def bank(self):
        return self.loans.ui.bank


def seed_money_bank(db) -> MoneyBank:
    """The loan UI bank; the cash its seeded deposit left in teller1's unopened drawer goes back to the vault,
    since no drawer is opened here and the business day does not close with drawer cash no session holds."""
    made = seed_loan_bank(db)
    bank = made.ui.bank
    stray = accounts.get_account(db, bank.drawer).balance
    post(db, bank, [Leg(bank.vault, debit=stray), Leg(bank.drawer, credit=stray)], kind="drawer_to_vault")
    account = customers.customer_file(db, made.customer_id).accounts[0].number
    return MoneyBank(made, Borrower(made.officer, made.customer_id, account))


def signed_loan(money: MoneyBank, terms=None, *, complete_checklist: bool = True) -> loans.ApplicationView:
    return signed(money.db, money.bank, money.borrower, terms or consumer_terms(),
                  complete_checklist=complete_checklist)


def disbursed_loan(money: MoneyBank, terms=None) -> loans.ApplicationView:
    return disbursed(money.db, money.bank, money.borrower, terms or consumer_terms())


async def open_loan_file(pilot, money: MoneyBank, username: str, application_id: int) -> None:
    """Sign in and open the loan's file (as from the pipeline or the customer file's Loans tab)."""
    app = pilot.app
    await sign_in_quickly(pilot, money.ui, username)
    await settle(pilot)
    app.push_screen(LoanApplicationScreen(application_id))
    await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen) and app.screen.file is not None)
    await settle(pilot)


async def give_second_key(pilot, money: MoneyBank, username: str = "super1", code: str | None = None) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
    await type_credentials(pilot, username, PASSWORD, code or code_for(money.ui, username))
    await wait_until(pilot, lambda: not isinstance(app.screen, SecondKeyScreen))
    await settle(pilot)


def table_rows(app, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]
