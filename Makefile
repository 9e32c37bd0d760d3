# Teller: `make test` installs into .venv and runs the whole test suite; `make demo` opens a demo ledger.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
WORKERS ?= 2

.PHONY: install test bench ledger messages

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

test: install
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

bench: install
	$(BIN)/python bench/posting.py

# A ledger to try the command line on: ./demo-ledger/ledger.sqlite3 with its key file beside it.
LEDGER_DIR ?= $(CURDIR)/demo-ledger
ledger: install
	@mkdir -p $(LEDGER_DIR)
	@TELLER_DATABASE_URL=sqlite:///$(LEDGER_DIR)/ledger.sqlite3 TELLER_KEY_FILE=$(LEDGER_DIR)/ledger.key $(BIN)/teller db upgrade
	@TELLER_DATABASE_URL=sqlite:///$(LEDGER_DIR)/ledger.sqlite3 TELLER_KEY_FILE=$(LEDGER_DIR)/ledger.key $(BIN)/teller ledger verify
	@echo "Use it with:"
	@echo "  export TELLER_DATABASE_URL=sqlite:///$(LEDGER_DIR)/ledger.sqlite3 TELLER_KEY_FILE=$(LEDGER_DIR)/ledger.key"
	@echo "  $(BIN)/teller branch add 0101 'Main branch' && $(BIN)/teller ledger trial-balance"

# Extract the marked strings and merge them into the zh_CN catalogue (then translate what is new).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o teller/locale/teller.pot teller screens
	$(BIN)/pybabel update -i teller/locale/teller.pot -d teller/locale -D teller -l zh_CN --no-fuzzy-matching
