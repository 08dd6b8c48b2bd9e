# The two commands: `make demo` (install, migrate, sample data, serve the admin) and
# `make test` (install, then the whole suite on SQLite and on PostgreSQL).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
# Two xdist workers: most tests wait on SMTP, PostgreSQL or a browser, not on the CPU.
# PYTEST_WORKERS=0 runs in one process; PYTEST_ARGS passes anything else (e.g. -x, -k name).
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
# A hung test fails after this many seconds instead of stalling the run (pytest-timeout).
PYTEST_TIMEOUT ?= 300
PYTEST_OPTS := -n $(PYTEST_WORKERS) --timeout=$(PYTEST_TIMEOUT)
DEMO_ADDR := 127.0.0.1:8000

.PHONY: help demo demo-data test test-sqlite test-postgres test-mariadb lint messages bench clean distclean

help:
	@echo "make demo       install, migrate demo/ on SQLite, load sample data, serve http://$(DEMO_ADDR)/admin/"
	@echo "make test       install, run the suite on SQLite, then on PostgreSQL (127.0.0.1:5432) and MariaDB (:3306)"
	@echo "make lint       ruff"
	@echo "make messages   update the translation catalogues from the source and compile them (GNU gettext)"
	@echo "make bench      benchmarks (bench/)"
	@echo "make clean      remove the demo database, mail, media and caches (distclean: also .venv)"

# A file target: the install is skipped until pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo-data: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo

demo: demo-data
	$(PY) manage.py runserver $(DEMO_ADDR)

# pytest exits 5 when it collected no test: like any non-zero status, that fails make.
# SQLite pass: everything except the PostgreSQL- and MariaDB-only tests (browser tests run here, once).
# PostgreSQL pass: every test again except the browser ones, the SQLite-only claim path and MariaDB's.
test: test-sqlite test-postgres test-mariadb

test-sqlite: $(VENV)/.installed
	$(PYTEST) $(PYTEST_OPTS) -m "not postgres and not mariadb" $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed
	POST_OFFICE_TEST_DB=postgres $(PYTEST) $(PYTEST_OPTS) -m "not browser and not sqlite and not mariadb" $(PYTEST_ARGS)

# MariaDB pass (127.0.0.1:3306, root): the MySQL code paths (claim without RETURNING, the ORM's
# results writes); the browser, SQLite-only and PostgreSQL-only tests are left out.
test-mariadb: $(VENV)/.installed
	POST_OFFICE_TEST_DB=mariadb $(PYTEST) $(PYTEST_OPTS) -m "not browser and not sqlite and not postgres" $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# Run from the package, so the catalogues land in post_office/locale/ (one per language there).
messages: $(VENV)/.installed
	cd post_office && for lang in $$(ls locale); do \
		DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH="$(CURDIR)" "$(abspath $(PY))" -P -m django \
			makemessages -l $$lang --no-obsolete --no-location || exit 1; \
	done
	cd post_office && DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH="$(CURDIR)" "$(abspath $(PY))" -P -m django compilemessages

bench: $(VENV)/.installed
	@if [ -x bench/run.sh ]; then bench/run.sh; else $(PY) -m bench; fi

clean:
	rm -rf demo/db.sqlite3 demo/mail demo/media demo/staticfiles .pytest_cache .ruff_cache test-artifacts
	find . \( -path ./$(VENV) -o -path ./bench/upstream-venv \) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info
