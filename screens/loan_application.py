"""The loan application file, and once money has moved the loan file: terms, schedule (for a disbursed loan
the current one, each installment's state), checklist, payments, schedule versions and history, with the
steps the viewer's role may take in the loan's state: up to signing the workflow's, then disbursement,
repayment, the payoff quote and waivers of penalty or fees. The service decides; a refusal is shown as it
says it."""

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from teller import clock, loan_servicing, loans
from teller.actor import Actor
from teller.errors import TellerError
from teller.i18n import N_, NC_, _, format_amount, format_day, format_moment
from teller.instructions import CHECKER_ROLES
from teller.loan_servicing import (
    DESTINATION_NAMES, PAYMENT_KIND_NAMES, SCHEDULE_REASON_NAMES, LoanServicing, ScheduleVersionView, tranche_name,
)
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
    ApprovalEntry, ApproveScreen, Owed, ReasonScreen, ReviewEntry, ReviewScreen, SigningEntry, SigningScreen,
    WaiverScreen,
)
from screens.loan_disbursement import LoanDisbursementScreen
from screens.loan_entry import fill_schedule, schedule_columns, summary_text
from screens.loan_money import installment_state, instruction_status, money, part_heading
from screens.loan_repayment import LoanRepaymentScreen
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
# "Approve" and "Reject" a loan (审批通过, 否决) are not the second key's (授权, 拒绝): a context keeps them apart.
APPROVE = UserCommand("approve_loan", "f7", "approve", NC_("loan", "Approve"),
                      N_("Approve with your own password and code"), roles=CHECKER_ROLES)
RETURN = UserCommand("return_loan", "ctrl+r", "return_loan", N_("Return"),
                     N_("Send the application back to its officer, saying what to fix"), roles=CHECKER_ROLES)
REJECT = UserCommand("reject_loan", "ctrl+x", "reject", NC_("loan", "Reject"), N_("Refuse the loan, with the reason"),
                     roles=CHECKER_ROLES)
SIGN = UserCommand("sign_contract", "ctrl+s", "sign", N_("Sign"),
                   N_("Record the face-to-face signing: place and time; the terms are frozen"), roles=ORIGINATOR_ROLES)
QUOTE = UserCommand("print_quote", "q", "quote", N_("Quote"), N_("Show the printable loan quote with its schedule"))
# The checklist tab names R, V and W above its table, so the footer leaves them out and fits 80 columns.
RECEIVE = UserCommand("receive_document", "r", "receive", N_("Received"),
                      N_("Mark the chosen document as received"), roles=CHECKLIST_ROLES, show=False)
VERIFY = UserCommand("verify_document", "v", "verify", N_("Verified"),
                     N_("Mark the chosen document as checked against the original"), roles=CHECKLIST_ROLES,
                     show=False)
WAIVE = UserCommand("waive_document", "w", "waive", N_("Waive"),
                    N_("Waive the chosen document, with a reason and a supervisor's second key"),
                    roles=CHECKLIST_ROLES, show=False)
MISSING = UserCommand("missing_documents", "m", "missing", N_("Missing"),
                      N_("Show the printable list of documents the customer still has to bring"))
DISBURSE = UserCommand("disburse_loan", "f8", "disburse", N_("Disburse"),
                       N_("Pay out the signed loan: to the borrower's account, a registered payee, or in cash"),
                       roles=("loan_officer", "teller"))
REPAY = UserCommand("repay_loan", "f9", "repay", N_("Repay"),
                    N_("Take a repayment, a prepayment or the payoff, with the allocation shown first"),
                    roles=("teller", "loan_officer", "supervisor"))
PAYOFF = UserCommand("payoff_quote", "p", "payoff", N_("Payoff quote"),
                     N_("Show the printable payoff quote: what settles the loan today"))
WAIVE_CHARGES = UserCommand("waive_charges", "ctrl+w", "waive_charges", N_("Waive charges"),
                            N_("Waive penalty interest or fees, with a reason and a supervisor's second key"),
                            roles=("teller", "loan_officer"))
COMMANDS = (BACK, EDIT, SUBMIT, REVIEW, APPROVE, RETURN, REJECT, SIGN, DISBURSE, REPAY, PAYOFF, WAIVE_CHARGES, QUOTE,
            RECEIVE, VERIFY, WAIVE, MISSING)
# In which states each step is offered (the service checks again and says why when it refuses).
STEP_STATES = {
    "edit": EDITABLE_STATES, "submit": EDITABLE_STATES, "review": ("SUBMITTED",), "approve": ("UNDER_REVIEW",),
    "return_loan": ("SUBMITTED", "UNDER_REVIEW"), "reject": ("SUBMITTED", "UNDER_REVIEW"),
    "sign": ("APPROVED",), "disburse": ("CONTRACT_SIGNED",), "repay": ("ACTIVE",), "payoff": ("ACTIVE",),
    "waive_charges": ("ACTIVE",),
}
MONEY_STEPS = ("disburse", "repay")  # not while the loan's last money instruction waits for its second key
MONEY_STATES = ("CONTRACT_SIGNED", "DISBURSED", "ACTIVE", "SETTLED", "WRITTEN_OFF")  # the file reads its money
DISBURSED_STATES = ("ACTIVE", "SETTLED", "WRITTEN_OFF")
CHECKLIST_STEPS = ("receive", "verify", "waive", "missing")
TERMS_STEPS = ("quote",)  # offered on the terms and the schedule (the footer has no room for all at 80 columns)
GROUP_ROW = "group:"
ACTION_NAMES = {
    "created": N_("created"), "updated": N_("terms changed"), "submitted": N_("submitted"),
    "resubmitted": N_("resubmitted"), "review_started": N_("review started"), "credit_checked": N_("credit checked"),
    "first_approval": N_("first approval"), "approved": N_("approved"), "rejected": N_("rejected"),
    "returned": N_("returned"), "signed": N_("contract signed"), "document_received": N_("document received"),
    "document_verified": N_("document verified"), "document_waived": N_("document waived"),
    "payee_registered": N_("payee registered"), "payee_approved": N_("payee approved"),
    "disbursement_requested": N_("disbursement requested"), "repayment_requested": N_("repayment requested"),
    "prepayment_requested": N_("prepayment requested"), "payoff_requested": N_("payoff requested"),
    "fund_centre_requested": N_("fund-centre offset requested"), "waiver": N_("penalty or fees waived"),
}


def _when(moment) -> str:
    return format_moment(moment) if moment else ""


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


def item_need(item: ChecklistItemView, checklist: tuple[ChecklistItemView, ...]) -> str:
    """Required or optional; for an either/or item the documents that stand in for it, ticked once one of
    the group is verified or waived."""
    if not item.either_or:
        return _("required") if item.required else _("optional")
    others = _(" or ").join(other.label for other in loans.alternatives(checklist, item))
    need = _("or {alternatives}").format(alternatives=others)
    return f"✓ {need}" if loans.group_satisfied(checklist, item) else need


def approvals_text(file: ApplicationFile) -> str:
    return _("{given} of {needed} approvals").format(given=file.approvals_given,
                                                    needed=file.application.required_approvals)


def event_step(event, file: ApplicationFile) -> str:
    """The history's step: the action's name and what it was about (a document, a payee, an instruction,
    the amounts waived)."""
    step = _(ACTION_NAMES.get(event.action, event.action))
    detail = event.detail
    currency = file.application.currency
    if detail.get("document"):
        item = next((item for item in file.checklist if item.code == detail["document"]), None)
        return _("{label}: {value}").format(label=step, value=item.label if item else detail["document"])
    if event.action == "waiver":
        return _("{step}: penalty {penalty} · fees {fees}").format(
            step=step, penalty=format_amount(int(detail.get("penalty", 0)), currency),
            fees=format_amount(int(detail.get("fees", 0)), currency))
    if detail.get("instruction"):
        return _("{step}: instruction {id}").format(step=step, id=detail["instruction"])
    if detail.get("name"):
        return _("{label}: {value}").format(label=step, value=detail["name"])
    return step


def money_text(figures: LoanServicing) -> str:
    """Where an active loan stands today, for the top of the file (a settled loan says so)."""
    currency = figures.currency
    lines = []
    if figures.state == "SETTLED":
        lines.append(_("Settled: nothing is owed."))
    elif figures.state == "ACTIVE":
        upcoming = figures.next_due
        if upcoming is not None:
            owed = upcoming.principal + upcoming.interest - upcoming.paid_principal - upcoming.paid_interest
            next_due = _("next due {day} {amount}").format(day=format_day(upcoming.due_date),
                                                            amount=money(owed, currency))
        else:
            next_due = _("no installment ahead")
        lines.append(_("Outstanding {principal} · {next_due}").format(
            principal=money(figures.outstanding_principal, currency), next_due=next_due))
        lines.append(_("{days} day(s) past due · due today {due} · payoff {payoff}").format(
            days=figures.days_past_due, due=money(figures.total_due, currency),
            payoff=money(figures.payoff_total, currency)))
    if figures.pending_instruction_id is not None:
        lines.append(_("Instruction {id} waits for its second key (the approval queue).").format(
            id=figures.pending_instruction_id))
    return "\n".join(lines)


class LoanApplicationScreen(TellerScreen):
    HELP_TITLE = N_("Loan application file")
    AUTO_FOCUS = "#application-tabs Tabs"
    PALETTE_COMMANDS = COMMANDS[1:]
    BINDINGS = [command.binding() for command in COMMANDS]
    DEFAULT_CSS = """
    #application-heading { padding: 0 1; text-style: bold; height: auto; }
    #application-money { padding: 0 1; height: auto; color: $accent; }
    #application-money.empty { display: none; }
    #application-status { padding: 0 1; height: auto; color: $warning; }
    #application-tabs { height: 1fr; }
    #terms { padding: 0 1; height: auto; }
    #checklist-keys { padding: 0 1; height: 1; color: $accent; }
    #payment-detail { padding: 0 1; height: auto; color: $text-muted; }
    #versions { height: auto; max-height: 7; }
    #version-title { padding: 0 1; height: 1; text-style: bold; }
    """

    class Loaded(Message):
        def __init__(self, file: ApplicationFile, figures: LoanServicing | None) -> None:
            super().__init__()
            self.file = file
            self.figures = figures

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
        self.figures: LoanServicing | None = None
        self._schedule_kind = "quote"  # the schedule tab's columns: the quote's, or an active loan's states

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(_("Loading…"), id="application-heading", markup=False)
        yield Static("", id="application-money", classes="empty", markup=False)
        yield Static("", id="application-status", markup=False)
        with TabbedContent(id="application-tabs"):
            with TabPane(_("Terms"), id="tab-terms"):
                yield VerticalScroll(Static("", id="terms", markup=False))
            with TabPane(_("Schedule"), id="tab-schedule"):
                yield Table(id="schedule", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Checklist"), id="tab-checklist"):
                yield Static(_("For the document under the cursor: R received · V verified · W waived"),
                             id="checklist-keys", markup=False)
                yield Table(id="checklist", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Payments"), id="tab-payments"):
                yield Table(id="payments", cursor_type="row", zebra_stripes=True)
                yield Static("", id="payment-detail", markup=False)
            with TabPane(_("Schedule versions"), id="tab-versions"):
                yield Table(id="versions", cursor_type="row", zebra_stripes=True)
                yield Static("", id="version-title", markup=False)
                yield Table(id="version-rows", cursor_type="row", zebra_stripes=True)
            with TabPane(_("History"), id="tab-history"):
                yield Table(id="history", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        schedule_columns(self.query_one("#schedule", DataTable))
        self.query_one("#checklist", DataTable).add_columns(_("Item"), _("State"), _("Need"), _("By, when"))
        self.query_one("#history", DataTable).add_columns(_("When"), _("By"), _("Step"), _("State"), _("Reason"))
        self.query_one("#versions", DataTable).add_columns(_("Part"), _("Version"), _("Reason"), _("From"),
                                                          _("Instruction"), _("Status"), _("Rows"))
        schedule_columns(self.query_one("#version-rows", DataTable))
        self._money_tabs(False)
        self.load()

    def _money_tabs(self, shown: bool) -> None:
        """Payments and schedule versions exist once the loan is signed (before, they would stay empty)."""
        tabs = self.query_one("#application-tabs", TabbedContent)
        for pane in ("tab-payments", "tab-versions"):
            if shown:
                tabs.show_tab(pane)
            else:
                tabs.hide_tab(pane)

    def on_screen_resume(self) -> None:
        if self.file is not None:
            self.load()  # back from editing the terms

    # --- Loading ----------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="file")
    def load(self) -> None:
        try:
            file = loans.application_file(self.app.db, self.application_id)
            figures = None
            if file.application.state in MONEY_STATES:
                figures = loan_servicing.servicing(self.app.db, self.application_id)
                if figures.state != file.application.state:  # it moved between the two reads: read it again
                    file = loans.application_file(self.app.db, self.application_id)
            post_if_current(self, self.Loaded(file, figures))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_loan_application_screen_loaded(self, message: Loaded) -> None:
        file = self.file = message.file
        figures = self.figures = message.figures
        view = file.application
        heading = f"{view.number} · {view.customer_name} · {view.product_name} · {state_name(view.state)}"
        if view.state == "UNDER_REVIEW" and view.required_approvals > 1:  # a first approval leaves it waiting
            heading += f" · {approvals_text(file)}"
        self.query_one("#application-heading", Static).update(heading)
        money_line = self.query_one("#application-money", Static)
        text = money_text(figures) if figures is not None else ""
        money_line.update(text)
        money_line.set_class(not text, "empty")
        self.query_one("#terms", Static).update(self._terms_text(file))
        if figures is not None and figures.tranches:
            self._fill_states(figures)
        else:
            self._schedule_columns("quote")
            fill_schedule(self.query_one("#schedule", DataTable), quote_rows(file.quote), view.currency)
        self._money_tabs(figures is not None)
        self._fill_payments(figures)
        self._fill_versions(figures)
        self.query_one("#checklist-keys", Static).display = (
            view.state not in loans.CLOSED_STATES and RECEIVE.allowed_for(self.app.session.actor.roles))
        checklist = self.query_one("#checklist", DataTable)
        row = checklist.cursor_row
        checklist.clear()
        last_group = None
        for item in sorted(file.checklist, key=lambda item: list(GROUP_NAMES).index(item.group)):
            if item.group != last_group:  # a heading row per group; the steps ignore it
                heading = Text(_(GROUP_NAMES[item.group]), style="bold")
                checklist.add_row(heading, "", "", "", key=GROUP_ROW + item.group)
                last_group = item.group
            checklist.add_row(f"  {item.label}", _(ITEM_STATE_NAMES[item.state]), item_need(item, file.checklist),
                              item_who(item), key=item.code)
        checklist.move_cursor(row=row)
        history = self.query_one("#history", DataTable)
        history.clear()
        for event in file.history:
            moved = f"{state_name(event.from_state)} → {state_name(event.to_state)}" if event.to_state else ""
            history.add_row(_when(event.occurred_at), event.staff_name, event_step(event, file), moved,
                            event.reason or "")
        self.refresh_bindings()

    # --- The money tabs -----------------------------------------------------------------------------------

    def _schedule_columns(self, kind: str) -> None:
        if kind == self._schedule_kind:
            return
        table = self.query_one("#schedule", DataTable)
        table.clear(columns=True)
        if kind == "quote":
            schedule_columns(table)
        else:
            table.add_columns(_("Period"), _("Due date"), _("Principal"), _("Interest"), _("Paid"), _("State"))
        self._schedule_kind = kind

    def _fill_states(self, figures: LoanServicing) -> None:
        """The current schedule of each part, each installment's state and what is paid of it."""
        self._schedule_columns("states")
        table = self.query_one("#schedule", DataTable)
        row = table.cursor_row
        table.clear()
        currency = figures.currency
        for part in figures.tranches:
            if len(figures.tranches) > 1:
                part_heading(table, part.tranche)
            for installment in part.position.installments:
                table.add_row(str(installment.number), format_day(installment.due_date),
                              format_amount(installment.principal, currency),
                              format_amount(installment.interest, currency),
                              format_amount(installment.paid_principal + installment.paid_interest, currency),
                              installment_state(installment))
        table.move_cursor(row=row)

    def _fill_payments(self, figures: LoanServicing | None) -> None:
        table = self.query_one("#payments", DataTable)
        combined = len(self.file.application.tranches) > 1
        titles = [_("Date"), _("Payment"), *([_("Part")] if combined else []), _("Penalty"), _("Fees"),
                  _("Interest"), _("Principal"), _("Total"), _("Status"), _("Maker"), _("Checker")]
        if len(table.columns) != len(titles):
            table.clear(columns=True)
            table.add_columns(*titles)
        row = table.cursor_row
        table.clear()
        payments = figures.payments if figures is not None else ()
        currency = self.file.application.currency
        for payment in payments:
            table.add_row(
                format_day(payment.paid_on), _(PAYMENT_KIND_NAMES[payment.kind]),
                *([tranche_name(payment.tranche)] if combined else []),
                format_amount(payment.penalty, currency), format_amount(payment.fees, currency),
                format_amount(payment.interest + payment.accrued_interest, currency),
                format_amount(payment.principal + payment.prepaid, currency),
                format_amount(payment.total, currency), instruction_status(payment.status), payment.maker,
                payment.checker or "")
        if payments:
            table.move_cursor(row=min(row, len(payments) - 1))
        self._show_payment(table.cursor_row)

    def _show_payment(self, row: int) -> None:
        """Under the table, the highlighted payment in full (the columns may run past an 80-column screen)."""
        detail = self.query_one("#payment-detail", Static)
        payments = self.figures.payments if self.figures is not None else ()
        if not payments:
            detail.update(_("No payments yet."))
            return
        payment = payments[min(max(row, 0), len(payments) - 1)]
        currency = self.file.application.currency
        detail.update(_("Instruction {id} · {status} · made by {maker}, checked by {checker} · accrued interest "
                        "{accrued} · prepaid {prepaid} · total {total}").format(
            id=payment.instruction_id, status=instruction_status(payment.status), maker=payment.maker,
            checker=payment.checker or "-", accrued=format_amount(payment.accrued_interest, currency),
            prepaid=format_amount(payment.prepaid, currency), total=money(payment.total, currency)))

    def _fill_versions(self, figures: LoanServicing | None) -> None:
        table = self.query_one("#versions", DataTable)
        row = table.cursor_row
        table.clear()
        versions = figures.versions if figures is not None else ()
        for version in versions:
            table.add_row(tranche_name(version.tranche), str(version.version),
                          _(SCHEDULE_REASON_NAMES.get(version.reason, version.reason)),
                          format_day(version.start_date), str(version.instruction_id),
                          instruction_status(version.status), str(len(version.installments)))
        if versions:
            table.move_cursor(row=min(row, len(versions) - 1))
        self._show_version(table.cursor_row)

    def _show_version(self, row: int) -> None:
        versions = self.figures.versions if self.figures is not None else ()
        title = self.query_one("#version-title", Static)
        rows_table = self.query_one("#version-rows", DataTable)
        if not versions:
            title.update(_("No schedule is fixed before disbursement."))
            rows_table.clear()
            return
        version: ScheduleVersionView = versions[min(max(row, 0), len(versions) - 1)]
        title.update(_("{part}, version {version}: {reason}").format(
            part=tranche_name(version.tranche), version=version.version,
            reason=_(SCHEDULE_REASON_NAMES.get(version.reason, version.reason))))
        fill_schedule(rows_table, version.installments, self.file.application.currency)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.file is None:
            return
        if event.data_table.id == "versions":
            self._show_version(event.cursor_row)
        elif event.data_table.id == "payments":
            self._show_payment(event.cursor_row)

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
            lines.append(line(_("Approvals"), _("{given} of {needed}").format(
                given=file.approvals_given, needed=view.required_approvals)))
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
        figures = self.figures
        for disbursement in figures.disbursements if figures is not None else ():
            lines.append(line(_("Disbursement"), _("{day}, {destination} {account}, instruction {id} {status}").format(
                day=format_day(disbursement.disbursed_on), destination=_(DESTINATION_NAMES[disbursement.destination]),
                account=disbursement.account_number, id=disbursement.instruction_id,
                status=instruction_status(disbursement.status))))
        for payee in figures.payees if figures is not None else ():
            approval = (_("second key by {who}").format(who=payee.approved_by) if payee.approved
                        else _("waiting for its second key"))
            lines.append(line(_("Payee"), f"{payee.label} · {approval}"))
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
        if action in MONEY_STEPS and (self.figures is None or self.figures.pending_instruction_id is not None):
            return False
        if action in STEP_STATES:
            return state in STEP_STATES[action]
        tab = self.query_one("#application-tabs", TabbedContent).active
        if action in CHECKLIST_STEPS:
            return tab == "tab-checklist" and (action == "missing" or state not in loans.CLOSED_STATES)
        if action in TERMS_STEPS:  # the quote of the terms, until money has moved (then the payoff quote)
            return tab in ("tab-terms", "tab-schedule") and state not in DISBURSED_STATES
        return True

    def unlisted_actions(self) -> frozenset[str]:
        """While the application waits for a checker's decision, their footer lists the decision, Help and F10
        (a customer may be waiting at the counter for a second key); Q still prints the quote."""
        return frozenset({QUOTE.action}) if self.check_action(RETURN.action, ()) else frozenset()

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

    # --- Money --------------------------------------------------------------------------------------------

    def action_disburse(self) -> None:
        self.app.push_screen(LoanDisbursementScreen(self.file.application))

    def action_repay(self) -> None:
        self.app.push_screen(LoanRepaymentScreen(self.file.application))

    def action_payoff(self) -> None:
        """The printable payoff quote, read afresh (and saved as a PDF)."""
        application_id, number = self.application_id, self.file.application.number
        self.app.push_screen(DocumentScreen(lambda db, _actor: (loan_servicing.payoff_document(db, application_id),
                                                                f"payoff-{number}")))

    def action_waive_charges(self) -> None:
        figures = self.figures
        if figures is None or not figures.tranches:
            return
        owed = tuple(Owed(part.tranche, part.position.penalty, part.position.fees) for part in figures.tranches)
        self.app.push_screen(WaiverScreen(self.application_id, self._summary(), figures.currency, owed),
                             self._waived)

    def _waived(self, waiver) -> None:
        if waiver is not None:
            currency = self.file.application.currency
            self._say(_("Waived penalty {penalty} and fees {fees} ({who} gave the second key).").format(
                penalty=format_amount(waiver.penalty, currency), fees=format_amount(waiver.fees, currency),
                who=waiver.approved_by))
