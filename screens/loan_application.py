"""The loan application file: terms, schedule, document checklist and history, with the steps the viewer's
role may take in the application's state. The service decides; a refusal is shown as it says it."""

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from teller import clock, loans
from teller.actor import Actor
from teller.errors import TellerError
from teller.i18n import N_, _, format_amount, format_day
from teller.instructions import CHECKER_ROLES
from teller.loan_products import GROUP_NAMES, TRANCHE_NAMES, format_rate
from teller.loan_documents import missing_documents_document, quote_document
from teller.loan_quote import quote_rows
from teller.schedule import METHOD_LABELS
from teller.loans import (
    CREDIT_RESULT_NAMES, EDITABLE_STATES, ITEM_STATE_NAMES, ORIGINATOR_ROLES, ApplicationFile, ChecklistItemView,
    TermsError, state_name,
)
from teller.ui.commands import UserCommand
from teller.ui.widgets.table import Table
from teller.ui.workers import post_if_current
from screens.base import TellerScreen
from screens.document import DocumentScreen
from screens.loan_dialogs import (
    ApprovalEntry, ApproveScreen, ReasonScreen, ReviewEntry, ReviewScreen, SigningEntry, SigningScreen,
)
from screens.loan_entry import fill_schedule, schedule_columns, summary_text
from screens.second_key import SecondKeyScreen

CHECKLIST_ROLES = ORIGINATOR_ROLES + CHECKER_ROLES
BACK = UserCommand("back", "escape", "back", N_("Back"), N_("Back to where you came from"))
EDIT = UserCommand("edit_application", "f4", "edit", N_("Edit"), N_("Change the terms of this draft"),
                   roles=ORIGINATOR_ROLES)
SUBMIT = UserCommand("submit_application", "f5", "submit", N_("Submit"), N_("Submit the application for review"),
                     roles=ORIGINATOR_ROLES)
REVIEW = UserCommand("start_review", "f6", "review", N_("Review"),
                     N_("Take the application into review with notes and the credit-bureau check"),
                     roles=CHECKER_ROLES)
APPROVE = UserCommand("approve_loan", "f7", "approve", N_("Approve loan"),
                      N_("Approve with your own password and code"), roles=CHECKER_ROLES)
RETURN = UserCommand("return_loan", "ctrl+r", "return_loan", N_("Return"),
                     N_("Send the application back to its officer, saying what to fix"), roles=CHECKER_ROLES)
REJECT = UserCommand("reject_loan", "ctrl+x", "reject", N_("Reject loan"), N_("Refuse the loan, with the reason"),
                     roles=CHECKER_ROLES)
SIGN = UserCommand("sign_contract", "ctrl+s", "sign", N_("Sign"),
                   N_("Record the face-to-face signing: place and time; the terms are frozen"), roles=ORIGINATOR_ROLES)
QUOTE = UserCommand("print_quote", "q", "quote", N_("Quote"), N_("Show the printable loan quote with its schedule"))
RECEIVE = UserCommand("receive_document", "r", "receive", N_("Received"),
                      N_("Mark the chosen document as received"), roles=CHECKLIST_ROLES)
VERIFY = UserCommand("verify_document", "v", "verify", N_("Verified"),
                     N_("Mark the chosen document as checked against the original"), roles=CHECKLIST_ROLES)
WAIVE = UserCommand("waive_document", "w", "waive", N_("Waive"),
                    N_("Waive the chosen document, with a reason and a supervisor's second key"),
                    roles=CHECKLIST_ROLES)
MISSING = UserCommand("missing_documents", "m", "missing", N_("Missing"),
                      N_("Show the printable list of documents the customer still has to bring"))
COMMANDS = (BACK, EDIT, SUBMIT, REVIEW, APPROVE, RETURN, REJECT, SIGN, QUOTE, RECEIVE, VERIFY, WAIVE, MISSING)
# In which states each step is offered (the service checks again and says why when it refuses).
STEP_STATES = {
    "edit": EDITABLE_STATES, "submit": EDITABLE_STATES, "review": ("SUBMITTED",), "approve": ("UNDER_REVIEW",),
    "return_loan": ("SUBMITTED", "UNDER_REVIEW"), "reject": ("SUBMITTED", "UNDER_REVIEW"),
    "sign": ("APPROVED",),
}
CHECKLIST_STEPS = ("receive", "verify", "waive", "missing")
TERMS_STEPS = ("quote",)  # offered on the terms and the schedule (the footer has no room for all at 80 columns)
GROUP_ROW = "group:"
ACTION_NAMES = {
    "created": N_("created"), "updated": N_("terms changed"), "submitted": N_("submitted"),
    "resubmitted": N_("resubmitted"), "review_started": N_("review started"), "credit_checked": N_("credit checked"),
    "first_approval": N_("first approval"), "approved": N_("approved"), "rejected": N_("rejected"),
    "returned": N_("returned"), "signed": N_("contract signed"), "document_received": N_("document received"),
    "document_verified": N_("document verified"), "document_waived": N_("document waived"),
}


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def item_who(item: ChecklistItemView) -> str:
    """Who moved the document to its state, and when."""
    if item.state == "WAIVED":
        return _("{who} + {checker} {when}: {reason}").format(who=item.waived_by, checker=item.waiver_checker,
                                                              when=_when(item.waived_at), reason=item.waiver_reason)
    if item.state == "VERIFIED":
        return f"{item.verified_by} {_when(item.verified_at)}"
    if item.state == "RECEIVED":
        return f"{item.received_by} {_when(item.received_at)}"
    return ""


def item_need(item: ChecklistItemView) -> str:
    if item.either_or:
        return _("one of a group")
    return _("required") if item.required else _("optional")


class LoanApplicationScreen(TellerScreen):
    HELP_TITLE = N_("Loan application file")
    AUTO_FOCUS = "#application-tabs Tabs"
    PALETTE_COMMANDS = COMMANDS[1:]
    BINDINGS = [command.binding() for command in COMMANDS]
    DEFAULT_CSS = """
    #application-heading { padding: 0 1; text-style: bold; height: auto; }
    #application-status { padding: 0 1; height: auto; color: $warning; }
    #application-tabs { height: 1fr; }
    #terms { padding: 0 1; height: auto; }
    """

    class Loaded(Message):
        def __init__(self, file: ApplicationFile) -> None:
            super().__init__()
            self.file = file

    class Done(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, application_id: int) -> None:
        super().__init__()
        self.application_id = application_id
        self.file: ApplicationFile | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(_("Loading…"), id="application-heading", markup=False)
        yield Static("", id="application-status", markup=False)
        with TabbedContent(id="application-tabs"):
            with TabPane(_("Terms"), id="tab-terms"):
                yield VerticalScroll(Static("", id="terms", markup=False))
            with TabPane(_("Schedule"), id="tab-schedule"):
                yield Table(id="schedule", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Checklist"), id="tab-checklist"):
                yield Table(id="checklist", cursor_type="row", zebra_stripes=True)
            with TabPane(_("History"), id="tab-history"):
                yield Table(id="history", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        schedule_columns(self.query_one("#schedule", DataTable))
        self.query_one("#checklist", DataTable).add_columns(_("Item"), _("State"), _("Need"), _("By, when"))
        self.query_one("#history", DataTable).add_columns(_("When"), _("By"), _("Step"), _("State"), _("Reason"))
        self.load()

    def on_screen_resume(self) -> None:
        if self.file is not None:
            self.load()  # back from editing the terms

    # --- Loading ----------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="file")
    def load(self) -> None:
        try:
            post_if_current(self, self.Loaded(loans.application_file(self.app.db, self.application_id)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_loan_application_screen_loaded(self, message: Loaded) -> None:
        file = self.file = message.file
        view = file.application
        self.query_one("#application-heading", Static).update(
            f"{view.number} · {view.customer_name} · {view.product_name} · {state_name(view.state)}")
        self.query_one("#terms", Static).update(self._terms_text(file))
        fill_schedule(self.query_one("#schedule", DataTable), quote_rows(file.quote), view.currency)
        checklist = self.query_one("#checklist", DataTable)
        row = checklist.cursor_row
        checklist.clear()
        last_group = None
        for item in sorted(file.checklist, key=lambda item: list(GROUP_NAMES).index(item.group)):
            if item.group != last_group:  # a heading row per group; the steps ignore it
                heading = Text(_(GROUP_NAMES[item.group]), style="bold")
                checklist.add_row(heading, "", "", "", key=GROUP_ROW + item.group)
                last_group = item.group
            checklist.add_row(f"  {item.label}", _(ITEM_STATE_NAMES[item.state]), item_need(item), item_who(item),
                              key=item.code)
        checklist.move_cursor(row=row)
        history = self.query_one("#history", DataTable)
        history.clear()
        for event in file.history:
            moved = f"{state_name(event.from_state)} → {state_name(event.to_state)}" if event.to_state else ""
            document = event.detail.get("document")
            step = _(ACTION_NAMES.get(event.action, event.action))
            if document:
                item = next((item for item in file.checklist if item.code == document), None)
                step = f"{step}: {item.label if item else document}"
            history.add_row(_when(event.occurred_at), event.staff_name, step, moved, event.reason or "")
        self.refresh_bindings()

    def _terms_text(self, file: ApplicationFile) -> str:
        view = file.application
        currency = view.currency

        def line(label: str, value: str) -> str:
            return _("{label}: {value}").format(label=label, value=value)

        lines = [line(_("Customer"), view.customer_name), line(_("Product"), view.product_name),
                 line(_("Amount"), f"{currency} {format_amount(view.amount, currency)}")]
        for tranche in view.tranches:
            lines.append(line(_(TRANCHE_NAMES[tranche.kind]), _("{amount}, {months} months at {rate}, {method}").format(
                amount=format_amount(tranche.amount, currency), months=tranche.term_months,
                rate=format_rate(tranche.annual_rate), method=_(METHOD_LABELS[tranche.method]))))
        lines.append(line(_("First due date"), format_day(view.first_due_date)))
        lines.append(line(_("Schedule"), summary_text(file.quote, currency)))
        if view.purpose:
            lines.append(line(_("Purpose"), view.purpose))
        lines.append(line(_("Officer"), view.originator_name))
        lines.append(line(_("State"), _("{state} for {days} day(s)").format(
            state=state_name(view.state), days=(clock.now() - view.state_since).days)))
        if view.review_round:
            lines.append(line(_("Approvals needed"), str(view.required_approvals)))
        for check in file.credit_checks:
            lines.append(line(_("Credit check"), _("{result}, report {reference} of {day}, by {who}").format(
                result=_(CREDIT_RESULT_NAMES[check.result]), reference=check.reference,
                day=format_day(check.report_date), who=check.checked_by)))
        for decision in file.approvals:
            verdict = state_name(decision.decision)
            lines.append(line(_("Decision"), f"{verdict} · {decision.approver_name} · {_when(decision.decided_at)}"
                              + (f" · {decision.reason}" if decision.reason else "")))
        if file.signing is not None:
            lines.append(line(_("Contract"), _("{number}, signed {when} at {place} by {who}").format(
                number=file.signing.contract_number, when=_when(file.signing.signed_at), place=file.signing.place,
                who=file.signing.signed_by)))
        lines.append(line(_("Checklist"), _("complete") if file.checklist_complete else _("documents outstanding")))
        if file.violations:
            lines.append("")
            lines.append(_("Rules not met:"))
            lines.extend(f"  · {violation.message}" for violation in file.violations)
        return "\n".join(lines)

    def on_loan_application_screen_failed(self, message: Failed) -> None:
        self.query_one("#application-status", Static).update(message.reason)

    def on_loan_application_screen_done(self, message: Done) -> None:
        self.query_one("#application-status", Static).update(message.text)
        self.load()

    # --- Which steps show ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = next((command for command in COMMANDS if command.action == action), None)
        if command is None or action == "back":
            return True
        if not command.allowed_for(self.app.session.actor.roles) or self.file is None:
            return False
        state = self.file.application.state
        if action in STEP_STATES:
            return state in STEP_STATES[action]
        tab = self.query_one("#application-tabs", TabbedContent).active
        if action in CHECKLIST_STEPS:
            return tab == "tab-checklist" and (action == "missing" or state not in loans.CLOSED_STATES)
        if action in TERMS_STEPS:
            return tab in ("tab-terms", "tab-schedule")
        return True

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()

    def _say(self, text: str) -> None:
        self.query_one("#application-status", Static).update(text)

    # --- Steps ------------------------------------------------------------------------------------------

    def _summary(self) -> str:
        view = self.file.application
        return f"{view.number} {view.customer_name} {view.currency} {format_amount(view.amount, view.currency)}"

    @work(thread=True, exclusive=True, exit_on_error=False, group="step")
    def step(self, done_text: str, call, *args, **options) -> None:
        """Run one service call with the signed-in actor; report what happened or why it was refused."""
        try:
            call(self.app.db, self.app.session.actor, self.application_id, *args, **options)
            self.post_message(self.Done(done_text))
        except TermsError as error:
            rules = "; ".join(violation.message for violation in error.violations)
            self.post_message(self.Failed(_("Not submitted: {rules}").format(rules=rules)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_edit(self) -> None:
        from screens.loan_entry import LoanEntryScreen

        view = self.file.application
        self.app.push_screen(LoanEntryScreen(view.customer_id, view.customer_name, view))

    def action_submit(self) -> None:
        view = self.file.application
        call = loans.submit if view.state == "DRAFT" else loans.resubmit
        self.step(_("Submitted for review."), call)

    def action_review(self) -> None:
        def answer(entry: ReviewEntry | None) -> None:
            if entry is not None:
                self.step(_("Review started."), loans.start_review, notes=entry.notes, credit_check=entry.credit_check)

        self.app.push_screen(ReviewScreen(self._summary()), answer)

    def action_approve(self) -> None:
        def answer(entry: ApprovalEntry | None) -> None:
            if entry is not None:
                self._say(_("Checking…"))
                self.approve(entry)

        self.app.push_screen(ApproveScreen(self._summary(), self.app.session.actor.username), answer)

    @work(thread=True, exclusive=True, exit_on_error=False, group="step")
    def approve(self, entry: ApprovalEntry) -> None:
        """The approver signs the decision with their own password and a fresh code (the user name is theirs)."""
        try:
            credentials = entry.credentials
            view = loans.approve_with_second_key(
                self.app.db, self.application_id, entry.note, username=credentials.username,
                password=credentials.password, totp_code=credentials.code, terminal=self.app.terminal)
            self.post_message(self.Done(_("Approved.") if view.state == "APPROVED"
                                        else _("First approval given; a more senior approver gives the second.")))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def _with_reason(self, title: str, prompt: str, done_text: str, call) -> None:
        def answer(reason: str | None) -> None:
            if reason is not None:
                self.step(done_text, call, reason)

        self.app.push_screen(ReasonScreen(title, prompt), answer)

    def action_return_loan(self) -> None:
        self._with_reason(_("Return {number} to its officer").format(number=self.file.application.number),
                          _("What must the officer fix?"), _("Returned to the officer."), loans.return_to_officer)

    def action_reject(self) -> None:
        self._with_reason(_("Reject {number}").format(number=self.file.application.number),
                          _("Why is the loan rejected?"), _("Rejected."), loans.reject)

    def action_sign(self) -> None:
        def answer(entry: SigningEntry | None) -> None:
            if entry is not None:
                self.step(_("Signed; the terms are frozen."), loans.sign, signed_at=entry.signed_at, place=entry.place)

        self.app.push_screen(SigningScreen(self._summary()), answer)

    def action_quote(self) -> None:
        """The printable quote of the application's terms (shown, and saved as a PDF)."""
        file, today = self.file, self.app.session.business_date
        view = file.application
        document = quote_document(file.product, view.terms, file.quote, view.customer_name, number=view.number,
                                  today=today)
        self.app.push_screen(DocumentScreen(lambda _db, _actor: (document, f"quote-{view.number}")))

    # --- The checklist ------------------------------------------------------------------------------------

    def _chosen_item(self) -> ChecklistItemView | None:
        table = self.query_one("#checklist", DataTable)
        if not table.row_count:
            return None
        code = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((item for item in self.file.checklist if item.code == code), None)

    def action_receive(self) -> None:
        item = self._chosen_item()
        if item is not None:
            self.step(_("{document}: received.").format(document=item.label), loans.receive_item, item.code)

    def action_verify(self) -> None:
        item = self._chosen_item()
        if item is not None:
            self.step(_("{document}: verified.").format(document=item.label), loans.verify_item, item.code)

    def action_waive(self) -> None:
        item = self._chosen_item()
        if item is None:
            return

        def reason_given(reason: str | None) -> None:
            if reason is None:
                return
            summary = _("Waive {document} for {number}: {reason}").format(
                document=item.label, number=self.file.application.number, reason=reason)
            self.app.push_screen(SecondKeyScreen(summary), lambda checker: self._waive(item, reason, checker))

        self.app.push_screen(ReasonScreen(_("Waive {document}").format(document=item.label),
                                          _("Why is the document not needed?")), reason_given)

    def _waive(self, item: ChecklistItemView, reason: str, checker: Actor | None) -> None:
        if checker is not None:
            self.waive(item, reason, checker)

    @work(thread=True, exclusive=True, exit_on_error=False, group="step")
    def waive(self, item: ChecklistItemView, reason: str, checker: Actor) -> None:
        try:
            loans.waive_item(self.app.db, self.app.session.actor, checker, self.application_id, item.code, reason)
            self.post_message(self.Done(_("{document}: waived.").format(document=item.label)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def action_missing(self) -> None:
        """The take-home list of what the customer still has to bring, read afresh (and saved as a PDF)."""
        application_id, number = self.application_id, self.file.application.number
        self.app.push_screen(DocumentScreen(lambda db, _actor: (
            missing_documents_document(loans.missing_documents(db, application_id)), f"missing-{number}")))
