# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STYLE ?= causeloop
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/causeloop
REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: install demo test lint test-services fuzz bench matrix matrix-ends package clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "Serving the example API on http://127.0.0.1:$(PORT)/ in the $(STYLE) style  (README: 'Walkthrough' lists what to try)"
	@echo "  curl -i http://127.0.0.1:$(PORT)/api/nope"
	@echo "  curl -i -X POST http://127.0.0.1:$(PORT)/auth/token -H 'Content-Type: application/json' -d '{\"username\":\"alice\",\"password\":\"demo-password\",\"workspace\":\"initech\"}'"
	# --insecure: serve the admin's and the API docs' static files with DEBUG off (a demo, never production)
	CAUSELOOP_STYLE=$(STYLE) $(PY) manage.py runserver --insecure 127.0.0.1:$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy causeloop_errors example_project
	# The demo's database migrated first: without the app's tables every command that runs the checks stops at E006.
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check --fail-level WARNING

test: install lint
	$(VENV)/bin/pytest -q -m "not fuzz"

test-services: install
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) $(PY) -m tests.services_preflight
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) $(VENV)/bin/pytest -q -m "not fuzz"

# Schemathesis against the demo's OpenAPI document on a live server, with PostgreSQL and Redis (README: Fuzzing).
fuzz: install
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) $(PY) -m tests.services_preflight
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) $(VENV)/bin/pytest -q -m fuzz tests/test_fuzz.py

# The supported versions (noxfile.py, README: Supported versions) on SQLite: every cell, or the oldest and newest.
matrix: install
	$(VENV)/bin/nox -s tests

matrix-ends: install
	$(VENV)/bin/nox -s "tests(oldest)" "tests(newest)"

# The sdist and wheel, checked as PyPI would (twine --strict), and the wheel in a clean venv with the newest Django.
package: install
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*
	$(PY) tests/smoke_wheel.py dist

bench: install
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .nox dist db.sqlite3 db.sqlite3-wal db.sqlite3-shm .mypy_cache .ruff_cache
