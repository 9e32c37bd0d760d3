"""The layers are executable: the import-linter contracts in pyproject.toml run with the tests, and what the
workstation loads before its first screen is checked here."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--config", str(ROOT / "pyproject.toml")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_the_login_screen_paints_before_the_database_layer_loads():
    """What `teller` imports before its first screen: no SQLAlchemy, no models, no services (they load on
    the thread that opens the ledger, while the login screen shows)."""
    loaded = subprocess.run([sys.executable, "-c", (
        "import sys\n"
        "from teller import cli\n"
        "from teller.ui.app import TellerApp\n"
        "from screens.login import LoginScreen\n"
        "print(' '.join(sorted(name for name in sys.modules if name.split('.')[0] in "
        "('sqlalchemy', 'models', 'psycopg', 'argon2', 'keyring', 'cryptography', 'reportlab', 'screens', 'teller'))))"
    )], capture_output=True, text=True, check=True).stdout.split()
    assert not [name for name in loaded if name.split(".")[0] in
                ("sqlalchemy", "models", "psycopg", "argon2", "keyring", "cryptography", "reportlab")], loaded
    assert "screens.login" in loaded and "teller.ui.app" in loaded
    assert not {"teller.cli_commands", "teller.db", "teller.authentication", "screens.lookup"} & set(loaded)


def _frame_rate(environment: dict[str, str]) -> int:
    return int(subprocess.run([sys.executable, "-c", (
        "from teller import cli\n"
        "from textual import constants\n"
        "print(constants.MAX_FPS)"
    )], capture_output=True, text=True, check=True, env=environment).stdout)


def test_the_workstation_paints_up_to_120_frames_a_second_unless_told_otherwise():
    """Textual holds a change until its next frame: the workstation asks for frames twice as often as
    Textual's default of 60, so search results wait at most about 8 ms for theirs; TEXTUAL_FPS still wins."""
    environment = {name: value for name, value in os.environ.items() if name != "TEXTUAL_FPS"}
    assert _frame_rate(environment) == 120
    assert _frame_rate({**environment, "TEXTUAL_FPS": "30"}) == 30
