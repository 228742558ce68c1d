# Two commands on a fresh Debian machine:  make render  |  make test
# Each installs what is missing (system libraries, the venv, the project) and is quick when nothing changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SYS_PKGS := libcairo2-dev libpango1.0-dev pkg-config
# For the browser and office tests only (skipped with a message where they cannot be installed):
# headless Chromium (the gallery and the HTML deck), LibreOffice Impress and poppler (the PowerPoint deck
# converted to PDF pages). Installing all three took 40 s on this project's machine.
TEST_SYS_PKGS := chromium libreoffice-impress poppler-utils
STAMP := $(VENV)/.installed
QUALITY ?= m
JOBS ?=
ARGS ?=

.PHONY: test-all render test fuzz sysdeps test-sysdeps venv clean help
help:
	@echo "make render   render every scene: GIFs at the notebook's paths under media/notebook/, and a gallery page"
	@echo "make test     run the test suite (what CI runs)"
	@echo "make test-all the suite with the heavy checks that each limit is tight (a few minutes more)"
	@echo "make fuzz     the long randomized search of the core (FUZZ=50: 50x the CI examples, new ones every run)"
	@echo "make clean    remove the venv and media/"

# Also, only when needed: venv/ensurepip, the Python headers and a C compiler (pycairo builds from source).
sysdeps:
	@missing=""; for p in $(SYS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	$(PYTHON) -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
	  || missing="$$missing python3-dev"; \
	command -v cc >/dev/null 2>&1 || missing="$$missing gcc"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system libraries:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else \
	    echo "Missing system libraries:$$missing. Install them once with:"; \
	    echo "  sudo apt-get install -y $(SYS_PKGS) python3-venv python3-dev gcc"; \
	    exit 1; \
	  fi; \
	fi

test-sysdeps:
	@missing=""; for p in $(TEST_SYS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing for the browser and office tests:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null) \
	    || echo "warning: could not install$$missing; the tests that need them will be skipped"; \
	fi

$(STAMP): pyproject.toml | sysdeps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: sysdeps $(STAMP)

render: venv
	$(PY) render.py render --all --layout notebook --out media/notebook -q $(QUALITY) $(if $(JOBS),-j $(JOBS)) $(ARGS)
	$(PY) render.py gallery --out media/notebook

# as many pytest processes as cores, at most 4 (each imports Manim: ~0.5 GB); the same hash seed every run
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)
test: venv test-sysdeps
	PYTHONHASHSEED=0 $(PY) -m pytest -q -n $(TEST_JOBS) --durations=30 -m "not heavy" $(ARGS)

# everything, the heavy checks that each limit is tight included
test-all: venv test-sysdeps
	PYTHONHASHSEED=0 $(PY) -m pytest -q -n $(TEST_JOBS) --durations=30 $(ARGS)

# CI runs a fixed set of Hypothesis examples (derandomized, tests/conftest.py); this searches anew every run.
FUZZ ?= 50
fuzz: venv
	CNNVIZ_FUZZ=$(FUZZ) $(PY) -m pytest -q -p no:cacheprovider tests/test_core_hardening.py tests/test_core.py tests/test_gifenc.py $(ARGS)

clean:
	rm -rf $(VENV) media
