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

# The embedding model fine-tuned on our FAQ, documentation and example questions (`pixbot train`,
# about 22 minutes on 2 cores, once). Delete the folder, or run `pixbot train`, to train again.
MODEL := data/models/pixbot-minilm/config.json
$(MODEL): | $(VENV)/.installed
	$(VENV)/bin/pixbot $(if $(CONFIG),--config $(CONFIG),) train

.PHONY: install run test eval bench
install: $(VENV)/.installed

run: $(VENV)/.installed $(MODEL)
	$(VENV)/bin/pixbot $(if $(CONFIG),--config $(CONFIG),) run

test: $(VENV)/.installed $(MODEL)
	$(PY) -m pytest $(PYTEST_ARGS)

eval: $(VENV)/.installed
	$(VENV)/bin/pixbot eval --cases tests/eval/heldout.yaml

bench: $(VENV)/.installed
	$(PY) benchmarks/search_bench.py
