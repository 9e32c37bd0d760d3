"""A second terminal in its own process: submits one cash withdrawal at the counter and prints its id.

Run as ``python -m tests.submit_at_counter SPEC_JSON`` from the repository root, with the ledger's key file
named in the inherited environment (TELLER_KEY_FILE). SPEC_JSON holds the ledger URL, the teller (staff id,
user name, branch id) and the movement (customer id, account number, amount, document number)."""

import json
import sys

from sqlalchemy.engine import make_url

from teller import bootstrap, counter
from teller.actor import Actor
from teller.config import LedgerLocation


def main(spec: dict) -> None:
    db = bootstrap.open_database(LedgerLocation(make_url(spec["url"]), "second terminal"))
    teller = Actor(spec["staff_id"], spec["username"], ("teller",), spec["branch_id"], "second-terminal")
    made = counter.submit(db, teller, counter.MovementDraft(
        kind="cash_withdrawal", customer_id=spec["customer_id"], account_number=spec["account"],
        amount=spec["amount"], narrative="from the second terminal", document_type="resident_id",
        document_number=spec["document_number"], idempotency_key=counter.new_idempotency_key()))
    db.dispose()
    print(json.dumps({"instruction": made.id}), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
