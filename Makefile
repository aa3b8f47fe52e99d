# Two commands for a newcomer: `make run` (demo with simulator) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# `make install EXTRAS=dev` leaves out the matcher's sentence embedding (it then runs lexical only).
EXTRAS ?= dev,semantic
comma := ,
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)-$(subst $(comma),-,$(EXTRAS))

.PHONY: install browser-deps run test test-pg bench bench-webhook bench-match bench-fanout bench-import fault clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	$(BIN)/wxbot db upgrade
	@# embed the sample questions now (once; cached in var/embeddings), not on the first resident's question
	$(BIN)/python -c "from bot.config import Settings; from bot.answers.knowledge import Bundle; Bundle.load(Settings.from_env().knowledge_dir)"
	PORT=$(PORT) $(BIN)/wxbot serve --demo

# Browser tests drive Debian's chromium (screenshots need a CJK font); as root we install both,
# otherwise the browser tests skip with a message (and fail under CI=true).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium fonts-wqy-microhei fontconfig; \
	  else echo "chromium or a Chinese font is missing: browser tests will be skipped (apt-get install chromium fonts-wqy-microhei)"; fi; fi

test: install browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg: install
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: bench-webhook bench-match bench-fanout

bench-webhook: install
	$(BIN)/python benchmarks/bench_webhook.py

# One thread, as in a worker: OpenMP (the embedding) and OpenBLAS (numpy) would use every core.
bench-match: install
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_match.py

bench-fanout: install
	$(BIN)/python benchmarks/bench_fanout.py

bench-import: install
	$(BIN)/python benchmarks/bench_import.py

# Fault campaign (root, PostgreSQL 127.0.0.1:5432): gunicorn + scheduler, kill -9 a worker and restart
# PostgreSQL under load, WeChat's retries; prints lost / doubled (both must be 0).
fault: install
	$(BIN)/python benchmarks/fault_campaign.py

clean:
	rm -rf $(VENV) var .pytest_cache
