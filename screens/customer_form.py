"""Create or edit a customer. The service validates everything; the form shows the first problem next
to the field it names. A changed ID number, birth date, gender or registered mobile waits for a second key.
Birth date and gender show for a passport only: a resident ID's follow from its number, a company has none."""

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Select, Static

from teller import customers
from teller.customers import AddressDraft, CustomerDraft, PhoneDraft, UpdateOutcome
from teller.errors import InputError, TellerError, labelled_message
from teller.i18n import N_, _
from teller.ui.commands import UserCommand
from teller.ui.widgets.input import Input
from screens.base import TellerScreen
from screens.confirm import ConfirmScreen
from screens.names import GENDER_NAMES, ID_TYPE_NAMES
from screens.lookup import SEGMENT_NAMES

KIND_NAMES = {"individual": N_("Individual"), "company": N_("Company")}
# Which input shows the problem an InputError names (teller.errors.FIELD_LABELS names the field).
FIELD_WIDGETS = {
    "kind": "kind", "name": "name", "id type": "id-type", "id number": "id-number", "mobile": "mobile",
    "registered mobile": "mobile", "segment": "segment", "phone": "other-phone", "address": "address",
    "birth date": "birth-date", "gender": "gender",
}
SAVE = UserCommand("save_customer", "ctrl+s,f10", "save", N_("Save"), N_("Check and save the customer"))
BACK = UserCommand("back", "escape", "back", N_("Back"), N_("Leave the form (asks first if anything was typed)"))


class CustomerFormScreen(TellerScreen):
    HELP_TITLE = N_("Customer form")
    PALETTE_COMMANDS = (SAVE,)
    BINDINGS = [command.binding() for command in (SAVE, BACK)]
    DEFAULT_CSS = """
    #form { padding: 0 1; }
    #form-title { text-style: bold; margin-bottom: 1; }
    #form .form-row { height: 1; margin-bottom: 1; }
    #form .form-row Label { width: 29; }  /* the longest label, "Name (as on the ID document)", and a space */
    #form .form-row Input, #form .form-row Select { width: 1fr; background: $boost; }
    #form .form-row Input:focus, #form .form-row Select:focus { background: $primary 40%; }
    #form #birth-date { width: 12; }
    #form #gender-label { width: auto; padding: 0 1 0 2; }
    #form-message { color: $error; height: auto; padding: 0 1; }
    """

    class Saved(Message):
        def __init__(self, customer_id: int, outcome: UpdateOutcome | None) -> None:
            super().__init__()
            self.customer_id = customer_id
            self.outcome = outcome

    class Refused(Message):
        def __init__(self, field: str | None, reason: str) -> None:
            super().__init__()
            self.field = field
            self.reason = reason

    class DraftLoaded(Message):
        def __init__(self, draft: CustomerDraft) -> None:
            super().__init__()
            self.draft = draft

    def __init__(self, customer_id: int | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.initial_values: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        with VerticalScroll(id="form"):
            title = _("New customer") if self.customer_id is None else _("Edit customer")
            yield Static(title, id="form-title")
            # One line per field, label beside it, so the whole form fits an 80x24 screen.
            identity = (
                (_("Customer kind"), Select([(_(name), kind) for kind, name in KIND_NAMES.items()],
                                            value="individual", allow_blank=False, compact=True, id="kind")),
                (_("Segment"), Select([(_(name), segment) for segment, name in SEGMENT_NAMES.items()],
                                      value="mass", allow_blank=False, compact=True, id="segment")),
                (_("Name (as on the ID document)"), Input(id="name", max_length=60, compact=True)),
                (_("ID type"), Select([(_(name), id_type) for id_type, name in ID_TYPE_NAMES.items()],
                                      value="resident_id", allow_blank=False, compact=True, id="id-type")),
                (_("ID number"), Input(id="id-number", max_length=40, compact=True)),
            )
            contact = (
                (_("Registered mobile"), Input(id="mobile", max_length=24, compact=True)),
                (_("Other phone (optional)"), Input(id="other-phone", max_length=24, compact=True)),
                (_("Home address (optional)"), Input(id="address", max_length=200, compact=True)),
            )
            for label, field in identity:
                with Horizontal(classes="form-row"):
                    yield Label(label)
                    yield field
            # A passport's birth date and gender share a line: the form still fits 80x24 with it showing.
            with Horizontal(classes="form-row", id="passport-details"):
                yield Label(_("Birth date (YYYY-MM-DD)"))
                yield Input(id="birth-date", max_length=12, compact=True)
                yield Label(_("Gender"), id="gender-label")
                yield Select([(_(name), gender) for gender, name in GENDER_NAMES.items()], prompt=_("Choose"),
                             compact=True, id="gender")
            for label, field in contact:
                with Horizontal(classes="form-row"):
                    yield Label(label)
                    yield field
        # Under the scrolling form, not in it: a refusal stays in sight wherever the form is scrolled to.
        yield Static("", id="form-message", markup=False)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self.show_passport_details()
        if self.customer_id is None:
            self.initial_values = self._values()
        else:
            self.load_draft()

    @work(thread=True, exclusive=True, exit_on_error=False, group="draft")
    def load_draft(self) -> None:
        try:
            self.post_message(self.DraftLoaded(customers.edit_draft(self.app.db, self.customer_id)))
        except TellerError as error:
            self.post_message(self.Refused(None, str(error)))

    def on_customer_form_screen_draft_loaded(self, message: DraftLoaded) -> None:
        draft = message.draft
        self.query_one("#kind", Select).value = draft.kind
        self.query_one("#kind", Select).disabled = True
        self.query_one("#segment", Select).value = draft.segment
        self.query_one("#id-type", Select).value = draft.id_type
        self.query_one("#name", Input).value = draft.name
        self.query_one("#id-number", Input).value = draft.id_number
        self.query_one("#birth-date", Input).value = draft.birth_date.isoformat() if draft.birth_date else ""
        self.query_one("#gender", Select).value = draft.gender or Select.NULL
        self.query_one("#mobile", Input).value = draft.registered_mobile
        self.query_one("#other-phone", Input).value = draft.other_phones[0].number if draft.other_phones else ""
        self.query_one("#address", Input).value = draft.addresses[0].text if draft.addresses else ""
        self.base_draft = draft
        self.initial_values = self._values()

    def _values(self) -> dict[str, object]:
        values: dict[str, object] = {field.id: field.value for field in self.query(Input)}
        values.update({field.id: field.value for field in self.query(Select)})
        return values

    @on(Select.Changed, "#kind")
    def kind_changed(self, event: Select.Changed) -> None:
        if event.value == "company":
            self.query_one("#id-type", Select).value = "uscc"
        elif self.query_one("#id-type", Select).value == "uscc":
            self.query_one("#id-type", Select).value = "resident_id"

    @on(Select.Changed, "#id-type")
    def show_passport_details(self) -> None:
        self.query_one("#passport-details").display = self.query_one("#id-type", Select).value == "passport"

    def _draft(self) -> CustomerDraft:
        """The form as a draft; InputError for a birth date that is not a date."""
        values = self._values()
        passport = values["id-type"] == "passport"  # other ID types leave what the hidden fields hold
        base = getattr(self, "base_draft", None)
        other = str(values["other-phone"]).strip()
        address = str(values["address"]).strip()
        other_phones = (PhoneDraft("mobile" if other.startswith(("1", "+", "１")) else "home", other),) if other else ()
        addresses = (AddressDraft("home", address),) if address else ()
        if base is not None:  # keep what the form does not show
            other_phones += base.other_phones[1:]
            addresses += base.addresses[1:]
        return CustomerDraft(
            kind=str(values["kind"]), name=str(values["name"]), id_type=str(values["id-type"]),
            id_number=str(values["id-number"]), registered_mobile=str(values["mobile"]),
            segment=str(values["segment"]), other_phones=other_phones, addresses=addresses,
            birth_date=customers.parse_birth_date(str(values["birth-date"])) if passport else None,
            gender=str(values["gender"]) if passport and values["gender"] != Select.NULL else None,
            relationship_owner_id=base.relationship_owner_id if base else self.app.session.actor.staff_id,
        )

    def action_save(self) -> None:
        try:
            draft = self._draft()
        except InputError as error:
            self.show_refusal(error.field, error.message)
            return
        self.query_one("#form-message", Static).update(_("Saving…"))
        self.save(draft)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def save(self, draft: CustomerDraft) -> None:
        actor = self.app.session.actor
        try:
            if self.customer_id is None:
                self.post_message(self.Saved(customers.create_customer(self.app.db, actor, draft), None))
            else:
                outcome = customers.update_customer(self.app.db, actor, self.customer_id, draft)
                self.post_message(self.Saved(self.customer_id, outcome))
        except InputError as error:
            self.post_message(self.Refused(error.field, error.message))
        except TellerError as error:
            self.post_message(self.Refused(None, str(error)))

    def on_customer_form_screen_refused(self, message: Refused) -> None:
        self.show_refusal(message.field, message.reason)

    def show_refusal(self, field: str | None, reason: str) -> None:
        """The problem under the form, and the cursor on the field it names."""
        self.query_one("#form-message", Static).update(labelled_message(field, reason) if field else reason)
        if field in FIELD_WIDGETS:
            self.query_one(f"#{FIELD_WIDGETS[field]}").focus()

    def on_customer_form_screen_saved(self, message: Saved) -> None:
        from screens.customer_file import CustomerFileScreen

        if self.customer_id is None:
            self.app.switch_screen(CustomerFileScreen(message.customer_id))
            return
        outcome = message.outcome
        if outcome and outcome.pending_change:
            self.app.notify(_("Saved. The new ID number or mobile waits for a supervisor's second key (F7)."),
                            timeout=8)
        self.dismiss(True)

    def has_unsaved_input(self) -> bool:
        return self._values() != self.initial_values

    def action_back(self) -> None:
        if not self.has_unsaved_input():
            self.dismiss(False)
            return

        def leave(confirmed: bool | None) -> None:
            if confirmed:
                self.dismiss(False)

        self.app.push_screen(ConfirmScreen(_("Leave the form? What you typed will be lost.")), leave)
