"""Loan entry: the officer proposes terms for a customer; the installment, total interest and full schedule
follow as the fields change, and every broken rule shows on a full-width line below the form, named by the
field it is about (whose label turns red)."""

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, ItemGrid, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Label, Select, Static

from teller import loans
from teller.errors import InputError, TellerError
from teller.i18n import N_, _, format_amount, format_day
from teller.loan_form import (
    SECOND_PART, default_rate_text, fact_fields, read_entry, violation_field,
)
from teller.loan_products import LoanFacts, LoanQuote, Product, format_rate
from teller.loan_documents import quote_document
from teller.loan_quote import Preview, QuoteRow, preview
from teller.loans import ApplicationDraft, ApplicationView, TermsError
from teller.schedule import METHOD_LABELS, due_dates
from teller.ui.commands import UserCommand
from teller.ui.widgets.table import Table
from teller.ui.widgets.input import ENTER_MOVES_ON, Input, enter_moves_on
from screens.base import TellerScreen
from screens.confirm import ConfirmScreen
from screens.document import DocumentScreen

RECOMPUTE_DELAY = 0.25  # seconds of quiet typing before the schedule is recomputed
SAVE = UserCommand("save_draft", "ctrl+s", "save", N_("Save draft"), N_("Save the application as a draft"))
SUBMIT = UserCommand("submit_application", "f5", "submit", N_("Submit"),
                     N_("Save and submit the application for review"))
QUOTE = UserCommand("loan_quote", "f6", "quote", N_("Quote"), N_("Show the printable loan quote with its schedule"))
BACK = UserCommand("back", "escape", "back", N_("Back"), N_("Leave the form"))
YES_NO = ((N_("yes"), "yes"), (N_("no"), "no"))
FIELD_TITLES = {
    "product": N_("Product"), "method": N_("Method"), "amount": N_("Amount"), "term": N_("Months"),
    "rate": N_("Rate % p.a."), "first_due": N_("First due date"), "purpose": N_("Purpose"),
    "property_price": N_("Property price"), "second_hand": N_("Second-hand"), "home_count": N_("Home number"),
    "fund_months": N_("Fund months"), "spouses": N_("Spouses paying"), "previous_settled": N_("Prior fund loan paid"),
    "pledge_value": N_("Pledge value"), "vehicle_price": N_("Vehicle price"), "monthly_income": N_("Monthly income"),
    "guarantee_group": N_("Guarantee group"),
}
PART_FIELDS = ("amount", "term", "rate", "method")
PART_TITLES = {"fund": N_("Fund"), "commercial": N_("Comm.")}  # short: they lead an 18-cell label
FACT_KEYS = ("property_price", "second_hand", "home_count", "fund_months", "spouses", "previous_settled",
             "pledge_value", "vehicle_price", "monthly_income", "guarantee_group")
SELECT_KEYS = {"product", "method", "method" + SECOND_PART, "second_hand", "previous_settled", "guarantee_group"}


def schedule_columns(table: DataTable) -> None:
    table.add_columns(_("Period"), _("Due date"), _("Payment"), _("Principal"), _("Interest"), _("Principal left"))


def fill_schedule(table: DataTable, rows: tuple[QuoteRow, ...], currency: str) -> None:
    table.clear()
    for row in rows:
        table.add_row(str(row.number), format_day(row.due_date), format_amount(row.payment, currency),
                      format_amount(row.principal, currency), format_amount(row.interest, currency),
                      format_amount(row.balance_after, currency))


def summary_text(loan: LoanQuote, currency: str) -> str:
    return _("Installment {installment} · Interest {interest} · Total {total}").format(
        installment=f"{currency} {format_amount(loan.installment, currency)}",
        interest=format_amount(loan.total_interest, currency), total=format_amount(loan.total_payment, currency))


class Field(Vertical):
    """A label and its widget on one line, the message about it (when any) on the line below."""

    DEFAULT_CSS = """
    Field { height: auto; padding-right: 1; }
    Field > Horizontal { height: 1; }
    Field Label { width: 18; }
    Field Input, Field Select { width: 1fr; }
    Field .field-error { color: $error; height: auto; padding-left: 18; }
    Field .field-error.empty { display: none; }
    """

    def __init__(self, key: str, title: str, widget: Input | Select) -> None:
        super().__init__(id=f"field-{key}")
        self.key = key
        self.title = title
        self.widget = widget

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.title)
            yield self.widget
        yield Static("", id=f"error-{self.key}", classes="field-error empty", markup=False)

    def show_error(self, message: str | None) -> None:
        error = self.query_one(".field-error", Static)
        error.update(message or "")
        error.set_class(not message, "empty")


class EntryField(Field):
    """A field of the entry form: a grid column is too narrow for a sentence (in Chinese above all), so its
    message goes to a full-width line below the form (`#error-<key>`, kept by the screen) and its label
    turns red."""

    DEFAULT_CSS = """
    EntryField.invalid Label { color: $error; text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.title)
            yield self.widget

    def retitle(self, title: str) -> None:
        self.title = title
        self.query_one(Label).update(title)

    def show_error(self, message: str | None) -> None:
        self.set_class(bool(message), "invalid")


class LoanEntryScreen(TellerScreen):
    """A new application for `customer_id`, or the terms of an editable one (`application`)."""

    HELP_TITLE = N_("Loan application")
    AUTO_FOCUS = "#input-product"
    PALETTE_COMMANDS = (SAVE, SUBMIT, QUOTE)
    BINDINGS = [*(command.binding() for command in (BACK, *PALETTE_COMMANDS)), ENTER_MOVES_ON]
    DEFAULT_CSS = """
    #entry-heading { padding: 0 1; text-style: bold; height: 1; }
    #entry-form { height: auto; max-height: 45%; padding: 0 1; }
    #entry-problems { height: auto; padding: 0 1; }
    #entry-problems .field-error { color: $error; height: auto; }
    #entry-problems .field-error.empty { display: none; }
    #entry-summary { padding: 0 1; height: auto; color: $accent; }
    #entry-status { padding: 0 1; height: auto; color: $warning; }
    #entry-status.empty { display: none; }
    #schedule { margin: 0 1; }
    .hidden { display: none; }
    """

    class ProductsLoaded(Message):
        def __init__(self, products: list[Product], unsettled_fund_loans: tuple[str, ...]) -> None:
            super().__init__()
            self.products = products
            self.unsettled_fund_loans = unsettled_fund_loans

    class Quoted(Message):
        def __init__(self, loan: Preview, generation: int) -> None:
            super().__init__()
            self.loan = loan
            self.generation = generation

    class Saved(Message):
        def __init__(self, application: ApplicationView, submitted: bool) -> None:
            super().__init__()
            self.application = application
            self.submitted = submitted

    class Failed(Message):
        def __init__(self, error: TellerError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, customer_id: int, customer_name: str, application: ApplicationView | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.customer_name = customer_name
        self.application = application
        self.products: dict[str, Product] = {}
        self.unsettled_fund_loans: tuple[str, ...] = ()  # the customer's, as the ledger shows them
        self.loan: Preview | None = None
        self.generation = 0
        self._saved: dict[str, str] = {}
        self._saving = False  # one save at a time: a double key press never makes two applications
        self._arranged: str | None = None
        self._timer: Timer | None = None

    # --- Layout -----------------------------------------------------------------------------------------

    def _input(self, key: str, **options) -> Input:
        return Input(id=f"input-{key}", compact=True, **options)

    def _select(self, key: str, options, **more) -> Select:
        return Select(options, id=f"input-{key}", compact=True, **more)

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(self._heading(), id="entry-heading", markup=False)
        fields = self._fields()
        with VerticalScroll(id="entry-form"):
            with ItemGrid(min_column_width=38, stretch_height=False):
                yield from fields[:-1]
            yield fields[-1]  # the purpose, the width of the form
        with Vertical(id="entry-problems"):
            for field in fields:
                yield Static("", id=f"error-{field.key}", classes="field-error empty", markup=False)
        yield Static(_("Choose the product, then type the terms."), id="entry-summary", markup=False)
        yield Static("", id="entry-status", classes="empty", markup=False)
        table = Table(id="schedule", cursor_type="row", zebra_stripes=True)
        schedule_columns(table)
        yield table

    def _fields(self) -> list[EntryField]:
        """The form's fields in reading order, the purpose last."""
        fields = [EntryField("product", _("Product"), self._select("product", [], prompt=_("Choose"),
                                                                    disabled=self.application is not None)),
                  EntryField("first_due", _("First due date"), self._input("first_due", max_length=10,
                                                                           placeholder="YYYY-MM-DD"))]
        for suffix in ("", SECOND_PART):
            fields += [EntryField(key + suffix, _(FIELD_TITLES[key]), self._input(key + suffix, max_length=length))
                       for key, length in (("amount", 24), ("term", 4), ("rate", 10))]
            fields.append(EntryField("method" + suffix, _("Method"), self._select("method" + suffix, [],
                                                                                  prompt=_("Choose"))))
        for key in FACT_KEYS:
            title = _(FIELD_TITLES[key])
            if key in SELECT_KEYS:
                fields.append(EntryField(key, title, self._select(key, [(_(label), value) for label, value in YES_NO],
                                                                  prompt=_("not recorded"))))
            else:
                fields.append(EntryField(key, title, self._input(key, max_length=24)))
        fields.append(EntryField("purpose", _("Purpose"), self._input("purpose", max_length=500)))
        return fields

    def _heading(self) -> str:
        if self.application is not None:
            return _("Application {number} · {name}").format(number=self.application.number, name=self.customer_name)
        return _("New loan application · {name}").format(name=self.customer_name)

    def on_mount(self) -> None:
        for key in FACT_KEYS + tuple(f + SECOND_PART for f in PART_FIELDS):
            self.query_one(f"#field-{key}").add_class("hidden")
        self.load_products()

    @work(thread=True, exclusive=True, exit_on_error=False, group="products")
    def load_products(self) -> None:
        try:
            self.post_message(self.ProductsLoaded(loans.list_products(self.app.db, active_only=False),
                                                  loans.unsettled_fund_loans(self.app.db, self.customer_id)))
        except TellerError as error:
            self.post_message(self.Failed(error))

    def on_loan_entry_screen_products_loaded(self, message: ProductsLoaded) -> None:
        kept = self.application.product_code if self.application else None  # even if no longer offered
        self.unsettled_fund_loans = message.unsettled_fund_loans
        self.products = {product.code: product for product in message.products
                         if product.active or product.code == kept}
        select = self.query_one("#input-product", Select)
        select.set_options([(product.name, product.code) for product in self.products.values()])
        if self.application is not None:
            self._fill_application(self.application)
        self._saved = self.values()
        self.recompute()

    def _fill_application(self, view: ApplicationView) -> None:
        self.query_one("#input-product", Select).value = view.product_code
        self._arrange(self.products[view.product_code])
        for position, tranche in enumerate(view.tranches):
            suffix = SECOND_PART if position else ""
            self._set("amount" + suffix, format_amount(tranche.amount, view.currency).replace(",", ""))
            self._set("term" + suffix, str(tranche.term_months))
            self._set("rate" + suffix, format_rate(tranche.annual_rate).removesuffix("%"))
            self.query_one(f"#input-method{suffix}", Select).value = tranche.method
        self._set("first_due", view.first_due_date.isoformat())
        self._set("purpose", view.purpose)
        facts = view.facts
        money = {"property_price": facts.property_price, "pledge_value": facts.pledge_value,
                 "vehicle_price": facts.vehicle_price, "monthly_income": facts.monthly_income}
        for key, minor in money.items():
            self._set(key, format_amount(minor, view.currency).replace(",", "") if minor is not None else "")
        for key, count in (("home_count", facts.home_count), ("fund_months", facts.fund_contribution_months),
                           ("spouses", facts.contributing_spouses)):
            self._set(key, "" if count is None else str(count))
        for key, answer in (("second_hand", facts.second_hand), ("previous_settled", facts.previous_fund_loan_settled),
                            ("guarantee_group", facts.guarantee_group)):
            select = self.query_one(f"#input-{key}", Select)
            select.value = Select.NULL if answer is None else ("yes" if answer else "no")

    def _set(self, key: str, value: str) -> None:
        self.query_one(f"#input-{key}", Input).value = value

    def _arrange(self, product: Product) -> None:
        """Show the fields the product needs: one part or two, and the facts its rules check."""
        self._arranged = product.code
        two_parts = len(product.tranches) > 1
        for key in PART_FIELDS:
            self.query_one(f"#field-{key}{SECOND_PART}").set_class(not two_parts, "hidden")
        for position, rule in enumerate(product.tranches):
            suffix = SECOND_PART if position else ""
            part = _(PART_TITLES[rule.kind]) if two_parts else ""
            for key in PART_FIELDS:
                title = _(FIELD_TITLES[key])
                self.query_one(f"#field-{key}{suffix}", EntryField).retitle(f"{part} {title}" if part else title)
            method = self.query_one(f"#input-method{suffix}", Select)
            method.set_options([(_(METHOD_LABELS[name]), name) for name in rule.methods])
            method.value = rule.methods[0]
            self.query_one(f"#input-rate{suffix}", Input).disabled = rule.rate.fixed
        wanted = set(fact_fields(product))
        for key in FACT_KEYS:
            self.query_one(f"#field-{key}").set_class(key not in wanted, "hidden")
        first_due = self.query_one("#input-first_due", Input)
        if not first_due.value:
            first_due.value = due_dates(self.app.session.business_date, 2)[1].isoformat()

    # --- Reading and recomputing ------------------------------------------------------------------------

    @property
    def product(self) -> Product | None:
        value = self.query_one("#input-product", Select).value
        return self.products.get(value) if isinstance(value, str) else None

    def values(self) -> dict[str, str]:
        values = {}
        for key in ("first_due", "purpose", *FACT_KEYS, *(f + s for f in PART_FIELDS for s in ("", SECOND_PART))):
            widget = self.query_one(f"#input-{key}")
            if isinstance(widget, Select):
                values[key] = widget.value if isinstance(widget.value, str) else ""
            else:
                values[key] = widget.value
        return values

    def has_unsaved_input(self) -> bool:
        return self.values() != self._saved

    @on(Select.Changed, "#input-product")
    def product_changed(self, event: Select.Changed) -> None:
        product = self.product
        if product is None or product.code == self._arranged:
            return  # the form already shows this product (an application being edited, or no change)
        self._arrange(product)
        self._fill_fixed_rates(product, fill_all=True)
        self._changed()

    def _fill_fixed_rates(self, product: Product, *, fill_all: bool = False) -> None:
        """Fixed-rate parts take the product's rate for their term; on a product change every part's rate
        starts at the reference rate."""
        facts = read_entry(product, self.values()).facts
        for position, rule in enumerate(product.tranches):
            suffix = SECOND_PART if position else ""
            if rule.rate.fixed or fill_all:
                term = self.query_one(f"#input-term{suffix}", Input).value
                months = int(term) if term.isdecimal() and 0 < int(term) <= 600 else None
                rate = self.query_one(f"#input-rate{suffix}", Input)
                text = default_rate_text(product, position, months, facts)
                if rate.value != text:
                    rate.value = text

    @on(Input.Changed)
    @on(Select.Changed)
    def field_changed(self, event) -> None:
        if event.control.id == "input-product":
            return
        product = self.product
        if product is not None and event.control.id in ("input-term", "input-term2", "input-home_count"):
            self._fill_fixed_rates(product)
        self._changed()

    def _changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(RECOMPUTE_DELAY, self.recompute)

    def recompute(self) -> None:
        """Read the form; show what cannot be read at once and compute the schedule in a worker."""
        product = self.product
        if product is None:
            return
        reading = read_entry(product, self.values())
        self.generation += 1
        if reading.terms is None:
            self.loan = None
            self._show_errors(product, reading.errors)
            self.query_one("#entry-summary", Static).update(_("Complete the terms to see the schedule."))
            self.query_one("#schedule", DataTable).clear()
            return
        self.compute(product, reading.terms, reading.facts, reading.errors, self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="quote")
    def compute(self, product: Product, terms, facts: LoanFacts, errors: dict[str, str], generation: int) -> None:
        loan = preview(product, terms, facts, today=self.app.session.business_date,
                       unsettled_fund_loans=self.unsettled_fund_loans)
        self.app.call_from_thread(self._show_errors, product, errors, loan)
        self.post_message(self.Quoted(loan, generation))

    def _show_errors(self, product: Product, errors: dict[str, str], loan: Preview | None = None) -> None:
        found = dict(errors)
        for violation in loan.violations if loan else ():
            found.setdefault(violation_field(product, violation), violation.message)
        if loan is not None and loan.problem is not None:
            found.setdefault(violation_field(product, loan.problem), loan.problem.message)
        self._mark_fields(found)

    def _mark_fields(self, found: dict[str, str]) -> None:
        """Each field's message (or none) on its line below the form, named by the field's title."""
        for field in self.query(EntryField):
            self._mark_field(field.key, found.get(field.key))

    def _mark_field(self, key: str, message: str | None) -> None:
        field = self.query_one(f"#field-{key}", EntryField)
        field.show_error(message)
        line = self.query_one(f"#error-{key}", Static)
        line.update(_("{label}: {value}").format(label=field.title, value=message) if message else "")
        line.set_class(not message, "empty")

    def on_loan_entry_screen_quoted(self, message: Quoted) -> None:
        if message.generation != self.generation:
            return  # typing went on while this one was computed
        self.loan = message.loan
        loan = message.loan
        currency = loan.terms.currency
        summary = str(loan.problem) if loan.quote is None else summary_text(loan.quote, currency)
        self.query_one("#entry-summary", Static).update(summary)
        fill_schedule(self.query_one("#schedule", DataTable), loan.rows, currency)

    # --- Saving -----------------------------------------------------------------------------------------

    def _status(self, text: str) -> None:
        status = self.query_one("#entry-status", Static)
        status.update(text)
        status.set_class(not text, "empty")

    def _draft(self) -> ApplicationDraft | None:
        product = self.product
        if product is None:
            self._status(_("Choose the product first."))
            return None
        reading = read_entry(product, self.values())
        if reading.errors:
            self._show_errors(product, reading.errors, self.loan)
            self._status(_("Correct the fields marked in red."))
            return None
        return ApplicationDraft(self.customer_id, reading.terms, reading.facts)

    def action_save(self) -> None:
        self._start_save(submit=False)

    def action_next_field(self) -> None:
        """Enter moves on through the fields shown, in reading order (past a chosen list too; Space or Down opens
        a list), and in the purpose, the last, saves the draft as Ctrl+S does."""
        shown = [field.widget for field in self.query(EntryField)
                 if not field.has_class("hidden") and not field.widget.disabled]
        enter_moves_on(self, shown, self.action_save)

    def action_submit(self) -> None:
        self._start_save(submit=True)

    def _start_save(self, *, submit: bool) -> None:
        draft = None if self._saving else self._draft()
        if draft is not None:
            self._saving = True
            self._status(_("Submitting…") if submit else _("Saving…"))
            self.save(draft, submit=submit)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def save(self, draft: ApplicationDraft, *, submit: bool) -> None:
        actor = self.app.session.actor
        try:
            if self.application is None:
                view = loans.create_application(self.app.db, actor, draft)
            else:
                view = loans.update_draft(self.app.db, actor, self.application.id, draft)
            self.app.call_from_thread(self._remember, view)
            if submit:
                submit_step = loans.submit if view.state == "DRAFT" else loans.resubmit
                view = submit_step(self.app.db, actor, view.id)
            self.post_message(self.Saved(view, submit))
        except TellerError as error:
            self.post_message(self.Failed(error))

    def _remember(self, view: ApplicationView) -> None:
        """Once created, later saves update the same application (a second save never makes a second one)."""
        self.application = view
        self.query_one("#entry-heading", Static).update(self._heading())

    def on_loan_entry_screen_saved(self, message: Saved) -> None:
        self._saving = False
        self._saved = self.values()
        if message.submitted:
            from screens.loan_application import LoanApplicationScreen

            self.app.switch_screen(LoanApplicationScreen(message.application.id))
            return
        self._status(_("Saved as draft {number}.").format(number=message.application.number))

    def on_loan_entry_screen_failed(self, message: Failed) -> None:
        self._saving = False
        error = message.error
        product = self.product
        if isinstance(error, TermsError) and product is not None:
            found = {}
            for violation in error.violations:
                found.setdefault(violation_field(product, violation), violation.message)
            self._mark_fields(found)
            self._status(_("Saved, but not submitted: {count} rule(s) are not met.").format(count=len(found)))
            return
        if isinstance(error, InputError) and product is not None:
            self._mark_field(violation_field(product, error), error.message)
        self._status(str(error))

    def action_quote(self) -> None:
        """The printable quote of the terms on the form (shown, and saved as a PDF)."""
        if self.loan is None:
            self._status(_("Complete the terms to see the schedule."))
            return
        loan, number = self.loan, self.application.number if self.application else None
        document = quote_document(loan.product, loan.terms, loan.quote, self.customer_name, number=number,
                                  today=self.app.session.business_date)
        name = f"quote-{number}" if number else f"quote-customer-{self.customer_id}"
        self.app.push_screen(DocumentScreen(lambda _db, _actor: (document, name)))

    def action_back(self) -> None:
        """Leave the form, asking first if it holds changes that were not saved."""
        if not self.has_unsaved_input():
            self.app.pop_screen()
            return

        def answer(confirmed: bool | None) -> None:
            if confirmed:
                self.app.pop_screen()

        self.app.push_screen(ConfirmScreen(_("Leave and lose the changes to this application?")), answer)
