# imaging-cloud — every set-up step lives here, so a fresh clone needs only `make up` / `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
NCA := .tools/nca/.installed-$(shell cat tools/judges/requirements-nca.txt | sha1sum | cut -c1-12)
CHECKOV := .tools/checkov/.installed-$(shell cat tools/judges/requirements-checkov.txt | sha1sum | cut -c1-12)
OUT ?= out
STACK ?= dev
PYTEST_ARGS ?=

.PHONY: help venv judges test-deps up render validate audit guard test test-unit schemas docs bench profile clean baselines

help:
	@echo "make up      - set up and run the main job on the embedded dev stack"
	@echo "make test    - set up and run the whole test suite"
	@echo "make render STACK=all - render every production stack offline into $(OUT)/"
	@echo "make bench   - speed and memory benchmarks (bench/results.json)"
	@echo "make profile STACK=midlands - pyinstrument profile of a stack's render ($(OUT)/profile-<stack>/)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

# Third-party judges get their own virtualenvs: their pins conflict with pulumi's.
$(NCA): tools/judges/requirements-nca.txt
	$(PYTHON) -m venv .tools/nca
	.tools/nca/bin/pip install -q -r $<
	rm -f .tools/nca/.installed-* && touch $@

$(CHECKOV): tools/judges/requirements-checkov.txt
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/pip install -q -r $<
	rm -f .tools/checkov/.installed-* && touch $@

judges: $(NCA) $(CHECKOV)

validate: venv
	$(BIN)/imaging-cloud validate --stack $(STACK)

render: venv
	$(BIN)/imaging-cloud render --stack $(STACK) --out $(OUT)/$(STACK) --summary

audit: venv
	$(BIN)/imaging-cloud audit --stack $(STACK) --out $(OUT)/audit-$(STACK)

guard: venv
	$(BIN)/imaging-cloud guard --stack $(STACK)

schemas: venv
	$(BIN)/imaging-cloud schema

up: venv
	$(BIN)/imaging-cloud validate --stack dev
	$(BIN)/imaging-cloud render --stack dev --out $(OUT)/dev --summary

# Debian packages the archive and monitoring tests run for real (Orthanc, PostgreSQL, Lua).
test-deps:
	bash scripts/install-test-deps.sh

# The integration tests need the toolchain built from Go modules (cached after the first
# build; cold ~77 min on 2 cores, see README).
test: venv judges test-deps toolchain
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: venv
	$(BIN)/pytest -m "not integration and not orthanc and not judges" $(PYTEST_ARGS)

# Speed and memory are measured here, never asserted by tests (docs/performance.md).
bench: venv judges
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Where a render spends its time: a pyinstrument profile of each stack's worker (html + txt).
profile: venv
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/imaging-cloud render --stack $(STACK) --out $(OUT)/$(STACK) --profile $(OUT)/profile-$(STACK)

# Deliberately refresh the data-loss guard's baselines (review the diff!).
baselines: venv
	$(BIN)/imaging-cloud guard --stack dev --update
	$(BIN)/imaging-cloud guard --stack all --update

clean:
	rm -rf $(OUT) .pytest_cache
include mk/toolchain.mk
