# One entry point for people and CI. Every target installs what it needs first, from the lock file.
#   make test   - set everything up, lint, type-check and run the whole test suite (what CI runs)
#   make run    - set everything up and serve the API locally on http://127.0.0.1:$${PORT:-8080}
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

# Never let uv download an interpreter: the build machines only reach package registries.
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup test lint typecheck unit run bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest --cov --cov-report=term

test: lint typecheck unit
	$(BIN)/coverage report --include='lib/*,tap.py' --fail-under=90
	$(BIN)/coverage report --include='document_processor/*' --fail-under=90

run: setup
	$(BIN)/python -m local_mode

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(TOOLS) $(VENV) build .coverage .mypy_cache .pytest_cache .ruff_cache
