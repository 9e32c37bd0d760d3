"""The bar at the top of every signed-in screen: who, in which role, at which branch, on which business day."""

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from teller.i18n import N_, _, format_day

if TYPE_CHECKING:
    from teller.staff import SessionInfo

ROLE_NAMES = {
    "teller": N_("Teller"),
    "loan_officer": N_("Loan officer"),
    "supervisor": N_("Supervisor"),
    "branch_manager": N_("Branch manager"),
    "auditor": N_("Auditor"),
    "admin": N_("Admin"),
}


def role_title(role: str) -> str:
    return _(ROLE_NAMES.get(role, role))


class SessionBar(Horizontal):
    """Who and what role on the left; branch and business date on the right, never cut off."""

    DEFAULT_CSS = """
    SessionBar { dock: top; height: 1; background: $primary; color: $text; }
    SessionBar #session-user { width: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    SessionBar #session-day { width: auto; padding: 0 1; }
    """

    def __init__(self, info: "SessionInfo") -> None:
        super().__init__(id="session-bar")
        self.info = info

    def compose(self) -> ComposeResult:
        info = self.info
        roles = "/".join(role_title(role) for role in info.actor.roles)
        yield Static(f"{info.display_name} ({info.actor.username}) · {roles} · {info.branch_name}",
                     id="session-user", markup=False)
        branch = _("Branch {code}").format(code=info.branch_code)
        yield Static(f"{branch} · {format_day(info.business_date)}", id="session-day",
                     markup=False)
