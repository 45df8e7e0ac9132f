# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
# Both create .venv when it is missing and install the project into it.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build by default; GPU users may set TORCH_SPEC to their own build before `make`.
TORCH_SPEC ?= torch==2.13.0
EXTRAS ?= dev,postgres,rl,notebooks
STAMP := $(VENV)/.installed

.PHONY: install browser demo test bench clean help

help:
	@echo "make demo   - set up .venv, run the research summary and the nightly notebook jobs on embedded data"
	@echo "make test   - set up .venv and run the whole test suite"
	@echo "make bench  - set up .venv and run benchmarks/ (results in benchmarks/RESULTS.md)"
	@echo "make clean  - remove .venv and build artefacts"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

install: $(STAMP)

# The dashboard tests drive Debian's chromium through its chromedriver (nothing is downloaded
# at test time). Installed with apt when missing and we are root; otherwise say how.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium and chromium-driver (dashboard browser tests)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "The dashboard tests need chromium and chromedriver: sudo apt-get install chromium chromium-driver"; \
		exit 1; fi

demo: $(STAMP)
	$(BIN)/qlab demo
	$(BIN)/qlab nightly --all --no-progress

test: $(STAMP) browser
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
