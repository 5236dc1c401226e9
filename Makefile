# DevForge: `make demo` runs the main job, `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: install demo up test lint typecheck unit bench redteam asyncapi transcripts clean

TOOLS  := .venv-tools
SEMGREP_VERSION := 1.182.0

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

# semgrep pins an old `mcp`: it lives in a virtualenv of its own and runs as a subprocess.
$(TOOLS)/bin/semgrep:
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet semgrep==$(SEMGREP_VERSION)

# Wheels the tests' local package index serves (prepared environments get pytest from it).
WHEELS := .cache/wheelhouse
$(WHEELS)/.filled: tests/data/wheelhouse.txt
	@mkdir -p $(WHEELS)
	@# one pin at a time: the house holds several versions of one project (a project's own pins)
	@grep -v '^#' tests/data/wheelhouse.txt | grep . | while read -r pin; do \
	  $(PY) -m pip download --quiet --only-binary=:all: --no-deps -d $(WHEELS) "$$pin" || exit 1; \
	done
	@touch $@

# Real projects' sdists (pinned by hash) the tests run DevForge on.
PROJECTS := .cache/projects
$(PROJECTS)/.filled: tests/data/projects.txt
	@mkdir -p $(PROJECTS)
	$(PY) -m pip download --quiet --no-binary=:all: --no-deps --require-hashes -d $(PROJECTS) -r tests/data/projects.txt
	@touch $@

# A real Node project and the packages its lock names (npm tarballs, checked by integrity).
NPMS := .cache/npm
$(NPMS)/.filled: tests/data/npm.txt
	@mkdir -p $(NPMS)
	@grep -v '^#' tests/data/npm.txt | grep . | while read -r spec integrity; do \
	  npm pack --silent --pack-destination $(NPMS) "$$spec" > /dev/null || exit 1; \
	done
	$(PY) -m tests.support.npm_cache verify $(NPMS) tests/data/npm.txt
	@touch $@

install: $(STAMP) $(TOOLS)/bin/semgrep $(WHEELS)/.filled $(PROJECTS)/.filled $(NPMS)/.filled

demo: install
	$(VENV)/bin/devforge demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

# The fault tests (killed services, restarted servers) run after the suite, on their own.
test: install lint typecheck
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not faults"
	$(PY) -m pytest -q -m faults -s

bench: install
	$(PY) -m bench.run

redteam: install
	$(PY) -m tests.redteam.run
	$(PY) -m pytest -q tests/integration/test_tokens.py

# Record the scripted model transcripts again (after a change to prompts, tools or their output).
transcripts: install
	$(PY) -m tests.support.transcripts

asyncapi: install
	$(VENV)/bin/devforge asyncapi --out docs/asyncapi.yaml

clean:
	rm -rf $(VENV) $(TOOLS) .devforge .mypy_cache .ruff_cache
