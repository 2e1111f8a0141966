# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# numba compiles once per machine and keeps its cache here (cache=True), in a folder named by a hash of the
# compiled sources: numba checks only a kernel's own file, not the helpers it inlines from other modules
# (kernels/common.py, rng.py) or the constants it reads (levers.py). tests/conftest.py names it the same way.
KERNEL_KEY := $(shell cat $(sort $(wildcard qsim/*.py qsim/kernels/*.py)) | sha1sum | cut -c1-12)
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache/$(KERNEL_KEY)

.PHONY: demo test venv browser bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# Debian's Chromium for the browser tests (dashboard, report); installed once, as root or through sudo
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	$(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

browser: $(CHROMIUM)

OPTIONS := social_cohesion participation employment education environment renovation networking integrated funding_cut

# the main job: every shipped scenario validated, then the baseline compared with every option
# (5 paired replications each; tables, plots, the resumable run store and the report in English and German
# in out/demo/)
demo: $(STAMP)
	$(BIN)/qsim validate scenarios/*.toml
	$(BIN)/qsim compare scenarios/baseline.toml $(OPTIONS:%=scenarios/%.toml) -r 5 --out out/demo --report out/demo/report.html
	$(BIN)/qsim report out/demo -o out/demo/report-de.html --lang de

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -q

# the documentation site (MkDocs, warnings are errors) into site/; `$(BIN)/mkdocs serve` serves it live
docs: $(STAMP)
	$(BIN)/python -m mkdocs build --strict --site-dir site

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/schelling_vs_mesa.py
	$(BIN)/python benchmarks/sweep_throughput.py --dask

clean:
	rm -rf $(VENV) .numba_cache out build site *.egg-info
