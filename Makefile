# Teller: `make demo` installs into .venv and opens the workstation on a fresh demo ledger;
# `make test` installs into .venv and runs the whole test suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
WORKERS ?= 2

.PHONY: install test demo bench bench-data messages

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

# Benchmarks (docs/benchmarks.md). The generated ledgers are made once and reused: delete them to regenerate.
BENCH_CUSTOMERS ?= 1000000
BENCH_DIR ?= $(HOME)/.cache/teller-bench
BENCH_SQLITE := sqlite:///$(BENCH_DIR)/teller-$(BENCH_CUSTOMERS).sqlite3
BENCH_PG ?= postgresql://postgres@127.0.0.1:5432/teller_bench_$(BENCH_CUSTOMERS)
BENCH_PG_KEY := $(BENCH_DIR)/teller_bench_$(BENCH_CUSTOMERS)-pg.key
BENCH_CONCURRENCY_PG ?= postgresql://postgres@127.0.0.1:5432/teller_bench_concurrency

$(BENCH_DIR)/teller-$(BENCH_CUSTOMERS).sqlite3: | install
	mkdir -p $(BENCH_DIR)
	$(BIN)/python -m bench.generate --customers $(BENCH_CUSTOMERS) --database $(BENCH_SQLITE)

$(BENCH_DIR)/teller_bench_$(BENCH_CUSTOMERS)-pg.done: | install
	mkdir -p $(BENCH_DIR)
	$(BIN)/python -m bench.generate --customers $(BENCH_CUSTOMERS) --transfers-per-customer 0.1 \
		--floor-customers 20000 --database $(BENCH_PG) --key-file $(BENCH_PG_KEY)
	touch $@

bench-data: $(BENCH_DIR)/teller-$(BENCH_CUSTOMERS).sqlite3 $(BENCH_DIR)/teller_bench_$(BENCH_CUSTOMERS)-pg.done

bench: install bench-data
	$(BIN)/python -m bench.posting
	$(BIN)/python -m bench.schedule
	$(BIN)/python -m bench.lookup --database $(BENCH_SQLITE)
	$(BIN)/python -m bench.lookup --database $(BENCH_PG) --key-file $(BENCH_PG_KEY)
	$(BIN)/python -m bench.keystroke --database $(BENCH_SQLITE)
	$(BIN)/python -m bench.keystroke --database $(BENCH_PG) --key-file $(BENCH_PG_KEY)
	$(BIN)/python -m bench.startup --database $(BENCH_SQLITE)
	$(BIN)/python -m bench.memory --database $(BENCH_SQLITE)
	$(BIN)/python -m bench.concurrency_pg --database $(BENCH_CONCURRENCY_PG)

# Extract the marked strings and merge them into the zh_CN catalogue (then translate what is new).
# --init-missing creates the catalogue from the template the first time; later runs only merge.
# tests/test_catalogue.py fails while any marked string lacks a translation.
POT := teller/locale/teller.pot
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k NC_:1c,2 --add-comments=Translators: --no-location --sort-output \
		--project=Teller --version=0.1.0 --copyright-holder=Teller -o $(POT) teller screens
	$(BIN)/pybabel update -i $(POT) -d teller/locale -D teller -l zh_CN --init-missing --no-fuzzy-matching --ignore-obsolete
