# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean docs-images

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	@$(BIN)/python examples/demo.py

# the suite on every CPU the system gives this process (pytest-xdist `-n logical`, not `auto`,
# which counts physical cores when psutil is installed: 1 on a 2-vCPU runner); WORKERS=0: one process
WORKERS ?= logical
test: $(VENV)/.installed
	$(BIN)/ruff check sheetsync tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n $(WORKERS)

lint: $(VENV)/.installed
	$(BIN)/ruff check sheetsync tests benchmarks
	$(BIN)/ruff format --check sheetsync tests benchmarks
	$(BIN)/mypy

# the first printed page of each output, for the README (needs LibreOffice and poppler)
docs-images: $(VENV)/.installed
	$(BIN)/python docs/make_images.py

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
