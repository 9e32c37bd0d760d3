from teller import ledger
from tests.helpers import deposit, post
from teller.ledger import Leg


def test_deposit_and_transfer_post_balanced(db, bank):
    deposit(db, bank, bank.alice, 100_00)
    view = post(db, bank, [Leg(bank.alice, debit=40_00), Leg(bank.bob, credit=40_00)])
    assert view.status == "APPROVED" and view.entry_id
    report = db.run(ledger.verify, readonly=True)
    assert report.ok, report.problem
    assert db.run(lambda s: ledger.account_balance(s, bank.alice)) == (60_00, 60_00)
