"""The customer file (customer 360): identity, contacts, accounts, transactions, pending work and notes."""

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane, Tabs

from teller import customers, instructions, loans
from teller.actor import Actor
from teller.ui.commands import COUNTER_MAKERS, CUSTOMER_MAKERS, UserCommand
from teller.customers import CustomerChangeView, CustomerFile, TransactionLine, TransactionPage
from teller.errors import TellerError
from teller.loans import ORIGINATOR_ROLES
from teller.i18n import N_, _, format_amount, format_day, format_moment
from teller.ui.widgets.table import Table
from teller.ui.widgets.input import Input
from teller.ui.workers import post_if_current
from screens.base import TellerScreen
from screens.lookup import SEGMENT_NAMES
from screens.names import ACCOUNT_STATUS_NAMES, GENDER_NAMES, ID_TYPE_NAMES
from screens.second_key import SecondKeyScreen

EDIT = UserCommand("edit_customer", "f4", "edit", N_("Edit"), N_("Edit this customer's file"), roles=CUSTOMER_MAKERS)
NOTE = UserCommand("add_note", "f5", "note", N_("Note"), N_("Add a note to the visit log"), roles=CUSTOMER_MAKERS)
OLDER = UserCommand("older", "f6", "older", N_("Older"), N_("Load the next page of older transactions"))
# F7 and Ctrl+X are named on the status line while an identity change waits, and kept off the footer.
SECOND_KEY = UserCommand("second_key", "f7", "second_key", N_("Second key"),
                         N_("A supervisor approves the pending identity change here"), show=False)
# A checker, never the maker, rejects (as they approve): the reason, then their own password and code. The schema
# records a decided change with its checker, so a maker's own change leaves the queue only by a checker's decision.
REJECT_CHANGE = UserCommand("reject_change", "ctrl+x", "reject_change", N_("Reject"),
                            N_("A supervisor rejects the pending identity change, saying why"), show=False)
NEW_LOAN = UserCommand("new_loan_application", "f9", "new_loan", N_("New loan"),
                       N_("Start a loan application for this customer"), roles=ORIGINATOR_ROLES)
COUNTER = UserCommand("counter", "f8", "counter", N_("Counter"),
                      N_("Cash deposit, cash withdrawal or transfer for this customer"), roles=COUNTER_MAKERS)
CORRECT = UserCommand("correct", "ctrl+r", "correct", N_("Void/reverse"),
                      N_("Void (same day) or reverse (later) the selected transaction"), roles=COUNTER_MAKERS,
                      show=False)
RECEIPT = UserCommand("receipt", "ctrl+e", "receipt", N_("Receipt"),
                      N_("Print the receipt of the selected transaction (a reprint if it was printed before)"),
                      roles=COUNTER_MAKERS, show=False)
BACK = UserCommand("back", "escape", "back", N_("Back"), N_("Back to the search"))
PHONE_KIND_NAMES = {"mobile": N_("Mobile"), "home": N_("Home"), "work": N_("Work")}
ADDRESS_KIND_NAMES = {"home": N_("Home address"), "work": N_("Work address"), "mailing": N_("Mailing address"),
                      "registered": N_("Registered address")}
FIELD_NAMES = {"id_type": N_("ID type"), "id_number": N_("ID number"), "birth_date": N_("Birth date"),
               "gender": N_("Gender"), "registered_mobile": N_("Registered mobile")}


class CustomerFileScreen(TellerScreen):
    HELP_TITLE = N_("Customer file")
    AUTO_FOCUS = "#file-tabs Tabs"  # not the hidden note box: keys typed on the file must not become a note
    PALETTE_COMMANDS = (EDIT, NOTE, OLDER, SECOND_KEY, REJECT_CHANGE, COUNTER, CORRECT, RECEIPT, NEW_LOAN)
    # F6 stays off the footer (F1 and Ctrl+P list it): 80 columns hold the others, F8 counter, F9 loan and F10 queue.
    BINDINGS = [*(command.binding() for command in (BACK, EDIT, NOTE)), OLDER.binding(show=False),
                *(command.binding() for command in (SECOND_KEY, REJECT_CHANGE, COUNTER, CORRECT, RECEIPT, NEW_LOAN))]
    DEFAULT_CSS = """
    #file-heading { padding: 0 1; text-style: bold; height: auto; }
    #file-status { padding: 0 1; height: auto; color: $warning; }
    #identity { padding: 0 1; height: auto; }
    #note-input { display: none; margin: 0 1; }
    #note-input.open { display: block; }
    #file-tabs { height: 1fr; }  /* the rest of the screen: no screen-level scrolling under the session bar */
    """

    class Loaded(Message):
        def __init__(self, file: CustomerFile, page: TransactionPage) -> None:
            super().__init__()
            self.file = file
            self.page = page

    class MorePage(Message):
        def __init__(self, page: TransactionPage) -> None:
            super().__init__()
            self.page = page

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class ChangeRejected(Message):
        def __init__(self, change_id: int) -> None:
            super().__init__()
            self.change_id = change_id

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.file: CustomerFile | None = None
        self.next_before: int | None = None
        self.line_by_key: dict[str, TransactionLine] = {}

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(_("Loading…"), id="file-heading", markup=False)
        yield Static("", id="file-status", markup=False)
        yield Input(placeholder=_("Type the note and press Enter; Escape leaves it"), id="note-input", max_length=500)
        with TabbedContent(id="file-tabs"):
            with TabPane(_("Identity"), id="tab-identity"):
                yield VerticalScroll(Static("", id="identity", markup=False))
            with TabPane(_("Accounts"), id="tab-accounts"):
                yield Table(id="accounts", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Transactions"), id="tab-transactions"):
                yield Table(id="transactions", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Loans"), id="tab-loans"):
                yield Table(id="loans", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Pending"), id="tab-pending"):
                yield Table(id="pending", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Notes"), id="tab-notes"):
                yield Table(id="notes", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#accounts", DataTable).add_columns(_("Account"), _("Ledger balance"), _("Available"),
                                                           _("Status"))
        self.query_one("#loans", DataTable).add_columns(_("Loan number"), _("Product"), _("State"), _("Amount"),
                                                        _("Outstanding"), _("Next due"), _("Days past due"))
        self.query_one("#transactions", DataTable).add_columns(_("Date"), _("Account"), _("Amount"), _("Narrative"))
        self.query_one("#pending", DataTable).add_columns(_("Instruction"), _("Kind"), _("Amount"), _("Maker"))
        self.query_one("#notes", DataTable).add_columns(_("When"), _("By"), _("Note"))
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="file")
    def load(self) -> None:
        try:
            file = customers.customer_file(self.app.db, self.customer_id)
            page = customers.recent_transactions(self.app.db, self.customer_id)
            post_if_current(self, self.Loaded(file, page))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_customer_file_screen_loaded(self, message: Loaded) -> None:
        file = self.file = message.file
        kind = _("Company") if file.kind == "company" else _("Individual")
        segment = _(SEGMENT_NAMES.get(file.segment, file.segment))
        self.query_one("#file-heading", Static).update(f"{file.name}  {file.masked_id}  {kind}  {segment}")
        status = []
        if file.pending_change:
            status.append(_("Identity change {id} waits for a second key (F7) or a rejection (Ctrl+X).").format(
                id=file.pending_change.id))
        if file.pending_instructions:
            status.append(_("{count} instruction(s) pending.").format(count=len(file.pending_instructions)))
        self.query_one("#file-status", Static).update("  ".join(status))
        self.refresh_bindings()  # Reject is listed only while a change waits
        self.query_one("#identity", Static).update(self._identity_text(file))
        accounts = self.query_one("#accounts", DataTable)
        accounts.clear()
        for account in file.accounts:
            accounts.add_row(account.number, format_amount(account.balance, account.currency),
                             format_amount(account.available, account.currency), _(ACCOUNT_STATUS_NAMES[account.status]))
        loans_table = self.query_one("#loans", DataTable)
        loans_table.clear()
        for loan in file.loans:
            loans_table.add_row(
                loan.number, loan.product_name, loans.state_name(loan.state), format_amount(loan.amount, loan.currency),
                format_amount(loan.outstanding_principal, loan.currency),
                format_day(loan.next_due_date) if loan.next_due_date else "", str(loan.days_past_due), key=str(loan.id))
        pending = self.query_one("#pending", DataTable)
        pending.clear()
        for instruction in file.pending_instructions:
            pending.add_row(str(instruction.id), instructions.kind_name(instruction.kind),
                            format_amount(instruction.amount, instruction.currency), instruction.maker_name)
        notes = self.query_one("#notes", DataTable)
        notes.clear()
        for note in file.notes:
            notes.add_row(format_moment(note.created_at), note.staff_name, note.text)
        self.query_one("#transactions", DataTable).clear()
        self.line_by_key.clear()
        self._add_page(message.page)

    def _identity_text(self, file: CustomerFile) -> str:
        def line(label: str, value: str) -> str:
            return _("{label}: {value}").format(label=label, value=value)

        lines = [line(_("Name"), file.name), line(_(ID_TYPE_NAMES.get(file.id_type, file.id_type)), file.masked_id)]
        if file.birth_date:
            lines.append(line(_("Born"), format_day(file.birth_date)))
        if file.gender:
            lines.append(line(_("Gender"), _(GENDER_NAMES.get(file.gender, file.gender))))
        for phone in file.phones:
            shown = _("{number} (registered)").format(number=phone.masked) if phone.is_registered else phone.masked
            lines.append(line(_(PHONE_KIND_NAMES.get(phone.kind, phone.kind)), shown))
        for address in file.addresses:
            lines.append(line(_(ADDRESS_KIND_NAMES.get(address.kind, address.kind)), address.text))
        lines.append(line(_("Relationship owner"), file.relationship_owner_name or _("none")))
        return "\n".join(lines)

    def _add_page(self, page: TransactionPage) -> None:
        table = self.query_one("#transactions", DataTable)
        for line in page.lines:
            key = str(line.posting_id)
            self.line_by_key[key] = line
            table.add_row(format_day(line.business_date), line.account_number,
                          format_amount(line.amount, line.currency), line.narrative, key=key)
        self.next_before = page.next_before

    def on_customer_file_screen_more_page(self, message: MorePage) -> None:
        self._add_page(message.page)

    def on_customer_file_screen_failed(self, message: Failed) -> None:
        self.query_one("#file-status", Static).update(message.reason)

    def action_back(self) -> None:
        note = self.query_one("#note-input", Input)
        if note.has_class("open"):
            self._close_note()
            return
        self.app.pop_screen()

    def _close_note(self) -> None:
        note = self.query_one("#note-input", Input)
        note.value = ""
        note.remove_class("open")
        self.query_one("#file-tabs Tabs", Tabs).focus()  # the hidden box must not keep the keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """New loan is listed only for loan officers (other roles keep their footer for their own keys); Reject
        is offered (Ctrl+X, the palette) only while a change waits for its second key."""
        if action == NEW_LOAN.action:
            return NEW_LOAN.allowed_for(self.app.session.actor.roles)
        if action == REJECT_CHANGE.action:
            return self.file is not None and self.file.pending_change is not None
        return True

    def action_new_loan(self) -> None:
        from screens.loan_entry import LoanEntryScreen

        if self.file is not None and NEW_LOAN.allowed_for(self.app.session.actor.roles):
            self.app.push_screen(LoanEntryScreen(self.customer_id, self.file.name))

    def action_edit(self) -> None:
        from screens.customer_form import CustomerFormScreen

        if self.file is not None and EDIT.allowed_for(self.app.session.actor.roles):
            self.app.push_screen(CustomerFormScreen(self.customer_id), lambda _saved: self.load())

    def action_note(self) -> None:
        if not NOTE.allowed_for(self.app.session.actor.roles):
            return
        note = self.query_one("#note-input", Input)
        note.add_class("open")
        note.focus()

    @on(Input.Submitted, "#note-input")
    def save_note(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.add_note(event.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="note")
    def add_note(self, text: str) -> None:
        try:
            customers.add_note(self.app.db, self.app.session.actor, self.customer_id, text)
            self.app.call_from_thread(self._note_saved)
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def _note_saved(self) -> None:
        self._close_note()
        self.query_one("#file-tabs", TabbedContent).active = "tab-notes"
        self.load()

    def action_older(self) -> None:
        if self.next_before is None:
            self.query_one("#file-status", Static).update(_("No older transactions."))
            return
        self.query_one("#file-tabs", TabbedContent).active = "tab-transactions"
        self.load_older(self.next_before)

    @work(thread=True, exclusive=True, exit_on_error=False, group="older")
    def load_older(self, before: int) -> None:
        try:
            self.post_message(self.MorePage(customers.recent_transactions(self.app.db, self.customer_id, before=before)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def _change_summary(self, change: CustomerChangeView) -> str:
        fields = ", ".join(_(FIELD_NAMES.get(field, field)) for field in change.after)
        return _("Change of {fields} for {name}").format(fields=fields, name=change.customer_name)

    def action_second_key(self) -> None:
        change = self.file.pending_change if self.file else None
        if change is None:
            self.query_one("#file-status", Static).update(_("Nothing here waits for a second key."))
            return
        self.app.push_screen(SecondKeyScreen(self._change_summary(change)), self._second_key_given)

    def action_reject_change(self) -> None:
        """A reason, then the supervisor's own credentials (as for approving); the customer stays as it was."""
        from screens.loan_dialogs import ReasonScreen

        change = self.file.pending_change if self.file else None
        if change is None:
            self.query_one("#file-status", Static).update(_("Nothing here waits for a second key."))
            return
        title = _("Reject: {change}").format(change=self._change_summary(change))

        def reason_given(reason: str | None) -> None:
            if reason is not None:
                self.app.push_screen(SecondKeyScreen(title + "\n" + _("Reason: {reason}").format(reason=reason)),
                                     lambda checker: self._rejected_by(change.id, reason, checker))

        self.app.push_screen(ReasonScreen(title, _("Why is the change rejected?")), reason_given)

    def _rejected_by(self, change_id: int, reason: str, checker: Actor | None) -> None:
        if checker is not None:
            self.reject_change(change_id, reason, checker)

    @work(thread=True, exclusive=True, exit_on_error=False, group="approve")
    def reject_change(self, change_id: int, reason: str, checker: Actor) -> None:
        try:
            customers.reject_customer_change(self.app.db, change_id, checker, reason)
            self.post_message(self.ChangeRejected(change_id))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_customer_file_screen_change_rejected(self, message: ChangeRejected) -> None:
        self.app.notify(_("Identity change {id} rejected: the customer stays as before.").format(id=message.change_id))
        self.load()

    def _second_key_given(self, checker: Actor | None) -> None:
        if checker is not None and self.file and self.file.pending_change:
            self.approve_change(self.file.pending_change.id, checker)

    @work(thread=True, exclusive=True, exit_on_error=False, group="approve")
    def approve_change(self, change_id: int, checker: Actor) -> None:
        try:
            customers.approve_customer_change(self.app.db, change_id, checker)
            self.app.call_from_thread(self.load)
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def action_counter(self) -> None:
        from screens.counter import CounterScreen

        if self.file is not None and COUNTER.allowed_for(self.app.session.actor.roles):
            self.app.push_screen(CounterScreen(self.customer_id), lambda _done: self.load())

    @on(DataTable.RowSelected, "#loans")
    def open_loan(self, event: DataTable.RowSelected) -> None:
        from screens.loan_application import LoanApplicationScreen

        self.app.push_screen(LoanApplicationScreen(int(event.row_key.value)))

    def _selected_line(self, hint: str) -> TransactionLine | None:
        """The line under the cursor of the Transactions tab; without one, `hint` tells the user what to do."""
        table = self.query_one("#transactions", DataTable)
        if self.query_one("#file-tabs", TabbedContent).active != "tab-transactions" or not table.row_count:
            self.query_one("#file-status", Static).update(hint)
            return None
        return self.line_by_key[table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value]

    def action_correct(self) -> None:
        """Void or reverse the transaction under the cursor of the Transactions tab."""
        from screens.correction import CorrectionScreen

        if not CORRECT.allowed_for(self.app.session.actor.roles):
            return
        line = self._selected_line(_("Choose a line on the Transactions tab, then Ctrl+R to void or reverse it."))
        if line is not None:
            self.app.push_screen(CorrectionScreen(line.entry_id), lambda _made: self.load())

    def action_receipt(self) -> None:
        """Print (or reprint) the receipt of the transaction under the cursor of the Transactions tab."""
        from screens.receipt import ReceiptScreen

        if not RECEIPT.allowed_for(self.app.session.actor.roles):
            return
        line = self._selected_line(_("Choose a line on the Transactions tab, then Ctrl+E for its receipt."))
        if line is not None:
            self.app.push_screen(ReceiptScreen(line.instruction_id))
