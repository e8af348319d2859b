# The two set-up commands of the README: `make run` and `make test`.
# Both create the virtual environment on first use (CPU torch first, so pip never picks a CUDA build).
VENV ?= .venv
PY := $(VENV)/bin/python
CONFIG ?= $(if $(wildcard config.yaml),config.yaml,)

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

.PHONY: install run test eval bench
install: $(VENV)/.installed

run: $(VENV)/.installed
	$(VENV)/bin/pixbot run $(if $(CONFIG),--config $(CONFIG),)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

eval: $(VENV)/.installed
	$(VENV)/bin/pixbot eval --cases tests/eval/heldout.yaml

bench: $(VENV)/.installed
	$(PY) benchmarks/search_bench.py
