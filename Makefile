# Teller: `make demo` installs into .venv and opens the workstation on a fresh demo ledger;
# `make test` installs into .venv and runs the whole test suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
WORKERS ?= 2

.PHONY: install test demo bench messages

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

test: install
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

demo: install
	$(BIN)/teller demo

bench: install
	$(BIN)/python bench/posting.py
	$(BIN)/python bench/schedule.py

# Extract the marked strings and merge them into the zh_CN catalogue (then translate what is new).
# --init-missing creates the catalogue from the template the first time; later runs only merge.
# tests/test_catalogue.py fails while any marked string lacks a translation.
POT := teller/locale/teller.pot
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ --add-comments=Translators: --no-location --sort-output \
		--project=Teller --version=0.1.0 --copyright-holder=Teller -o $(POT) teller screens
	$(BIN)/pybabel update -i $(POT) -d teller/locale -D teller -l zh_CN --init-missing --no-fuzzy-matching
