# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# numba compiles once per machine and keeps its cache here (cache=True)
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

.PHONY: demo test venv bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# the main job: every shipped scenario validated and run (indicators, ledger, plots in out/demo/<name>)
demo: $(STAMP)
	$(BIN)/qsim validate scenarios/*.toml
	@for f in scenarios/*.toml; do \
		name=$$(basename $$f .toml); \
		$(BIN)/qsim run $$f --quiet --out out/demo/$$name || exit 1; \
	done
	@echo "plots and tables: out/demo/<scenario>/"

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/schelling_vs_mesa.py

clean:
	rm -rf $(VENV) .numba_cache out build *.egg-info
