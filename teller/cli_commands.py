"""The `teller` subcommands: ledger set-up and checks, branches, staff, policy, loan products, instructions
and the demo. They add themselves to the root group (`teller.cli`) as this module loads, which happens only
when a subcommand is asked for, so that `teller` alone starts the workstation without them."""

import json
import os
import sys
from pathlib import Path

import click
from rich.cells import cell_len
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from models import StaffRole, StaffUser
from teller import (
    accounts, admin_changes, audit, authentication, bootstrap, cli as root, clock, config, demo, instructions,
    ledger, loans, migrate, policy, staff,
)
from teller.actor import Actor, system_actor, terminal_id
from teller.db import Database
from teller.errors import TellerError
from teller.i18n import _
from teller.money import format_minor

BOOTSTRAP_ADMINS = 2  # until two admins exist, `staff add` without --as may create staff directly


def _left(text: str, width: int) -> str:
    """`text` padded to `width` terminal cells (a Chinese character takes two), for aligned columns."""
    return text + " " * max(width - cell_len(text), 0)


def _right(text: str, width: int) -> str:
    return " " * max(width - cell_len(text), 0) + text


def _location() -> config.LedgerLocation:
    location = config.resolve_ledger()
    click.echo(location.describe(), err=True)
    return location


def _open() -> Database:
    return bootstrap.open_database(_location())


def _operator() -> Actor:
    return system_actor(terminal_id())


def _sign_in(db: Database, username: str, purpose: str) -> Actor:
    password = click.prompt(_("Password for {username}").format(username=username), hide_input=True)
    code = click.prompt(_("Authenticator code"))
    return authentication.authenticate(db, username, password, code, terminal_id(), purpose=purpose)


# --- db -----------------------------------------------------------------------------------------------


@root.cli.group()
def db() -> None:
    """Create and migrate the ledger database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the ledger to the newest schema (creating a new ledger and its key if needed)."""
    database, created = bootstrap.upgrade(_location(), _operator())
    head = migrate.head_revision()
    database.dispose()
    done = _("Created a new ledger: schema at {head}") if created else _("Ledger upgraded: schema at {head}")
    click.echo(done.format(head=head))


@db.command("status")
def db_status() -> None:
    """Show which ledger is in use and its schema revision."""
    location = config.resolve_ledger()
    click.echo(location.describe())
    if location.is_sqlite and not Path(location.url.database).expanduser().exists():
        click.echo(_("Schema: no ledger file yet: run `teller db upgrade`"))
        return
    engine = bootstrap.plain_engine(location.url)
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision()
    except DBAPIError as error:
        raise TellerError(_("cannot open the ledger: {detail}").format(
            detail=str(error.orig).strip().splitlines()[0])) from error
    finally:
        engine.dispose()
    state = _("up to date") if current == head else _("needs `teller db upgrade`")
    click.echo(_("Schema: {current} (newest {head}): {state}").format(
        current=current or _("empty"), head=head, state=state))


# --- ledger and audit --------------------------------------------------------------------------------


@root.cli.group("ledger")
def ledger_group() -> None:
    """Check the ledger."""


@ledger_group.command("verify")
def ledger_verify() -> None:
    """Recompute every balance from its postings and check every entry; exit 1 naming the first problem."""
    database = _open()
    report = database.run(ledger.verify, readonly=True)
    if not report.ok:
        raise TellerError(_("ledger verify FAILED: {problem}").format(problem=report.problem))
    click.echo(_("Ledger verified: {accounts} accounts, {entries} entries, {postings} postings; every entry "
                 "balances and is four-eyes approved; every balance equals its postings").format(
        accounts=report.accounts, entries=report.entries, postings=report.postings))


@ledger_group.command("trial-balance")
def ledger_trial_balance() -> None:
    """Debit and credit totals by GL code and currency."""
    rows = _open().run(ledger.trial_balance, readonly=True)
    click.echo(" ".join((_left(_("GL"), 6), _left(_("CCY"), 4), _right(_("Debit"), 22), _right(_("Credit"), 22))))
    totals: dict[str, list[int]] = {}
    for row in rows:
        click.echo(f"{row.gl_code:<6} {row.currency:<4} {format_minor(row.debit, row.currency):>22} "
                   f"{format_minor(row.credit, row.currency):>22}")
        total = totals.setdefault(row.currency, [0, 0])
        total[0] += row.debit
        total[1] += row.credit
    for currency, (debit, credit) in totals.items():
        state = _("balanced") if debit == credit else _("OUT OF BALANCE")
        total_label = _left(_("Total"), 6)
        click.echo(f"{total_label} {currency:<4} {format_minor(debit, currency):>22} "
                   f"{format_minor(credit, currency):>22}  {state}")
    if any(debit != credit for debit, credit in totals.values()):
        sys.exit(1)


@root.cli.group("audit")
def audit_group() -> None:
    """Check the audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the whole hash chain; exit 1 naming the first row altered, removed, inserted or reordered."""
    report = _open().run(lambda session: audit.verify_chain(session, session.info["audit_key"]), readonly=True)
    if not report.ok:
        raise TellerError(_("audit verify FAILED: {problem}").format(problem=report.problem))
    click.echo(_("Audit chain verified: {rows} rows; head row {seq} hash {hash}").format(
        rows=report.rows, seq=report.head_seq, hash=report.head_hash[:16]))


# --- branches -----------------------------------------------------------------------------------------


@root.cli.group()
def branch() -> None:
    """Branches and their accounts."""


@branch.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--business-date", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Defaults to today.")
@click.option("--head-office", is_flag=True, help="Its staff may approve for every branch.")
def branch_add(code: str, name: str, business_date, head_office: bool) -> None:
    """Create a branch with its vault, income, suspense and clearing accounts."""
    day = business_date.date() if business_date else clock.branch_today()
    accounts.create_branch(_open(), _operator(), code, name, day, head_office=head_office)
    click.echo(_("Branch {code} created, business date {day}").format(code=code.upper(), day=day))


# --- staff --------------------------------------------------------------------------------------------


@root.cli.group("staff")
def staff_group() -> None:
    """Staff users, roles and authenticators (changes need a second admin)."""


def _admin_count(database: Database) -> int:
    return database.run(lambda session: session.execute(
        select(func.count()).select_from(StaffRole).join(StaffUser, StaffUser.id == StaffRole.staff_id)
        .where(StaffRole.role == "admin", StaffUser.active)).scalar_one(), readonly=True)


@staff_group.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The person's name.")
@click.option("--branch", "branch_code", required=True, help="Branch code.")
@click.option("--roles", required=True, help="Comma-separated: teller, loan_officer, supervisor, "
              "branch_manager, auditor, admin.")
@click.option("--as", "admin_username", help="The admin proposing the change (a second admin approves).")
def staff_add(username: str, display_name: str, branch_code: str, roles: str, admin_username: str | None) -> None:
    """Propose a new staff user (directly created only while the ledger has fewer than two admins)."""
    database = _open()
    role_list = tuple(role.strip() for role in roles.split(",") if role.strip())
    password = click.prompt(_("New password for {username}").format(username=username), hide_input=True,
                            confirmation_prompt=_("Repeat for confirmation"))
    if admin_username is None:
        if _admin_count(database) >= BOOTSTRAP_ADMINS:
            raise TellerError(_("this ledger has its admins: propose the change with --as ADMIN"))
        database.run(lambda session: staff.create_staff(
            session, _operator(), username=username, display_name=display_name, branch_code=branch_code,
            roles=role_list, password=password))
        click.echo(_("Created {username} (set-up: fewer than {count} admins). Next: teller staff enroll-totp "
                     "{username}").format(username=username, count=BOOTSTRAP_ADMINS))
        return
    admin = _sign_in(database, admin_username, "admin")
    change = admin_changes.propose_staff(database, admin, username=username, display_name=display_name,
                                         branch_code=branch_code, roles=role_list, password=password)
    click.echo(_("Proposed admin change {id} (staff.add {username}): another admin approves with "
                 "`teller admin approve {id} --as ADMIN`").format(id=change.id, username=username))


@staff_group.command("list")
def staff_list() -> None:
    """Staff users with branch, roles and state."""
    click.echo(" ".join((_left(_("User"), 16), _left(_("Branch"), 8), _left(_("Roles"), 30), _left(_("State"), 10),
                         _("Authenticator"))))
    for user in staff.list_staff(_open()):
        state = _left(_("enabled") if user.active else _("locked"), 10)
        enrolled = _("yes") if user.totp_active else _("no")
        click.echo(f"{user.username:<16} {user.branch_code:<8} {','.join(user.roles):<30} {state} {enrolled}")


@staff_group.command("lock")
@click.argument("username")
@click.option("--as", "admin_username", required=True, help="The admin locking the user.")
@click.option("--reason", required=True)
def staff_lock(username: str, admin_username: str, reason: str) -> None:
    """Lock a user at once (unlocking needs two admins)."""
    database = _open()
    staff.lock(database, _sign_in(database, admin_username, "admin"), username, reason)
    click.echo(_("{username} is locked").format(username=username))


@staff_group.command("unlock")
@click.argument("username")
@click.option("--as", "admin_username", required=True, help="The admin proposing the unlock.")
def staff_unlock(username: str, admin_username: str) -> None:
    """Propose unlocking a user; a second admin approves."""
    database = _open()
    change = admin_changes.propose_unlock(database, _sign_in(database, admin_username, "admin"), username)
    click.echo(_("Proposed admin change {id} (unlock {username}): another admin approves it").format(
        id=change.id, username=username))


@staff_group.command("enroll-totp")
@click.argument("username")
def staff_enroll_totp(username: str) -> None:
    """Show a QR code for the user's authenticator app, then confirm with its first code."""
    import segno

    database = _open()
    secret, uri = staff.begin_totp_enrolment(database, _operator(), username)
    segno.make(uri, error="m").terminal(compact=True)
    click.echo(_("Scan the code above, or type this secret into the authenticator: {secret}").format(secret=secret))
    code = click.prompt(_("First code the authenticator shows"))
    staff.confirm_totp_enrolment(database, _operator(), username, code)
    click.echo(_("Authenticator enrolled for {username}").format(username=username))


# --- admin changes ----------------------------------------------------------------------------------------


@root.cli.group("admin")
def admin_group() -> None:
    """Decide four-eyes admin changes."""


@admin_group.command("pending")
def admin_pending() -> None:
    for change in admin_changes.pending(_open()):
        proposer = _("by staff {id}").format(id=change.proposed_by)
        click.echo(f"{change.id:>5}  {change.kind:<14} {proposer}  {change.summary}")


@admin_group.command("approve")
@click.argument("change_id", type=int)
@click.option("--as", "admin_username", required=True)
def admin_approve(change_id: int, admin_username: str) -> None:
    database = _open()
    view = admin_changes.decide(database, change_id, _sign_in(database, admin_username, "admin"), approve=True)
    click.echo(_("Admin change {id} applied").format(id=view.id))


@admin_group.command("reject")
@click.argument("change_id", type=int)
@click.option("--as", "admin_username", required=True)
@click.option("--reason", required=True)
def admin_reject(change_id: int, admin_username: str, reason: str) -> None:
    database = _open()
    admin_changes.decide(database, change_id, _sign_in(database, admin_username, "admin"), approve=False,
                         reason=reason)
    click.echo(_("Admin change {id} rejected").format(id=change_id))


# --- policy and instructions --------------------------------------------------------------------------------


@root.cli.group("policy")
def policy_group() -> None:
    """Second-key authority limits."""


@policy_group.command("show")
@click.option("--kind", default="transfer", help="Instruction kind to show the authority for.")
@click.option("--currency", default="CNY")
def policy_show(kind: str, currency: str) -> None:
    table = _open().run(lambda session: policy.authorities(session, kind, currency), readonly=True)
    click.echo(_("Authority for {kind} in {currency}:").format(kind=kind, currency=currency))
    click.echo(" ".join((_left(_("Role"), 16), _right(_("Level"), 5), _right(_("Alone up to"), 20),
                         _right(_("Jointly up to"), 20))))
    for authority in sorted(table.values(), key=lambda item: item.level):
        click.echo(f"{authority.role:<16} {authority.level:>5} {format_minor(authority.single_limit, currency):>20} "
                   f"{format_minor(authority.joint_limit, currency):>20}")


@root.cli.group("product")
def product_group() -> None:
    """Loan products (changes are four-eyes)."""


@product_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include withdrawn products.")
def product_list(show_all: bool) -> None:
    click.echo(" ".join((_left(_("Code"), 20), _right(_("Version"), 7), _left(_("Offered"), 6), _("Product"))))
    for product in loans.list_products(_open(), active_only=not show_all):
        offered = _left(_("yes") if product.active else _("no"), 6)
        click.echo(f"{product.code:<20} {product.version:>7} {offered} "
                   f"{product.name_en} / {product.name_zh}")


@product_group.command("show")
@click.argument("code")
def product_show(code: str) -> None:
    """Print a product's definition as JSON (edit it and `propose` it back)."""
    click.echo(json.dumps(loans.product_definition(_open(), code), ensure_ascii=False, indent=1))


@product_group.command("propose")
@click.argument("definition_file", type=click.File("r", encoding="utf-8"))
@click.option("--as", "admin_username", required=True, help="The admin proposing the change (a second admin approves).")
@click.option("--withdraw", is_flag=True, help="Withdraw the product from new applications.")
def product_propose(definition_file, admin_username: str, withdraw: bool) -> None:
    """Propose a new or changed loan product from a JSON definition; a second admin approves."""
    try:
        definition = json.load(definition_file)
    except json.JSONDecodeError as error:
        raise click.BadParameter(_("not JSON: {error}").format(error=error), param_hint="DEFINITION_FILE") from error
    database = _open()
    change = admin_changes.propose_product(database, _sign_in(database, admin_username, "admin"), definition,
                                           active=not withdraw)
    click.echo(_("Proposed admin change {id} (loan product {code}): another admin approves it").format(
        id=change.id, code=change.summary["code"]))


@root.cli.group("instruction")
def instruction_group() -> None:
    """Fund-movement instructions."""


@instruction_group.command("list")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "cancelled", "expired"]))
@click.option("--limit", default=50, show_default=True)
def instruction_list(status: str | None, limit: int) -> None:
    click.echo(" ".join((_right(_("Id"), 7), _left(_("Kind"), 18), _left(_("Status"), 10), _right(_("Amount"), 20),
                         _right(_("Maker"), 6), _right(_("Checker"), 7), " " + _("Narrative"))))
    for view in instructions.list_instructions(_open(), status=status, limit=limit):
        click.echo(f"{view.id:>7} {view.kind:<18} {view.status:<10} "
                   f"{view.currency + ' ' + format_minor(view.amount, view.currency):>20} {view.maker_id:>6} "
                   f"{view.checker_id or '-':>7}  {view.narrative}")


@instruction_group.command("show")
@click.argument("instruction_id", type=int)
def instruction_show(instruction_id: int) -> None:
    view = instructions.get(_open(), instruction_id)
    for label, value in (
        (_("Instruction"), view.id), (_("Kind"), view.kind), (_("Status"), view.status),
        (_("Amount"), f"{view.currency} {format_minor(view.amount, view.currency)}"), (_("Narrative"), view.narrative),
        (_("Branch"), view.branch_id), (_("Business date"), view.business_date), (_("Maker"), view.maker_id),
        (_("Checker"), view.checker_id or "-"), (_("Second checker"), view.second_checker_id or "-"),
        (_("Keys needed"), view.required_checkers), (_("Created"), view.created_at), (_("Expires"), view.expires_at),
        (_("Entry"), view.entry_id or "-"), (_("Reason"), view.reason or "-"),
    ):
        click.echo(_left(_("{label}:").format(label=label), 16) + f" {value}")
    for leg in view.legs:
        side = (_("DR {amount}").format(amount=format_minor(leg.debit, view.currency)) if leg.debit
                else _("CR {amount}").format(amount=format_minor(leg.credit, view.currency)))
        click.echo(f"{'':<16} {leg.account_number:<24} {side}")


# --- demo -------------------------------------------------------------------------------------------------


@root.cli.group("demo", invoke_without_command=True)
@click.option("--customers", "customer_count", default=2000, show_default=True, help="How many customers.")
@click.pass_context
def demo_group(ctx: click.Context, customer_count: int) -> None:
    """Create a fresh demo ledger (a branch, staff, ~2,000 customers) and open the workstation on it."""
    if ctx.invoked_subcommand is not None:
        return
    idle_seconds = root.idle_seconds()
    built = demo.build(customer_count, progress=lambda line: click.echo(line, err=True))
    click.echo(built.ledger_line, err=True)
    click.echo(_("Sign in as teller1 (or super1, officer1, manager1, auditor1, admin1) with password {password}; "
                 "the login screen shows each demo user's current authenticator code.").format(
        password=demo.DEMO_PASSWORD), err=True)
    root.run_workstation(lambda: (built.database, built.ledger_line), idle_seconds=idle_seconds, demo_ledger=True)


@demo_group.command("totp")
@click.argument("username")
def demo_totp(username: str) -> None:
    """Show a demo user's current authenticator code (refused on any ledger that is not a demo)."""
    database = _open() if os.environ.get("TELLER_DATABASE_URL") else demo.open_existing().database
    codes = demo.current_codes(database)
    name = staff.normalise_username(username)
    if name not in codes:
        raise TellerError(_("no demo user {name!r} with an authenticator: users are {users}").format(
            name=name, users=", ".join(codes)))
    click.echo(codes[name])
