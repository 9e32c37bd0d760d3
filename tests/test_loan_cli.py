"""The loan product commands: list, show, and a four-eyes change proposed from a JSON file."""

import json
from datetime import timedelta

from teller import clock, loans, staff, totp
from teller.actor import system_actor
from tests.helpers import PASSWORD, enrol
from tests.test_cli import teller


def test_product_change_from_a_file_applies_after_a_second_admin(db, bank, location, tmp_path):
    listed = teller(location, "product", "list")
    assert listed.returncode == 0 and "housing_fund" in listed.stdout and "住房公积金贷款" in listed.stdout
    definition = json.loads(teller(location, "product", "show", "auto").stdout)
    definition["tranches"][0]["term_months"]["max"] = 48
    path = tmp_path / "auto.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    db.run(lambda session: staff.create_staff(session, system_actor("t"), username="admin2", display_name="A2",
                                              branch_code=bank.branch_code, roles=("admin",), password=PASSWORD))
    secrets = {username: enrol(db, username) for username in ("admin1", "admin2")}

    def next_code(username):
        return totp.code_at(secrets[username], clock.now() + timedelta(seconds=30))

    proposed = teller(location, "product", "propose", str(path), "--as", "admin1",
                      stdin=f"{PASSWORD}\n{next_code('admin1')}\n")
    assert proposed.returncode == 0, proposed.stderr
    change_id = proposed.stdout.split("admin change ")[1].split()[0]
    assert loans.get_product(db, "auto").tranches[0].term_months.high == 60
    approved = teller(location, "admin", "approve", change_id, "--as", "admin2",
                      stdin=f"{PASSWORD}\n{next_code('admin2')}\n")
    assert approved.returncode == 0, approved.stderr
    product = loans.get_product(db, "auto")
    assert (product.version, product.tranches[0].term_months.high) == (2, 48)
    path.write_text("{not json", encoding="utf-8")
    broken = teller(location, "product", "propose", str(path), "--as", "admin1")
    assert broken.returncode != 0 and "not JSON" in broken.stderr
