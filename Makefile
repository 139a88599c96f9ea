# The two commands: `make demo` (installs, then runs the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test fuzz lint format bench bench-site docs clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p out
	$(VENV)/bin/nbbrain run sensorimotor --duration-ms 10000 --raster out/raster.png --rates out/rates.png --summary out/summary.txt

# PyNN's own system tests (its source distribution: the wheel leaves them out), which
# tests/test_pynn_scenarios.py runs against nbbrain.pynn
PYNN_SRC := .cache/pynn-0.13.0
$(PYNN_SRC): $(STAMP)
	mkdir -p .cache
	$(PY) -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation -d .cache pynn==0.13.0
	tar -xzf .cache/pynn-0.13.0.tar.gz -C .cache
	touch $@

test: $(STAMP) $(PYNN_SRC)
	$(VENV)/bin/ruff check nbbrain tests asv_benchmarks docs
	$(VENV)/bin/ruff format --check nbbrain tests asv_benchmarks docs
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

fuzz: $(STAMP)
	NBBRAIN_FUZZ_EXAMPLES=10000 $(PY) -m pytest -q tests/test_fuzz.py

format: $(STAMP)
	$(VENV)/bin/ruff format nbbrain tests asv_benchmarks docs
	$(VENV)/bin/ruff check --fix nbbrain tests asv_benchmarks docs

bench: $(STAMP)
	$(VENV)/bin/nbbrain bench coba

# the asv history as HTML in asv_benchmarks/html: a quick run of this commit (BENCH=regex:
# some benchmarks only) added to the results this machine keeps, then published
bench-site: $(STAMP)
	cd asv_benchmarks && ../$(VENV)/bin/asv machine --yes > /dev/null
	cd asv_benchmarks && ../$(VENV)/bin/asv run --python=same --quick \
		--set-commit-hash $$(git rev-parse HEAD) $(if $(BENCH),--bench "$(BENCH)")
	cd asv_benchmarks && ../$(VENV)/bin/asv publish

$(VENV)/.installed-docs: $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $@

# the documentation site in docs/_build/html (the gallery's examples run as it builds)
docs: $(VENV)/.installed-docs
	$(VENV)/bin/sphinx-build -q -b html docs docs/_build/html

clean:
	rm -rf $(VENV) .cache out .pytest_cache .hypothesis .numba-cache docs/_build docs/gallery
