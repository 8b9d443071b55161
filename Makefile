# The two commands of the README: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install browser run test eval lint format bench clean

# torch goes first and pinned: on these machines 2.13.0 is a CPU wheel on disk, while an
# unpinned torch pulled in by another package would be a multi-GB CUDA build.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Cerebro needs Python >= 3.11 (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo loads the seed scenarios' journeys unless CEREBRO_JOURNEYS_DIR says otherwise. Without
# a CEREBRO_ADMIN_TOKEN it makes a random one for this run and prints it (never logged), so the
# agent console and the dashboard can be signed in to.
run: install
	$(BIN)/cerebro migrate
	$(BIN)/cerebro seed --if-empty
	@if [ -z "$${CEREBRO_ADMIN_TOKEN:-}" ]; then \
		CEREBRO_ADMIN_TOKEN=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(18))'); \
		echo "Agent console and dashboard: sign in with the admin token $$CEREBRO_ADMIN_TOKEN"; \
	else echo "Agent console and dashboard: sign in with your CEREBRO_ADMIN_TOKEN"; fi; \
	export CEREBRO_ADMIN_TOKEN; \
	CEREBRO_JOURNEYS_DIR=$${CEREBRO_JOURNEYS_DIR:-journeys/examples} \
		$(BIN)/cerebro serve --host $(HOST) --port $(PORT)

# Page tests drive Debian's Chromium through Playwright (never a browser download).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: install browser
	$(BIN)/pytest

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy cerebro agent tools prompts memory journeys routing api evals

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The bundled eval suite on the offline brain, gated by evals/thresholds.yaml (docs/evals.md).
eval: install
	$(BIN)/cerebro eval --brain offline --report $${EVAL_REPORT:-var/eval-report}

bench: install
	@for bench in benchmarks/bench_*.py; do $(BIN)/python $$bench || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
