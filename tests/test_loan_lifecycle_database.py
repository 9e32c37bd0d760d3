"""The loan application's lifecycle held by the database itself (migration 0008), on both databases.

Every attack is plain SQL on `db.engine` (no service, no session guard), as a careless script or a hostile
operator would send it. Each asserts the trigger's own refusal and that the application stayed as it was.
"""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from teller import clock, instructions, loan_servicing, loans
from teller.loan_servicing import DisbursementDraft
from tests.helpers import new_key
from tests.loan_support import CLEAR_CHECK, consumer_draft, make_customer, make_staff, under_review
from tests.servicing_support import borrower, signed

NO_SUCH_MOVE = "moves only along its lifecycle"
ROUND_FIXED = "change only with a submission"


def refusal(db, sql: str, params: dict | None = None) -> str:
    with pytest.raises(DBAPIError) as caught:
        with db.engine.begin() as connection:
            connection.execute(text(sql), params or {})
    return str(caught.value.orig)


def row(db, application_id: int) -> tuple:
    with db.engine.connect() as connection:
        return connection.execute(text(
            "SELECT state, review_round, required_approvals FROM loan_application WHERE id = :id"),
            {"id": application_id}).one()


def set_state(db, application_id: int, state: str, **more) -> str:
    sets = ", ".join(f"{column} = :{column}" for column in ("state", *more))
    return refusal(db, f"UPDATE loan_application SET {sets} WHERE id = :id",
                   {"id": application_id, "state": state, **more})


@pytest.fixture
def officer(db, bank):
    return make_staff(db, bank, "officer1", ("loan_officer",))


@pytest.fixture
def customer_id(db, officer):
    return make_customer(db, officer)


def test_raw_sql_cannot_skip_approval_signing_or_disbursement(db, bank, officer, customer_id):
    made = under_review(db, officer, bank.supervisor, consumer_draft(customer_id))
    before = row(db, made.id)
    for state in ("CONTRACT_SIGNED", "ACTIVE", "SETTLED", "WRITTEN_OFF", "DRAFT", "SUBMITTED"):
        assert NO_SUCH_MOVE in set_state(db, made.id, state), state
    assert row(db, made.id) == before
    loans.approve(db, bank.supervisor, made.id)
    assert "only with its signing recorded" in set_state(db, made.id, "CONTRACT_SIGNED")
    assert NO_SUCH_MOVE in set_state(db, made.id, "ACTIVE")
    assert row(db, made.id)[0] == "APPROVED"


def test_raw_sql_cannot_activate_or_settle_a_loan_without_its_approved_money(db, bank):
    who = borrower(db, bank, funds=5_000_00)
    application = signed(db, bank, who)
    for state in ("ACTIVE", "DISBURSED"):
        assert "only by an approved disbursement instruction" in set_state(db, application.id, state)
    pending = loan_servicing.request_disbursement(db, who.officer, DisbursementDraft(
        application.id, "account", account_number=who.account, idempotency_key=new_key()))
    assert "only by an approved disbursement instruction" in set_state(db, application.id, "ACTIVE")
    assert row(db, application.id)[0] == "CONTRACT_SIGNED"
    instructions.approve(db, pending.id, bank.supervisor)
    assert row(db, application.id)[0] == "ACTIVE"  # the disbursement's second key moves it (migration 0007)
    assert "only by an approved payment that repays it" in set_state(db, application.id, "SETTLED")
    assert NO_SUCH_MOVE in set_state(db, application.id, "CONTRACT_SIGNED")
    assert row(db, application.id)[0] == "ACTIVE"


def test_raw_sql_cannot_lower_the_approvals_required_or_reuse_a_round(db, bank, officer, customer_id):
    large = under_review(db, officer, bank.supervisor, consumer_draft(customer_id, 800_000_00))
    loans.approve(db, bank.supervisor, large.id)  # the first of the two approvals 800,000 needs
    before = row(db, large.id)
    assert before == ("UNDER_REVIEW", 1, 2)
    assert ROUND_FIXED in refusal(db, "UPDATE loan_application SET required_approvals = 1 WHERE id = :id",
                                  {"id": large.id})
    assert ROUND_FIXED in set_state(db, large.id, "APPROVED", required_approvals=1)
    assert ROUND_FIXED in refusal(db, "UPDATE loan_application SET review_round = 2 WHERE id = :id",
                                  {"id": large.id})
    assert "needs its decision recorded" in set_state(db, large.id, "RETURNED")
    assert row(db, large.id) == before
    loans.return_to_officer(db, bank.manager, large.id, "add the employer's certificate")
    assert ROUND_FIXED in set_state(db, large.id, "SUBMITTED")  # the same round: the first approval would count
    assert ROUND_FIXED in set_state(db, large.id, "SUBMITTED", review_round=3)
    assert row(db, large.id) == ("RETURNED", 1, 2)
    resubmitted = loans.resubmit(db, officer, large.id, "certificate added")
    assert (resubmitted.review_round, resubmitted.required_approvals) == (2, 2)


def test_raw_sql_cannot_insert_an_application_past_draft(db, bank, officer, customer_id):
    made = loans.create_application(db, officer, consumer_draft(customer_id))
    columns = ("number, customer_id, product_id, state, currency, amount, term_months, first_due_date, purpose,"
               " facts, required_approvals, review_round, originator_id, branch_id, created_at, updated_at,"
               " state_since")
    copy = (f"INSERT INTO loan_application ({columns}) SELECT 'DK99', customer_id, product_id, :state, currency,"
            " amount, term_months, first_due_date, purpose, facts, required_approvals, :round, originator_id,"
            " branch_id, created_at, updated_at, state_since FROM loan_application WHERE id = :id")
    for state, review_round in (("ACTIVE", 0), ("APPROVED", 1), ("DRAFT", 1)):
        assert "starts as a DRAFT of round 0" in refusal(db, copy, {"id": made.id, "state": state,
                                                                    "round": review_round})


def test_decisions_and_credit_checks_are_recorded_only_in_turn_and_never_by_the_originator(db, bank, officer,
                                                                                          customer_id):
    made = loans.create_application(db, officer, consumer_draft(customer_id))
    decision = ("INSERT INTO loan_approval (application_id, review_round, approver_id, role, level, decision,"
                " reason, decided_at) VALUES (:id, :round, :who, 'manager', 3, :decision, 'x', CURRENT_TIMESTAMP)")
    check = ("INSERT INTO credit_check (application_id, review_round, result, report_date, reference, checked_by,"
             " recorded_at) VALUES (:id, :round, 'clear', '2026-11-24', 'ZX1', :who, CURRENT_TIMESTAMP)")
    manager = bank.manager.staff_id
    in_turn = "only while the application waits for it"
    assert in_turn in refusal(db, decision, {"id": made.id, "round": 0, "who": manager, "decision": "APPROVED"})
    assert "credit check is recorded only under review" in refusal(
        db, check, {"id": made.id, "round": 0, "who": manager})
    loans.submit(db, officer, made.id)
    assert in_turn in refusal(db, decision, {"id": made.id, "round": 1, "who": manager, "decision": "APPROVED"})
    loans.start_review(db, bank.supervisor, made.id, notes="income verified", credit_check=CLEAR_CHECK)
    assert in_turn in refusal(db, decision, {"id": made.id, "round": 0, "who": manager, "decision": "REJECTED"})
    assert "never records its credit check" in refusal(
        db, check, {"id": made.id, "round": 1, "who": officer.staff_id})
    assert "credit check is recorded only under review" in refusal(
        db, check, {"id": made.id, "round": 0, "who": manager})
    loans.approve(db, bank.supervisor, made.id)
    assert in_turn in refusal(db, decision, {"id": made.id, "round": 1, "who": manager, "decision": "REJECTED"})
    file = loans.application_file(db, made.id)
    assert len(file.approvals) == 1 and len(file.credit_checks) == 1


def test_product_versions_are_kept_and_a_signing_freezes_the_current_one(db, bank, officer, customer_id):
    made = under_review(db, officer, bank.supervisor, consumer_draft(customer_id))
    loans.approve(db, bank.supervisor, made.id)
    assert "changes only with a new, higher version" in refusal(
        db, "UPDATE loan_product SET definition = definition || ' ' WHERE code = 'consumer'")
    assert "changes only with a new, higher version" in refusal(
        db, "UPDATE loan_product SET version = 0 WHERE code = 'consumer'")
    for sql in ("UPDATE loan_product_version SET definition = '{}'", "DELETE FROM loan_product_version"):
        assert "product versions are never changed or deleted" in refusal(db, sql)
    assert "freezes the current version of the product" in refusal(
        db, "INSERT INTO loan_signing (application_id, contract_number, signed_by, signed_at, place, recorded_at,"
            " product_version) VALUES (:id, 'HTX', :who, CURRENT_TIMESTAMP, 'x', CURRENT_TIMESTAMP, 7)",
        {"id": made.id, "who": officer.staff_id})
    loans.sign(db, officer, made.id, signed_at=clock.now(), place="branch")
    assert "signings are never changed or deleted" in refusal(
        db, "UPDATE loan_signing SET product_version = product_version + 1")

