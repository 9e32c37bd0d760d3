"""The loan screens' main flows once more on PostgreSQL: an officer enters and submits a loan, a supervisor
reviews and approves it with their own credentials (the flows themselves are in test_ui_loans.py)."""

import pytest

from tests import test_ui_loans

pytestmark = [pytest.mark.parametrize("dialect", ["postgresql"], indirect=True), pytest.mark.postgres]

loan_bank = test_ui_loans.loan_bank
test_entry_on_postgresql = test_ui_loans.test_a_loan_officer_starts_on_the_pipeline_and_enters_a_loan_with_a_live_schedule
test_review_and_approval_on_postgresql = (
    test_ui_loans.test_a_supervisor_reviews_with_the_credit_check_and_approves_with_own_password_and_code)
