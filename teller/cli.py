"""The `teller` command line's root: with no command it starts the workstation; its subcommands (ledger set-up
and checks, staff, policy and loan product administration) live in `teller.cli_commands`.

Every command prints one clear line on error (no traceback) and exits non-zero. Commands that change
staff, roles, policy or loan products are four-eyes: one admin proposes (`--as`), another approves.
What a command prints is in the language `--lang` / `TELLER_LANG` chooses; the group callback sets it
before any command runs, so messages are translated where they are printed.

The root loads only Click and the message catalogues. The subcommands load when one is asked for, and
the workstation opens its ledger on a thread once the login screen shows, so that a teller sees the login
screen before SQLAlchemy, the models and the services have loaded.
"""

import os
from typing import TYPE_CHECKING

import click

from teller import __version__, i18n
from teller.errors import TellerError
from teller.i18n import _

if TYPE_CHECKING:
    from teller.db import Database
    from teller.ui.app import LedgerOpener


class Refusal(click.ClickException):
    """One line on standard error, its "Error:" in the user's language, and exit 1."""

    def show(self, file=None) -> None:
        click.echo(_("Error: {message}").format(message=self.format_message()), file=file, err=True)


class TellerGroup(click.Group):
    """Turns Teller's errors into one line and a non-zero exit; loads the subcommands when one is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        _load_subcommands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        _load_subcommands()
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TellerError as error:
            raise Refusal(str(error)) from error
        except Exception as error:
            from sqlalchemy.exc import DBAPIError  # already loaded by whatever raised a database error

            if not isinstance(error, DBAPIError):
                raise
            detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise Refusal(_("database error: {detail}").format(detail=detail)) from error


def _load_subcommands() -> None:
    import teller.cli_commands  # noqa: F401  (its groups add themselves to `cli` as it loads)


@click.group(cls=TellerGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="teller")
@click.option("--lang", envvar="TELLER_LANG", default=None, help="Language of the workstation: en or zh_CN.")
@click.pass_context
def cli(ctx: click.Context, lang: str | None) -> None:
    """Teller: a terminal workstation for bank branches over a double-entry ledger.

    With no command, opens the workstation on the configured ledger."""
    try:
        i18n.set_language(lang)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--lang") from error
    if ctx.invoked_subcommand is None:
        run_workstation(open_configured_ledger, idle_seconds=idle_seconds())


def idle_seconds() -> float:
    """`TELLER_IDLE_MINUTES` in seconds, checked before any ledger is opened or built."""
    minutes = os.environ.get("TELLER_IDLE_MINUTES", "5")
    try:
        value = float(minutes)
    except ValueError as error:
        raise TellerError(_("TELLER_IDLE_MINUTES must be a number of minutes, not {value!r}").format(
            value=minutes)) from error
    if value <= 0:
        raise TellerError(_("TELLER_IDLE_MINUTES must be more than zero"))
    return value * 60


def open_configured_ledger() -> "tuple[Database, str]":
    """The configured ledger (`teller.config`), opened and checked; run on the workstation's thread."""
    from teller import bootstrap, config

    location = config.resolve_ledger()
    return bootstrap.open_database(location), location.describe()


def run_workstation(open_ledger: "LedgerOpener", *, idle_seconds: float, demo_ledger: bool = False) -> None:
    """Run the workstation until the user quits. A ledger that cannot be opened closes it again at once and is
    refused here, as any command refuses."""
    from teller.ui.app import TellerApp

    refusal = TellerApp(open_ledger, idle_seconds=idle_seconds, demo_ledger=demo_ledger).run()
    if refusal is not None:
        raise refusal


def main() -> None:
    cli(prog_name="teller")
