# One entry point for people and CI. Every target installs what it needs first, from the lock file.
#   make test   - set everything up, lint, type-check and run the whole test suite (what CI runs)
#   make run    - set everything up and serve the API locally on http://127.0.0.1:$${PORT:-8080}
#   make package - install the Lambda's third-party packages (the `lambda` dependency group) from the
#                  lock into build/lambda-deps, for Python 3.13 on arm64, and compile everything the
#                  function imports to Python 3.13 bytecode; the Pulumi program zips the result
#   make bench   - run the benchmarks (each prints ratios against a baseline measured in the same run)
#   make deployer-policy - regenerate deploy/deployer-policy-*.json (the deployer's IAM policies)
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
# `python3.13` on PATH, else a pyenv-installed 3.13. Override with LAMBDA_PYTHON=/path/to/python3.13.
LAMBDA_PYTHON ?= $(firstword $(foreach candidate,python$(LAMBDA_PYTHON_VERSION) \
	$(wildcard $(HOME)/.pyenv/versions/$(LAMBDA_PYTHON_VERSION).*/bin/python$(LAMBDA_PYTHON_VERSION)),\
	$(shell $(candidate) -c 'import sys; print(sys.executable)' 2>/dev/null)))

# Never let uv download an interpreter: the build machines only reach package registries.
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup package test lint typecheck pytest run bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
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
	@test -n "$(LAMBDA_PYTHON)" || { echo "Python $(LAMBDA_PYTHON_VERSION) is needed to compile the" \
		"Lambda package; install it or set LAMBDA_PYTHON=/path/to/python$(LAMBDA_PYTHON_VERSION)" >&2; exit 1; }
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode checked-hash -p /var/task document_processor
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash \
		-s $(LAMBDA_DEPS) -p /var/task $(LAMBDA_DEPS)
	touch $@

package: $(BUILD)/lambda-bytecode.stamp

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

pytest: setup package
	$(BIN)/pytest --cov --cov-report=term

test: lint typecheck pytest
	$(BIN)/coverage report --include='lib/*,tap.py' --fail-under=90
	$(BIN)/coverage report --include='document_processor/*' --fail-under=90

run: setup
	$(BIN)/python -m local_mode

bench: setup
	$(BIN)/python -m benchmarks

# The least-privilege policies of whoever runs `pulumi up` (lib/deployer_policy.py; README, "Deployer
# permissions"); a unit test fails when the committed files and the generator disagree.
.PHONY: deployer-policy
deployer-policy: setup
	$(BIN)/python -m lib.deployer_policy --output-dir deploy

clean:
	rm -rf $(TOOLS) $(VENV) build .coverage .mypy_cache .pytest_cache .ruff_cache
