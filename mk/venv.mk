# The private Python environment of the tests: build/venv, created once from
# tests/python/requirements.txt (exact versions, SHA-256 of every file) with
# `pip install --require-hashes`; the system Python is never modified. Each
# tests/python/oracle-*.txt (another release of an oracle, e.g. ml_dtypes
# 0.6.0 for the ml_dtypes_0_6 convention) is installed with --no-deps into
# build/venv/oracle/<name>-<version>, which a test puts on PYTHONPATH.
# The stamp makes it happen once; afterwards everything works offline.
# Every recipe sees QCTS_PYTHON, the venv's interpreter (tests use it).
#   make venv                 create it (make test does this first)
#   make test-drift           compare conventions with the newest oracle releases
#   make crosscheck-torch     the torch convention against torch itself
VENV := build/venv
VENV_PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.qcts-venv-stamp
VENV_REQS := tests/python/requirements.txt
VENV_ORACLES := $(sort $(wildcard tests/python/oracle-*.txt))
VENV_PYTHON ?= python3
export QCTS_PYTHON := $(abspath $(VENV_PY))

.PHONY: venv test-drift crosscheck-torch
venv: $(VENV_STAMP)

# Order-only on the dependency check: python3-venv and python3-pip come
# with the base set, also when test-aarch64 is the first target run.
$(VENV_STAMP): $(VENV_REQS) $(VENV_ORACLES) mk/venv.mk | $(DEPS_STAMP)
	@echo "  VENV   $(VENV) (pinned Python oracles: $(VENV_REQS))"
	$(Q)rm -rf $(VENV)
	$(Q)$(VENV_PYTHON) -m venv $(VENV) || { echo "qcts: '$(VENV_PYTHON) -m venv' failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
	$(Q)$(VENV_PY) -m pip install -q --disable-pip-version-check --no-input --require-hashes --no-deps -r $(VENV_REQS)
	$(Q)for r in $(VENV_ORACLES); do \
	    n=$${r##*/oracle-}; n=$${n%.txt}; \
	    $(VENV_PY) -m pip install -q --disable-pip-version-check --no-input --require-hashes --no-deps \
	        --target $(VENV)/oracle/$$n -r $$r || exit 1; \
	done
	$(Q)$(VENV_PY) -m pip check -q >/dev/null || { $(VENV_PY) -m pip check >&2; exit 1; }
	$(Q)touch $@

# Tests that use Python need the venv.
test test-aarch64 test-repeat test-repeat-aarch64: $(VENV_STAMP)

# Non-gating: for each convention with a Python oracle, the newest release
# PyPI serves, in a temporary venv, against the convention (differences are
# printed; the exit status is 0 unless the tool itself fails).
test-drift: $(QCTS) $(VENV_STAMP)
	$(Q)$(VENV_PY) tests/python/drift.py $(QCTS)

# The torch convention against torch itself (not part of make test: torch is
# a download of several GB). TORCH_VERSIONS lists the releases to check.
TORCH_VERSIONS ?= 2.11.0 2.15.0
crosscheck-torch: $(QCTS) $(VENV_STAMP)
	$(Q)$(VENV_PY) tests/python/crosscheck_torch.py $(QCTS) $(TORCH_VERSIONS)
