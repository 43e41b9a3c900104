PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install browser run test fuzz bench bench-load bench-webhooks lint format check-migrations schema clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) .env

# Local settings for a development checkout (debug on, a secret key of its own), so manage.py
# works there; production sets the environment itself and does not use make.
.env:
	printf 'DJANGO_DEBUG=true\nDJANGO_SECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env

# The web server and the webhook worker together; Ctrl-C (or the server ending) stops both.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_timeline --if-empty
	$(PY) manage.py rebuild_representations --not-current
	$(PY) manage.py ensure_local_admin
	export REGWATCH_WEBHOOKS_ALLOW_LOOPBACK=true; \
	$(PY) manage.py db_worker --interval 0.5 --no-startup-delay --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Headless Chromium for the browser tests (tests/browser/), from Debian's packages; Playwright
# drives it, and never downloads a browser of its own. Without it those tests are skipped
# (failed under CI=true).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium could not be installed: the browser tests will be skipped"

test: install browser
	$(PY) -m pytest

# A long, randomised schemathesis pass over every operation (the suite runs a short, fixed one).
fuzz: install
	REGWATCH_FUZZ_EXAMPLES=$${REGWATCH_FUZZ_EXAMPLES:-300} REGWATCH_FUZZ_RANDOM=1 \
		$(PY) -m pytest tests/api/test_fuzz.py tests/api/test_schemathesis_live.py -p no:cacheprovider

# RegWatch against Datasette and a raw WSGI floor at 100k measures (BENCH_ARGS: see
# `python -m bench.run --help`, e.g. BENCH_ARGS="--db sqlite" to leave PostgreSQL out). Writes
# bench/results.md.
# Then CPU per request in process (bench/cpu.md), exports and facets at 100k
# (bench/exports.md), and loading (bench/loading.md).
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	$(PY) -m bench.run $(BENCH_ARGS)
	$(PY) -m bench.cpu
	$(PY) -m bench.exports
	$(PY) -m bench.loading

# Webhook delivery latency (a write to the receiver's 200, one worker: p50/p99) and change-feed
# throughput (BENCH_WEBHOOKS_ARGS: see `python -m bench.webhooks --help`). Writes bench/webhooks.md.
bench-webhooks: install
	$(PY) -m bench.webhooks $(BENCH_WEBHOOKS_ARGS)

# load_timeline on 10,000 synthetic measures in the dataset format: time and peak memory
# (BENCH_LOAD_ARGS: see `python -m bench.loading --help`). Writes bench/loading.md.
bench-load: install
	$(PY) -m bench.loading $(BENCH_LOAD_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-migrations: install
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm .pytest_cache .ruff_cache

schema: install
	$(PY) manage.py spectacular --api-version v1 --validate --fail-on-warn --file schema.yml
