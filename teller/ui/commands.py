"""The user's commands, each defined once: its key, action, title and help feed the bindings, the
footer, the command palette and the F1 help alike. A command names the roles that may use it."""

from dataclasses import dataclass

from textual.binding import Binding

from teller.i18n import N_, _

ANY_ROLE: tuple[str, ...] = ()
CUSTOMER_MAKERS = ("teller", "loan_officer", "supervisor", "branch_manager")
COUNTER_MAKERS = ("teller", "supervisor", "branch_manager")
CHECKERS = ("supervisor", "branch_manager")


@dataclass(frozen=True)
class UserCommand:
    id: str
    key: str
    action: str
    title: str
    help: str
    roles: tuple[str, ...] = ANY_ROLE
    show: bool = True
    # Handled before the focused widget: an app's command also over a modal dialog (whose own keys otherwise shut
    # the app's), a screen's so that keys typed right after it go where it moves the focus.
    priority: bool = False

    def allowed_for(self, roles: tuple[str, ...]) -> bool:
        return not self.roles or bool(set(self.roles) & set(roles))

    def binding(self, *, show: bool | None = None) -> Binding:
        """The key binding; `show` overrides whether the footer lists it (a screen may feature a command)."""
        shown = self.show if show is None else show
        return Binding(self.key, self.action, self.title, show=shown, tooltip=self.help, id=self.id,
                       priority=self.priority)

    @property
    def translated_title(self) -> str:
        return _(self.title)


HELP = UserCommand("help", "f1", "app.help", N_("Help"), N_("Show the keys of this screen"))
# Find and New customer work everywhere but are listed in the footer only where they are the next step
# (the lookup screen): an 80-column footer has no room for every command on every screen.
FIND_CUSTOMER = UserCommand(
    "find_customer", "f2", "app.find_customer", N_("Find"),
    N_("Find a customer by name, pinyin, ID number, mobile, account or loan number"), show=False,
)
NEW_CUSTOMER = UserCommand(
    "new_customer", "f3", "app.new_customer", N_("New customer"), N_("Create a customer file"),
    roles=CUSTOMER_MAKERS, show=False,
)
# Lock and Sign out stay off the footer (it has no room at 80 columns); F1 and Ctrl+P list them.
LOCK = UserCommand("lock", "ctrl+l", "app.lock", N_("Lock"), N_("Lock the screen until you sign in again"),
                   show=False, priority=True)
SIGN_OUT = UserCommand("sign_out", "ctrl+o", "app.sign_out", N_("Sign out"),
                       N_("Sign out and return to the login screen"), show=False)
QUIT = UserCommand("quit", "ctrl+q", "app.quit", N_("Quit"), N_("Close the workstation"), show=False)
THEME = UserCommand("theme", "ctrl+t", "app.toggle_theme", N_("Light/dark"),
                    N_("Switch between the dark and the light colours (for a light terminal or a bright room)"),
                    show=False)
CASH_DRAWER = UserCommand(
    "cash_drawer", "f11", "app.cash_drawer", N_("Cash drawer"),
    N_("Your cash drawer, the vault, the end of day; supervisors open and close the business day"),
    roles=COUNTER_MAKERS, show=False,
)

APPROVAL_QUEUE = UserCommand("approval_queue", "f10", "app.approval_queue", N_("Queue"),
                              N_("Instructions waiting for your second key, oldest first"), roles=CHECKERS)
LARGE_VALUE_REPORT = UserCommand(
    "large_value_report", "ctrl+g", "app.large_value_report", N_("Large-value report"),
    N_("Cash of RMB 50,000 or more per customer in a business day, exportable as CSV"),
    roles=("supervisor", "branch_manager", "auditor"), show=False,
)
LOAN_PIPELINE = UserCommand(
    "loan_pipeline", "f12", "app.loan_pipeline", N_("Loans"),
    N_("The loan pipeline: your applications by state, or the approvals waiting"),
    roles=("loan_officer", "supervisor", "branch_manager", "auditor"), show=False,
)

SIGNED_IN_COMMANDS = (HELP, FIND_CUSTOMER, NEW_CUSTOMER, APPROVAL_QUEUE, CASH_DRAWER, LARGE_VALUE_REPORT,
                      LOAN_PIPELINE, LOCK, SIGN_OUT, THEME, QUIT)
ALWAYS_AVAILABLE = (HELP, THEME, QUIT)
WHILE_LOCKED = (SIGN_OUT, *ALWAYS_AVAILABLE)
