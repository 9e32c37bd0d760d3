"""Loan origination on both databases: the workflow from draft to signing, separation of duties, approval
authority by amount and product, frozen terms, the document checklist and its second-keyed waivers."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models import AuditEvent, LoanApplication, LoanApproval, LoanTranche
from teller import admin_changes, audit, clock, customers, ledger, loans, staff, totp
from teller.actor import system_actor
from teller.errors import ApprovalError, AuthenticationError, InputError, LedgerGuardError
from teller.loan_products import fixture_definitions
from teller.loans import ApplicationDraft, TermsError
from tests.helpers import PASSWORD, enrol
from tests.loan_support import (
    CLEAR_CHECK, consumer_draft, fund_draft, make_customer, make_staff, under_review, with_amount,
)
from tests.servicing_support import HOME_FACTS, combined_terms


@pytest.fixture
def officer(db, bank):
    return make_staff(db, bank, "officer1", ("loan_officer",))


@pytest.fixture
def customer_id(db, officer):
    return make_customer(db, officer)


def _signed_now():
    return clock.now()


def _refusal(db, sql: str, params: dict) -> str:
    with pytest.raises(DBAPIError) as caught:
        with db.engine.begin() as connection:
            connection.execute(text(sql), params)
    return str(caught.value.orig)


def _books_are_clean(db) -> None:
    assert db.run(ledger.verify, readonly=True).problem is None
    assert db.run(lambda session: audit.verify_chain(session, session.info["audit_key"]), readonly=True).ok


# --- The workflow -------------------------------------------------------------------------------------


def test_an_application_goes_from_draft_to_signed_recording_who_did_what(db, bank, officer, customer_id):
    made = loans.create_application(db, officer, consumer_draft(customer_id))
    assert made.state == "DRAFT" and made.number == "DK01012026000001" and made.originator_name == "Officer1"
    assert loans.create_application(db, officer, consumer_draft(customer_id)).number == "DK01012026000002"
    loans.submit(db, officer, made.id)
    loans.start_review(db, bank.supervisor, made.id, notes="income verified with employer", credit_check=CLEAR_CHECK)
    approved = loans.approve(db, bank.supervisor, made.id, "sound income, low debt")
    assert approved.state == "APPROVED" and approved.required_approvals == 1
    signed = loans.sign(db, officer, made.id, signed_at=_signed_now(), place="0101 branch, interview room 2")
    assert signed.state == "CONTRACT_SIGNED"

    file = loans.application_file(db, made.id)
    schedule = file.quote.tranches[0].schedule
    assert (file.quote.installment, len(schedule.installments), schedule.installments[-1].balance_after) == (
        2_952_40, 36, 0)
    assert [(event.action, event.staff_name, event.from_state, event.to_state) for event in file.history] == [
        ("created", "Officer1", None, None),
        ("submitted", "Officer1", "DRAFT", "SUBMITTED"),
        ("review_started", "Super1", "SUBMITTED", "UNDER_REVIEW"),
        ("credit_checked", "Super1", None, None),
        ("approved", "Super1", "UNDER_REVIEW", "APPROVED"),
        ("signed", "Officer1", "APPROVED", "CONTRACT_SIGNED"),
    ]
    assert file.history[2].reason == "income verified with employer"
    check = file.credit_checks[0]
    assert (check.result, check.reference, check.checked_by) == ("clear", "ZX2026112400017", "Super1")
    assert [(a.approver_name, a.role, a.level, a.decision) for a in file.approvals] == [
        ("Super1", "supervisor", 1, "APPROVED")]
    assert file.signing.contract_number == "HT01012026000001" and file.signing.signed_by == "Officer1"
    assert file.signing.place == "0101 branch, interview room 2"
    actions = db.run(lambda s: s.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "loan_application", AuditEvent.object_id == str(made.id))
        .order_by(AuditEvent.seq)).all(), readonly=True)
    assert actions == ["loan.created", "loan.submitted", "loan.review_started",
                                         "loan.credit_checked", "loan.approved", "loan.signed"]
    assert loans.find_by_number(db, "ht01012026000001").id == made.id

    loan = customers.customer_file(db, customer_id).loans[1]
    assert (loan.number, loan.state, loan.amount, loan.outstanding_principal, loan.days_past_due) == (
        "DK01012026000001", "CONTRACT_SIGNED", 100_000_00, 0, 0)
    hits = customers.search(db, "DK0101202600000")
    assert [(hit.name, hit.matched_on) for hit in hits] == [("王芳", "loan")]
    _books_are_clean(db)


def test_returned_application_is_edited_and_resubmitted_for_a_new_round(db, bank, officer, customer_id):
    made = under_review(db, officer, bank.supervisor, consumer_draft(customer_id))
    with pytest.raises(InputError, match="say what the officer must fix"):
        loans.return_to_officer(db, bank.supervisor, made.id, "  ")
    returned = loans.return_to_officer(db, bank.supervisor, made.id, "bring the tax record; lower the amount")
    assert returned.state == "RETURNED"
    other = make_staff(db, bank, "officer2", ("loan_officer",))
    with pytest.raises(ApprovalError, match="only the originating officer"):
        loans.update_draft(db, other, made.id, with_amount(consumer_draft(customer_id), 80_000_00))
    edited = loans.update_draft(db, officer, made.id, with_amount(consumer_draft(customer_id), 80_000_00))
    assert edited.amount == 80_000_00 and edited.state == "RETURNED"
    with pytest.raises(ApprovalError, match="cannot submit"):
        loans.submit(db, officer, made.id)
    again = loans.resubmit(db, officer, made.id, "amount lowered, tax record attached")
    assert (again.state, again.review_round) == ("SUBMITTED", 2)
    with pytest.raises(ApprovalError, match="cannot approve"):
        loans.approve(db, bank.supervisor, made.id)
    loans.start_review(db, bank.supervisor, made.id, notes="second look", credit_check=CLEAR_CHECK)
    assert loans.approve(db, bank.supervisor, made.id).state == "APPROVED"
    file = loans.application_file(db, made.id)
    assert [(a.review_round, a.decision) for a in file.approvals] == [(1, "RETURNED"), (2, "APPROVED")]
    assert [event.action for event in file.history][-6:] == [
        "returned", "updated", "resubmitted", "review_started", "credit_checked", "approved"]
    assert next(e for e in file.history if e.action == "returned").reason == "bring the tax record; lower the amount"


def test_rejection_is_final(db, bank, officer, customer_id):
    made = under_review(db, officer, bank.supervisor, consumer_draft(customer_id))
    rejected = loans.reject(db, bank.supervisor, made.id, "adverse credit history")
    assert rejected.state == "REJECTED"
    for attempt in (lambda: loans.approve(db, bank.manager, made.id),
                    lambda: loans.resubmit(db, officer, made.id),
                    lambda: loans.update_draft(db, officer, made.id, consumer_draft(customer_id))):
        with pytest.raises(ApprovalError, match="rejected"):
            attempt()
    assert loans.pipeline(db, officer) == []
    assert [row.state for row in loans.pipeline(db, officer, include_closed=True)] == ["REJECTED"]


def test_submission_refused_while_rules_are_broken_listing_every_rule(db, bank, officer, customer_id):
    draft = fund_draft(customer_id, fund_contribution_months=3, previous_fund_loan_settled=False,
                       property_price=500_000_00)
    made = loans.create_application(db, officer, draft)
    assert [v.rule for v in loans.application_file(db, made.id).violations] == [
        "fund_contribution_months", "previous_fund_loan_settled", "ltv"]
    with pytest.raises(TermsError) as refused:
        loans.submit(db, officer, made.id)
    assert [v.rule for v in refused.value.violations] == ["fund_contribution_months", "previous_fund_loan_settled",
                                                          "ltv"]
    assert refused.value.field == "fund contribution months" and "at least 6" in str(refused.value)
    assert loans.get_application(db, made.id).state == "DRAFT"
    fixed = loans.update_draft(db, officer, made.id, fund_draft(customer_id))
    assert loans.submit(db, officer, fixed.id).state == "SUBMITTED"


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: with_amount(d, 0), "amount"),
    (lambda d: with_amount(d, -5_00), "amount"),
    (lambda d: with_amount(d, 2**63), "amount"),
    (lambda d: replace(d, terms=replace(d.terms, tranches=(replace(d.terms.tranches[0], term_months=0),))), "term"),
    (lambda d: replace(d, terms=replace(d.terms, tranches=(replace(
        d.terms.tranches[0], annual_rate=Decimal("0.0412345")),))), "rate"),
    (lambda d: replace(d, terms=replace(d.terms, tranches=(replace(d.terms.tranches[0], method="balloon"),))),
     "method"),
    (lambda d: replace(d, terms=replace(d.terms, product_code="mystery")), "product"),
    (lambda d: replace(d, customer_id=999_999), "customer"),
    (lambda d: replace(d, terms=replace(d.terms, purpose="x" * 501)), "purpose"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(db, bank, officer, customer_id, change, field):
    with pytest.raises(InputError) as refused:
        loans.create_application(db, officer, change(consumer_draft(customer_id)))
    assert refused.value.field == field
    assert db.run(lambda s: s.scalars(select(LoanApplication.id)).all(), readonly=True) == []


def test_only_loan_officers_originate(db, bank, customer_id):
    with pytest.raises(ApprovalError, match="not a loan officer"):
        loans.create_application(db, bank.teller, consumer_draft(customer_id))


# --- Separation of duties and authority ---------------------------------------------------------------


def test_the_originator_never_reviews_or_approves(db, bank, customer_id):
    both = make_staff(db, bank, "officer9", ("loan_officer", "supervisor"))
    made = loans.create_application(db, both, consumer_draft(customer_id, 50_000_00))
    loans.submit(db, both, made.id)
    with pytest.raises(ApprovalError, match="you originated"):
        loans.start_review(db, both, made.id, notes="looks fine", credit_check=CLEAR_CHECK)
    loans.start_review(db, bank.supervisor, made.id, notes="looks fine", credit_check=CLEAR_CHECK)
    with pytest.raises(ApprovalError, match="you originated"):
        loans.approve(db, both, made.id)
    assert [row.number for row in loans.pipeline(db, both, view="approver")] == []
    assert [row.number for row in loans.pipeline(db, bank.supervisor, view="approver")] == [made.number]

    def sneak(session):  # a programming mistake through the ORM: the session guard stops it
        session.add(LoanApproval(application_id=made.id, review_round=1, approver_id=both.staff_id,
                                 role="supervisor", level=1, decision="APPROVED", decided_at=clock.now()))
        session.flush()

    with pytest.raises(LedgerGuardError, match="originator"):
        db.run(sneak)
    refused = _refusal(db, "INSERT INTO loan_approval (application_id, review_round, approver_id, role, level,"
                           " decision, decided_at) VALUES (:id, 1, :who, 'supervisor', 1, 'APPROVED', CURRENT_TIMESTAMP)",
                       {"id": made.id, "who": both.staff_id})
    assert "originator of a loan application never decides" in refused
    assert loans.get_application(db, made.id).state == "UNDER_REVIEW"


def test_approval_authority_rises_with_the_amount(db, bank, officer, customer_id):
    # Supervisor alone up to 200,000; manager alone up to 500,000; above that both, junior first.
    small = under_review(db, officer, bank.supervisor, consumer_draft(customer_id, 200_000_00))
    assert loans.approve(db, bank.supervisor, small.id).state == "APPROVED"

    middle = under_review(db, officer, bank.supervisor, consumer_draft(customer_id, 200_000_01))
    with pytest.raises(ApprovalError, match="above super1's loan limit"):
        loans.approve(db, bank.supervisor, middle.id)
    assert loans.approve(db, bank.manager, middle.id).state == "APPROVED"

    large = under_review(db, officer, bank.supervisor, consumer_draft(customer_id, 800_000_00))
    assert large.required_approvals == 2
    with pytest.raises(ApprovalError, match="more junior approver approves first"):
        loans.approve(db, bank.manager, large.id)
    first = loans.approve(db, bank.supervisor, large.id, "first key")
    assert first.state == "UNDER_REVIEW"
    with pytest.raises(ApprovalError, match="already approved"):
        loans.approve(db, bank.supervisor, large.id)
    with pytest.raises(ApprovalError, match="more senior approver"):
        loans.approve(db, bank.supervisor2, large.id)
    assert [row.number for row in loans.pipeline(db, bank.supervisor, view="approver")] == []
    assert [row.number for row in loans.pipeline(db, bank.manager, view="approver")] == [large.number]
    assert loans.approve(db, bank.manager, large.id, "second key").state == "APPROVED"
    with pytest.raises(ApprovalError, match="may not review"):
        loans.approve(db, bank.teller, small.id)


def test_an_approver_signs_the_approval_with_password_and_code(db, bank, officer, customer_id, monkeypatch):
    made = under_review(db, officer, bank.supervisor, consumer_draft(customer_id))
    enrolled_at = clock.now() - timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: enrolled_at)
    secret = enrol(db, "super2")
    monkeypatch.undo()
    with pytest.raises(AuthenticationError):
        loans.approve_with_second_key(db, made.id, username="super2", password="Wrong#Pass2026",
                                      totp_code=totp.code_at(secret, clock.now()), terminal="t2")
    approved = loans.approve_with_second_key(db, made.id, "verified", username="super2", password=PASSWORD,
                                             totp_code=totp.code_at(secret, clock.now()), terminal="t2")
    assert approved.state == "APPROVED"
    assert loans.application_file(db, made.id).approvals[0].approver_name == "Super2"
    with pytest.raises(ApprovalError, match="cannot submit"):
        loans.submit(db, officer, made.id)


def test_amount_above_the_branch_authority_cannot_be_submitted(db, bank, officer):
    rich = make_customer(db, officer, "李强", "11010119800101001")
    made = loans.create_application(db, officer, fund_draft(rich))
    mortgage = replace(fund_draft(rich), terms=replace(fund_draft(rich).terms, product_code="commercial_mortgage"))
    big = loans.create_application(db, officer, replace(mortgage, terms=replace(mortgage.terms, tranches=(replace(
        mortgage.terms.tranches[0], amount=6_000_000_00, annual_rate=Decimal("0.0305")),)),
        facts=replace(mortgage.facts, property_price=10_000_000_00)))
    with pytest.raises(ApprovalError, match="head office"):
        loans.submit(db, officer, big.id)
    assert loans.submit(db, officer, made.id).state == "SUBMITTED"


def test_farm_loans_follow_their_own_delegation(db, bank):
    from teller import policy

    table = db.run(lambda s: policy.route_authorities(s, ("loan.farmer_micro", "loan"), "CNY"), readonly=True)
    assert (table["supervisor"].single_limit, table["branch_manager"].single_limit) == (50_000_00, 500_000_00)
    change = admin_changes.propose_limit(db, bank.admin, kind="loan.farmer_micro", role="supervisor", level=1,
                                         currency="CNY", single_limit=20_000_00, joint_limit=20_000_00)
    admin2 = staff.actor_for(db.run(lambda session: staff.create_staff(
        session, system_actor("tests"), username="admin2", display_name="Admin Two", branch_code=bank.branch_code,
        roles=("admin",), password=PASSWORD)), "t2")
    admin_changes.decide(db, change.id, admin2, approve=True)
    officer = make_staff(db, bank, "officer1", ("loan_officer",))
    farmer = make_customer(db, officer, "张秀英", "11010119700101002")
    draft = replace(consumer_draft(farmer, 30_000_00, rate="0.045", months=24), facts=replace(
        consumer_draft(farmer).facts, guarantee_group=True))
    draft = replace(draft, terms=replace(draft.terms, product_code="farmer_micro"))
    made = under_review(db, officer, bank.supervisor, draft)
    with pytest.raises(ApprovalError, match="loan limit of 20,000.00"):
        loans.approve(db, bank.supervisor, made.id)
    assert loans.approve(db, bank.manager, made.id).state == "APPROVED"


def test_database_refuses_approved_without_the_approvals_and_history_rewrites(db, bank, officer, customer_id):
    large = under_review(db, officer, bank.supervisor, consumer_draft(customer_id, 800_000_00))
    loans.approve(db, bank.supervisor, large.id)
    refused = _refusal(db, "UPDATE loan_application SET state = 'APPROVED' WHERE id = :id", {"id": large.id})
    assert "lacks the approvals its amount requires" in refused
    refused = _refusal(db, "UPDATE loan_approval SET approver_id = :who WHERE application_id = :id",
                       {"who": bank.manager.staff_id, "id": large.id})
    assert "loan approvals are never changed or deleted" in refused
    refused = _refusal(db, "DELETE FROM loan_event WHERE application_id = :id", {"id": large.id})
    assert "loan history rows are never changed or deleted" in refused
    refused = _refusal(db, "DELETE FROM loan_application WHERE id = :id", {"id": large.id})
    assert "never deleted" in refused


def test_a_fund_loan_is_refused_while_the_ledger_holds_another_unsettled_fund_loan_of_the_customer(
        db, bank, officer, customer_id):
    rejected = under_review(db, officer, bank.supervisor, fund_draft(customer_id))
    loans.reject(db, bank.manager, rejected.id, "property title unclear")
    first = under_review(db, officer, bank.supervisor, fund_draft(customer_id))
    second = loans.create_application(db, officer, fund_draft(customer_id, 300_000_00))
    loans.submit(db, officer, second.id)  # the rejected one never counts, the first is not approved yet
    loans.approve(db, bank.manager, first.id)
    loans.start_review(db, bank.supervisor, second.id, notes="income verified", credit_check=CLEAR_CHECK)
    with pytest.raises(TermsError, match="previous fund loan settled") as refused:
        loans.approve(db, bank.manager, second.id)
    assert [v.rule for v in refused.value.violations] == ["previous_fund_loan_settled"]
    assert f"fund loan {first.number} is not settled" in refused.value.violations[0].message
    assert loans.get_application(db, second.id).state == "UNDER_REVIEW"

    combined = loans.create_application(db, officer, ApplicationDraft(customer_id, combined_terms(), HOME_FACTS))
    assert [v.rule for v in loans.application_file(db, combined.id).violations] == ["previous_fund_loan_settled"]
    with pytest.raises(TermsError, match=first.number):
        loans.submit(db, officer, combined.id)
    assert loans.submit(db, officer, loans.create_application(db, officer, consumer_draft(customer_id)).id).state \
        == "SUBMITTED"  # other products do not ask
    assert loans.application_file(db, first.id).violations == ()  # an approved loan is not held against itself


# --- Frozen terms -------------------------------------------------------------------------------------


def test_terms_are_frozen_after_signing_by_service_guard_and_database(db, bank, officer, customer_id):
    made = under_review(db, officer, bank.supervisor, consumer_draft(customer_id))
    with pytest.raises(ApprovalError, match="cannot edit"):
        loans.update_draft(db, officer, made.id, with_amount(consumer_draft(customer_id), 90_000_00))
    loans.approve(db, bank.supervisor, made.id)
    loans.sign(db, officer, made.id, signed_at=_signed_now(), place="branch")
    with pytest.raises(ApprovalError, match="cannot edit"):
        loans.update_draft(db, officer, made.id, with_amount(consumer_draft(customer_id), 90_000_00))
    with pytest.raises(ApprovalError, match="cannot sign"):
        loans.sign(db, officer, made.id, signed_at=_signed_now(), place="branch")

    def sneak_amount(session):
        session.get(LoanApplication, made.id).amount = 1_000_000_00
        session.flush()

    def sneak_rate(session):
        session.scalars(select(LoanTranche).where(LoanTranche.application_id == made.id)).one().rate_ppm = 1
        session.flush()

    for sneak in (sneak_amount, sneak_rate):
        with pytest.raises(LedgerGuardError, match="frozen"):
            db.run(sneak)
    for sql in ("UPDATE loan_application SET amount = amount * 10 WHERE id = :id",
                "UPDATE loan_application SET first_due_date = '2027-01-20' WHERE id = :id",
                "UPDATE loan_tranche SET rate_ppm = 1 WHERE application_id = :id",
                "DELETE FROM loan_tranche WHERE application_id = :id",
                "INSERT INTO loan_tranche (application_id, kind, amount, rate_ppm, method, term_months)"
                " VALUES (:id, 'fund', 100, 1, 'bullet', 12)"):
        assert "terms are frozen" in _refusal(db, sql, {"id": made.id})
    assert "keeps its number, originator and branch" in _refusal(
        db, "UPDATE loan_application SET originator_id = :who WHERE id = :id",
        {"id": made.id, "who": bank.supervisor.staff_id})
    file = loans.application_file(db, made.id)
    assert file.application.amount == 100_000_00 and file.application.tranches[0].annual_rate == \
        Decimal("0.04")


def test_signing_needs_an_approved_application_a_place_and_a_past_time(db, bank, officer, customer_id):
    made = under_review(db, officer, bank.supervisor, consumer_draft(customer_id))
    with pytest.raises(ApprovalError, match="cannot sign"):
        loans.sign(db, officer, made.id, signed_at=_signed_now(), place="branch")
    refused = _refusal(db, "INSERT INTO loan_signing (application_id, contract_number, signed_by, signed_at, place,"
                           " recorded_at) VALUES (:id, 'HTX', :who, CURRENT_TIMESTAMP, 'x', CURRENT_TIMESTAMP)",
                       {"id": made.id, "who": officer.staff_id})
    assert "only an approved application is signed" in refused
    loans.approve(db, bank.supervisor, made.id)
    with pytest.raises(InputError, match="where the contract was signed"):
        loans.sign(db, officer, made.id, signed_at=_signed_now(), place="   ")
    with pytest.raises(InputError, match="future"):
        loans.sign(db, officer, made.id, signed_at=clock.now() + timedelta(hours=1), place="branch")
    with pytest.raises(InputError, match="after the approval"):
        loans.sign(db, officer, made.id, signed_at=datetime(2026, 1, 1, tzinfo=UTC), place="branch")


# --- The checklist ------------------------------------------------------------------------------------


def test_checklist_states_and_either_or_satisfaction(db, bank, officer, customer_id):
    made = loans.create_application(db, officer, fund_draft(customer_id))
    items = {item.code: item for item in loans.application_file(db, made.id).checklist}
    assert items["fund_contribution_record"].either_or == items["tax_record"].either_or == "income_proof"
    assert all(item.state == "MISSING" for item in items.values())
    missing = loans.missing_documents(db, made.id)
    assert ("Personal", ("Resident identity card", "Household register or Marriage certificate",
                         "Fund contribution record or Tax record")) in missing.groups
    with pytest.raises(ApprovalError, match="must be received before it is verified"):
        loans.verify_item(db, officer, made.id, "id_card")
    required = [code for code, item in items.items() if not item.either_or]
    for code in required + ["household_register", "tax_record"]:
        loans.receive_item(db, officer, made.id, code)
        verified = loans.verify_item(db, bank.supervisor, made.id, code)
    assert (verified.state, verified.received_by, verified.verified_by) == ("VERIFIED", "Officer1", "Super1")
    with pytest.raises(ApprovalError, match="already"):
        loans.receive_item(db, officer, made.id, "id_card")
    with pytest.raises(InputError, match="no checklist item"):
        loans.receive_item(db, officer, made.id, "selfie")
    file = loans.application_file(db, made.id)
    assert file.checklist_complete  # the tax record stands in for the fund record, one civil-status paper is enough
    assert {item.code: item.state for item in file.checklist}["fund_contribution_record"] == "MISSING"
    assert loans.missing_documents(db, made.id).complete
    assert "Nothing more is needed." in loans.format_missing_documents(loans.missing_documents(db, made.id))


def test_a_received_document_is_not_asked_for_again_but_keeps_the_checklist_open(db, bank, officer, customer_id):
    made = loans.create_application(db, officer, consumer_draft(customer_id))
    loans.receive_item(db, officer, made.id, "income_certificate")
    missing = loans.missing_documents(db, made.id)
    assert all("income certificate" not in line for _group, lines in missing.groups for line in lines)
    assert not loans.application_file(db, made.id).checklist_complete


def test_a_waiver_needs_a_reason_and_the_second_key_of_another_person(db, bank, officer, customer_id, monkeypatch):
    made = loans.create_application(db, officer, consumer_draft(customer_id))
    with pytest.raises(ApprovalError, match="different person"):
        loans.waive_item(db, officer, officer, made.id, "loan_purpose_proof", "renovation quote to follow")
    with pytest.raises(ApprovalError, match="second key on a waiver"):
        loans.waive_item(db, officer, bank.teller, made.id, "loan_purpose_proof", "renovation quote to follow")
    with pytest.raises(InputError, match="why the document is waived"):
        loans.waive_item(db, officer, bank.supervisor, made.id, "loan_purpose_proof", " ")
    enrolled_at = clock.now() - timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: enrolled_at)
    secret = enrol(db, "super2")
    monkeypatch.undo()
    with pytest.raises(AuthenticationError):
        loans.waive_item_with_second_key(db, officer, made.id, "loan_purpose_proof", "quote to follow",
                                         username="super2", password="Wrong#Pass2026",
                                         totp_code=totp.code_at(secret, clock.now()), terminal="t1")
    waived = loans.waive_item_with_second_key(db, officer, made.id, "loan_purpose_proof", "quote to follow",
                                              username="super2", password=PASSWORD,
                                              totp_code=totp.code_at(secret, clock.now()), terminal="t1")
    assert (waived.state, waived.waived_by, waived.waiver_checker, waived.waiver_reason) == (
        "WAIVED", "Officer1", "Super2", "quote to follow")
    event = loans.application_file(db, made.id).history[-1]
    assert (event.action, event.reason) == ("document_waived", "quote to follow")
    refused = _refusal(db, "UPDATE checklist_item SET state = 'WAIVED', waived_by = :who, waiver_reason = 'x'"
                           " WHERE application_id = :id AND code = 'id_card'", {"id": made.id, "who": officer.staff_id})
    assert "waiver_has_second_key" in refused


# --- Pipelines ----------------------------------------------------------------------------------------


def test_officer_pipeline_by_state_and_approver_queue(db, bank, officer, customer_id):
    draft = loans.create_application(db, officer, consumer_draft(customer_id))
    waiting = loans.create_application(db, officer, consumer_draft(customer_id))
    loans.submit(db, officer, waiting.id)
    other = make_staff(db, bank, "officer2", ("loan_officer",))
    foreign = loans.create_application(db, other, consumer_draft(customer_id))
    rows = loans.pipeline(db, officer)
    assert [(row.number, row.state, row.age_days) for row in rows] == [
        (draft.number, "DRAFT", 0), (waiting.number, "SUBMITTED", 0)]
    assert foreign.number not in [row.number for row in rows]
    assert [row.number for row in loans.pipeline(db, bank.supervisor, view="approver")] == [waiting.number]
    with pytest.raises(InputError):
        loans.pipeline(db, officer, view="everyone")


# --- Products under four eyes -------------------------------------------------------------------------


def test_a_product_change_applies_only_after_a_second_admin(db, bank, officer, customer_id):
    admin2 = staff.actor_for(db.run(lambda session: staff.create_staff(
        session, system_actor("tests"), username="admin2", display_name="Admin Two", branch_code=bank.branch_code,
        roles=("admin",), password=PASSWORD)), "t2")
    definition = next(d for d in fixture_definitions() if d["code"] == "consumer")
    definition["tranches"][0]["rate"]["floor"] = "0.04500"
    with pytest.raises(InputError, match="penalty-rate multiple"):
        admin_changes.propose_product(db, bank.admin, {**definition, "penalty_rate_multiple": "5"})
    with pytest.raises(ApprovalError, match="not an admin"):
        admin_changes.propose_product(db, officer, definition)
    change = admin_changes.propose_product(db, bank.admin, definition)
    assert loans.get_product(db, "consumer").tranches[0].rate.floor == Decimal("0.03")
    with pytest.raises(ApprovalError, match="different admin"):
        admin_changes.decide(db, change.id, bank.admin, approve=True)
    admin_changes.decide(db, change.id, admin2, approve=True)
    product = loans.get_product(db, "consumer")
    assert product.version == 2 and str(product.tranches[0].rate.floor) == "0.04500"
    made = loans.create_application(db, officer, consumer_draft(customer_id, rate="0.0400"))
    assert [v.rule for v in loans.application_file(db, made.id).violations] == ["rate_range"]
    withdrawn = admin_changes.propose_product(db, admin2, definition, active=False)
    admin_changes.decide(db, withdrawn.id, bank.admin, approve=True)
    assert "consumer" not in [p.code for p in loans.list_products(db)]
    with pytest.raises(InputError, match="no longer offered"):
        loans.create_application(db, officer, consumer_draft(customer_id))
    _books_are_clean(db)
