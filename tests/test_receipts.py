"""Receipts and printable documents: numbers per branch unique and without gaps, reprints marked and
audited, the amount in capital numerals against the shared reference cases, and a PDF whose text layer
holds the Chinese text (ReportLab's built-in STSong-Light font, no font package needed)."""

import threading

import pypdf
import pytest
from sqlalchemy import select, text

from models import AuditEvent
from teller import i18n, receipts
from teller.documents import Document, render_pdf, render_text
from teller.errors import LedgerError
from teller.ledger import Leg
from teller.identifiers import mask_account
from teller.money import amount_in_words_rmb, parse_amount
from tests.helpers import assert_books_clean, deposit, post, reference, seed_bank, submit

REFERENCE = reference("identifiers.json")["amount_in_words_rmb"]


@pytest.fixture
def chinese():
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")


@pytest.mark.parametrize(("amount", "words"), sorted(REFERENCE.items()))
def test_capital_numerals_match_the_reference_cases(amount, words):
    assert amount_in_words_rmb(parse_amount(amount).minor) == words


def test_capital_numerals_of_small_and_round_amounts():
    assert amount_in_words_rmb(50) == "伍角"
    assert amount_in_words_rmb(1_000_000_00) == "壹佰万元整"
    with pytest.raises(ValueError):
        amount_in_words_rmb(-1)


@pytest.mark.parametrize(("amount", "words"), [
    # The People's Bank rules for filling in instruments (正确填写票据和结算凭证的基本规定): a zero inside the
    # figures is written 零, several zeros in a row once; a zero in the jiao place before non-zero fen puts 零
    # after 元; an amount that ends at 元 ends with 整; a zero 万 group between 亿 and 万 is one 零.
    ("1001", "壹仟零壹元整"),
    ("100000.05", "壹拾万元零伍分"),
    ("60036.31", "陆万零叁拾陆元叁角壹分"),
    ("0", "零元整"),
    ("100010000", "壹亿零壹万元整"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "叁佰贰拾伍元零肆分"),
])
def test_capital_numerals_write_zeros_as_the_banking_rules_say(amount, words):
    assert amount_in_words_rmb(parse_amount(amount, allow_zero=True).minor) == words


def test_receipt_numbers_run_without_gaps_per_branch_and_reprints_keep_the_number(db, bank):
    other = seed_bank(db, code="0202")
    made = [deposit(db, bank, bank.alice, amount) for amount in (100_00, 200_00, 300_00)]
    elsewhere = deposit(db, other, other.alice, 50_00)
    numbers = [receipts.print_receipt(db, bank.teller, instruction.id).number for instruction in made]
    assert numbers == [1, 2, 3]
    assert receipts.print_receipt(db, other.teller, elsewhere.id).number == 1
    again = receipts.print_receipt(db, bank.teller, made[0].id)
    assert (again.number, again.reprint, again.reprints) == (1, True, 1)
    assert receipts.print_receipt(db, bank.teller, made[0].id).reprints == 2
    assert receipts.print_receipt(db, bank.teller, deposit(db, bank, bank.bob, 1_00).id).number == 4
    rows = db.run(lambda session: session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("receipt.%")).order_by(AuditEvent.seq)).all(),
        readonly=True)
    assert rows.count("receipt.reprinted") == 2 and rows.count("receipt.issued") == 5
    assert_books_clean(db)


def test_concurrent_first_prints_take_distinct_numbers(db, bank):
    made = [deposit(db, bank, bank.alice, amount) for amount in (1_00, 2_00, 3_00, 4_00)]
    results, barrier = [], threading.Barrier(len(made))

    def issue(instruction_id):
        barrier.wait()
        results.append(receipts.print_receipt(db, bank.teller, instruction_id).number)

    threads = [threading.Thread(target=issue, args=(instruction.id,)) for instruction in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [1, 2, 3, 4]


def test_the_database_refuses_gaps_changes_and_receipts_of_unposted_instructions(db, bank):
    posted = deposit(db, bank, bank.alice, 100_00)
    receipts.print_receipt(db, bank.teller, posted.id)
    second = deposit(db, bank, bank.alice, 100_00)
    insert = ("INSERT INTO receipt (branch_id, number, instruction_id, issued_at, issued_by, reprints)"
              " VALUES (:branch, :number, :instruction, CURRENT_TIMESTAMP, :staff, 0)")
    with db.engine.connect() as connection:
        for sql, params, message in (
            (insert, {"number": 3, "instruction": second.id}, "without gaps"),
            ("UPDATE receipt SET number = 7", {}, "one more reprint"),
            ("UPDATE receipt SET reprints = reprints + 2", {}, "one more reprint"),
            ("DELETE FROM receipt", {}, "never deleted"),
        ):
            with pytest.raises(Exception, match=message):
                with connection.begin():
                    connection.execute(text(sql), {"branch": bank.branch_id, "staff": bank.teller.staff_id, **params})
    pending = submit(db, bank, [Leg(bank.drawer, debit=10_00), Leg(bank.alice, credit=10_00)], kind="cash_deposit")
    with pytest.raises(LedgerError, match="not posted"):
        receipts.print_receipt(db, bank.teller, pending.id)
    assert_books_clean(db)


def test_the_receipt_says_what_an_auditor_needs(db, bank):
    made = deposit(db, bank, bank.alice, 10_000_00)
    text_ = render_text(receipts.print_receipt(db, bank.teller, made.id).document())
    for wanted in ("Transaction receipt", "0101-00000001", "Test branch", "2026-11-24", "Cash deposit",
                   mask_account(bank.alice), "CNY 10,000.00", "壹万元整", "teller1", "super1", "test movement"):
        assert wanted in text_
    assert bank.alice not in text_  # masked
    assert "REPRINT" not in text_
    reprinted = render_text(receipts.print_receipt(db, bank.teller, made.id).document())
    assert "*** REPRINT ***" in reprinted


def test_a_transfer_receipt_names_the_account_paid_and_its_holder(db, bank, chinese):
    deposit(db, bank, bank.alice, 500_00)
    made = post(db, bank, [Leg(bank.alice, debit=120_00), Leg(bank.bob, credit=120_00)])
    view = receipts.print_receipt(db, bank.teller, made.id)
    assert (view.account, view.balance_after) == (mask_account(bank.alice), 380_00)  # the payer's
    assert ("收款账户", f"{mask_account(bank.bob)}  Bob 李强") in view.document().fields
    assert bank.bob not in render_text(view.document())
    cash = receipts.print_receipt(db, bank.teller, deposit(db, bank, bank.alice, 1_00).id)
    assert "收款账户" not in [label for label, _value in cash.document().fields]


def test_balance_after_is_the_balance_the_entry_left(db, bank):
    first = deposit(db, bank, bank.alice, 100_00)
    deposit(db, bank, bank.alice, 50_00)
    assert receipts.print_receipt(db, bank.teller, first.id).balance_after == 100_00


def test_a_chinese_receipt_pdf_has_its_chinese_text_layer(db, bank, tmp_path, chinese):
    made = deposit(db, bank, bank.alice, 1_234_567_89)
    receipts.print_receipt(db, bank.teller, made.id)
    receipt = receipts.print_receipt(db, bank.teller, made.id)
    path = render_pdf(receipt.document(), tmp_path / f"{receipt.file_name}.pdf")
    layer = pypdf.PdfReader(path).pages[0].extract_text()
    for wanted in ("业务回单", "重打", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分", "现金存款", "1,234,567.89"):
        assert wanted in layer


def test_text_columns_line_up_by_terminal_cells():
    document = Document(title="T", columns=("名称", "Amount"), rows=(("王芳", "1.00"), ("Zhang Wei", "10,000.00")),
                        right_aligned=frozenset({1}))
    lines = render_text(document).splitlines()
    table = [line for line in lines if "1.00" in line or "10,000.00" in line]
    assert len({len(line.encode("gbk")) for line in table}) == 1  # GBK: a Chinese character is two bytes, two cells


def test_a_long_pdf_runs_onto_more_pages(tmp_path):
    document = Document(title="长表 Long", columns=("#", "金额"), rows=tuple((str(n), f"{n}.00") for n in range(200)))
    assert len(pypdf.PdfReader(render_pdf(document, tmp_path / "long.pdf")).pages) > 1
