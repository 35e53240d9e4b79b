# Two commands do everything on a fresh machine:
#   make demo   builds the report on the bundled example data, as data/planning.toml
#               says: report/index.html, report/report.xlsx, report/tables/*.csv
#   make test   runs the test suite
#   make docs   builds the documentation site: docs/_build/html/index.html
# Each creates .venv and installs the project into it on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-oldest test-fast lint typecheck docs data gallery bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/backorder-analytics report --config data/planning.toml --out report

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

# The suite on the oldest supported releases (.ci/oldest-constraints.txt), in .venv-oldest.
OLDEST := .venv-oldest
$(OLDEST)/.installed-stamp: pyproject.toml .ci/oldest-constraints.txt
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -c .ci/oldest-constraints.txt -e '.[dev]'
	touch $@

test-oldest: $(OLDEST)/.installed-stamp
	$(OLDEST)/bin/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

# The documentation site: the API reference from the docstrings, the user guide (README),
# the design notes and the notebooks with their stored outputs. Warnings are errors.
docs: $(STAMP)
	rm -rf docs/api  # autosummary's pages: made anew, none left from a name since removed
	MPLBACKEND=Agg $(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

# Type-check the package (configured in pyproject.toml, [tool.mypy]).
typecheck: $(STAMP)
	$(BIN)/python -m mypy

# Regenerate the bundled example dataset (data/*.csv) from example_dataset(seed=0).
data: $(STAMP)
	$(BIN)/backorder-analytics example-data --out data

# Redraw the README's chart gallery (docs/gallery/*.png) from the example report.
gallery: $(STAMP)
	$(BIN)/python docs/make_gallery.py

bench: $(STAMP)
	$(BIN)/python benchmarks/io_bench.py
	$(BIN)/python benchmarks/forecast_bench.py
	$(BIN)/python benchmarks/sim_bench.py
	$(BIN)/python benchmarks/plan_bench.py

clean:
	rm -rf $(VENV) $(OLDEST) report .pytest_cache .mypy_cache docs/_build docs/api
