# One entry point for people and CI. Every target installs what it needs first, from the lock file.
# `make help` prints the lines below that start with "#   make " (one line per target; keep it so).
#   make help   - list the targets
#   make setup  - install the pinned uv into .tools/bin and create .venv from uv.lock
#   make test   - set everything up, lint, type-check and run the whole test suite (what CI runs)
#   make run    - set everything up and serve the API locally on http://127.0.0.1:$${PORT:-8080}
#   make lint   - ruff check and ruff format --check
#   make typecheck - mypy (strict)
#   make pytest - the test suite with coverage (builds test-package first)
#   make package - build the Lambda package for deployment: locked arm64 wheels + 3.13 bytecode (needs Python 3.13)
#   make test-package - the package the tests read: `make package`, or without bytecode if there is no Python 3.13
#   make bench   - run the benchmarks (each prints ratios against a baseline measured in the same run); BENCH=uploads runs one
#   make deployer-policy - regenerate deploy/deployer-policy-*.json (the deployer's IAM policies)
#   make preflight STACK=dev - check everything `pulumi up` needs for that stack (exit 1 on any failure)
#   make clean  - remove everything the targets above created (.tools, .venv, build, caches)
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
BUILD := build
LAMBDA_DEPS := $(BUILD)/lambda-deps
# The Lambda runtime the package is built for (lib/lambda_stack.py: python3.13 on arm64).
LAMBDA_PYTHON_VERSION := 3.13
LAMBDA_PLATFORM := aarch64-manylinux_2_28
# Bytecode is specific to a Python minor version, so the package is compiled by a 3.13 interpreter:
# `python3.13` on PATH, else a pyenv-installed 3.13, else one uv finds (`uv python find 3.13`: a
# uv-managed or system interpreter; uv never downloads one here). Override with
# LAMBDA_PYTHON=/path/to/python3.13. Evaluated when a recipe needs it, so after $(UV) is installed.
LAMBDA_PYTHON ?= $(firstword $(foreach candidate,python$(LAMBDA_PYTHON_VERSION) \
	$(wildcard $(HOME)/.pyenv/versions/$(LAMBDA_PYTHON_VERSION).*/bin/python$(LAMBDA_PYTHON_VERSION)) \
	$(if $(wildcard $(UV)),$(shell $(UV) python find $(LAMBDA_PYTHON_VERSION) 2>/dev/null)),\
	$(shell $(candidate) -c 'import sys; print(sys.executable)' 2>/dev/null)))
# Written by `make test-package` when it builds without bytecode (no Python 3.13); lib/lambda_asset.py
# then accepts sources without bytecode. `make package` (the deployment build) removes it.
BYTECODE_SKIPPED := $(BUILD)/lambda-bytecode.skipped
NO_LAMBDA_PYTHON := Python $(LAMBDA_PYTHON_VERSION) was not found (python$(LAMBDA_PYTHON_VERSION) on PATH, \
	~/.pyenv/versions/$(LAMBDA_PYTHON_VERSION).*, 'uv python find $(LAMBDA_PYTHON_VERSION)').
GET_LAMBDA_PYTHON := Get one with '$(UV) python install $(LAMBDA_PYTHON_VERSION)' (run it in your shell, not \
	through make, which sets UV_PYTHON_DOWNLOADS=never; it downloads from GitHub), 'pyenv install \
	$(LAMBDA_PYTHON_VERSION)', or your distribution's python$(LAMBDA_PYTHON_VERSION) package; or set \
	LAMBDA_PYTHON=/path/to/python$(LAMBDA_PYTHON_VERSION).

# Never let uv download an interpreter: the build machines (CI) only reach package registries. On a
# machine with internet access, `.tools/bin/uv python install 3.13` in your own shell is the way.
export UV_PYTHON_DOWNLOADS := never

.PHONY: help setup package test-package test lint typecheck pytest run bench preflight clean

help:
	@sed -n 's/^#   \(make .*\)/\1/p' $(firstword $(MAKEFILE_LIST))

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml client/pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced

# Exactly the locked versions and hashes of the `lambda` group, as wheels only (no build step can run
# for the wrong platform), into a fresh directory so nothing stale is ever zipped.
$(BUILD)/lambda-deps.stamp: $(VENV)/.synced pyproject.toml uv.lock
	rm -rf $(LAMBDA_DEPS)
	mkdir -p $(BUILD)
	$(UV) export --frozen --only-group lambda --no-emit-project --no-header \
		--format requirements.txt --output-file $(BUILD)/lambda-requirements.txt
	$(UV) pip install --target $(LAMBDA_DEPS) --python $(BIN)/python \
		--python-version $(LAMBDA_PYTHON_VERSION) --python-platform $(LAMBDA_PLATFORM) \
		--only-binary :all: --require-hashes --no-deps --quiet -r $(BUILD)/lambda-requirements.txt
	touch $@

# Precompiled bytecode for the runtime (lib/lambda_asset.py says why): the service's is checked-hash
# (verified against its source at import), the dependencies' is unchecked (they are rebuilt whole).
# /var/task is where Lambda unpacks the zip, so tracebacks name the real paths.
$(BUILD)/lambda-bytecode.stamp: $(BUILD)/lambda-deps.stamp $(wildcard document_processor/*.py)
	@test -n "$(LAMBDA_PYTHON)" || { echo "make package: the Lambda package is compiled to Python" \
		"$(LAMBDA_PYTHON_VERSION) bytecode for deployment, and $(NO_LAMBDA_PYTHON) $(GET_LAMBDA_PYTHON)" >&2; exit 1; }
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode checked-hash -p /var/task document_processor
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash \
		-s $(LAMBDA_DEPS) -p /var/task $(LAMBDA_DEPS)
	touch $@

package: $(BUILD)/lambda-bytecode.stamp
	@rm -f $(BYTECODE_SKIPPED)

# What the tests read: the deployable package when Python 3.13 is there, else the same files without
# bytecode, said on the terminal and in $(BYTECODE_SKIPPED) (the bytecode tests skip with that reason).
test-package: $(BUILD)/lambda-deps.stamp
	@if [ -n "$(LAMBDA_PYTHON)" ]; then $(MAKE) --no-print-directory package; else \
		echo "NOTE: building the Lambda package for the tests WITHOUT bytecode: $(NO_LAMBDA_PYTHON)" \
			"The tests that check the bytecode skip; 'make package' (deployment) still needs it." \
			"$(GET_LAMBDA_PYTHON)" | tee $(BYTECODE_SKIPPED) >&2; fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

pytest: setup test-package
	$(BIN)/pytest --cov --cov-report=term

test: lint typecheck pytest
	$(BIN)/coverage report --include='lib/*,tap.py' --fail-under=90
	$(BIN)/coverage report --include='document_processor/*' --fail-under=90

run: setup
	$(BIN)/python -m local_mode

bench: setup
	$(BIN)/python -m benchmarks$(if $(BENCH),.$(BENCH))

# The least-privilege policies of whoever runs `pulumi up` (lib/deployer_policy.py; README, "Deployer
# permissions"); a unit test fails when the committed files and the generator disagree.
.PHONY: deployer-policy
deployer-policy: setup
	$(BIN)/python -m lib.deployer_policy --output-dir deploy

# Before the first `pulumi up`: tools, credentials, region, zones, the API Gateway account setting and
# the effective config of the stack (STACK=<name>, else PULUMI_STACK, else the selected stack).
preflight: setup
	$(BIN)/python -m preflight$(if $(STACK), --stack $(STACK))

clean:
	rm -rf $(TOOLS) $(VENV) build .coverage .mypy_cache .pytest_cache .ruff_cache
