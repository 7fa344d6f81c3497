# The course's commands. Each one creates .venv and installs the locked packages
# on first use, so a fresh clone needs only Python 3.11+ and make.
#
#   make run            serve the finished API (step 05) at http://127.0.0.1:5000
#   make test           run every step's tests, one process per step
#   make docs           serve the docs site at http://127.0.0.1:8000
#   make lint           ruff check + ruff format --check
#   make docs-build     build the site into site/, strictly (what CI runs)
#   make clean          remove caches, .lessons/ (throwaway databases, test caches), site/
#
# STEP=NN picks one step for run and test:  make run STEP=01   make test STEP=04
# HOST= and PORT= pick where run and docs listen:  make run PORT=5001
#   make docs HOST=0.0.0.0 PORT=8001   (0.0.0.0: every network, e.g. a classroom)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_VERSION := 26.3
STEP ?=
# Empty unless given on the command line (make docs PORT=8001): an assignment
# here wins over the environment, where some shells (tcsh) keep HOST set to the
# machine's name, which would put the docs on the network unasked.
HOST :=
PORT :=
LISTEN = $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))
# mkdocs-material prints a notice about MkDocs 2.0 on every build; we pin
# mkdocs < 2, so the notice is not for us.
export NO_MKDOCS_2_WARNING := 1

.PHONY: help install run test docs docs-build lint format clean clean-caches lock

help:
	@sed -n '1,14p' Makefile | sed 's/^# \{0,1\}//'

# The stamp file is newer than the lock once the lock is installed, so make
# reinstalls only when requirements.lock or pyproject.toml change.
$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(3 if sys.version_info < (3, 11) else 0)'; \
	status=$$?; \
	if [ $$status = 3 ]; then \
		echo "Python 3.11 or newer is needed; '$(PYTHON)' is older."; \
		echo "Install a newer Python, then run: make $(MAKECMDGOALS) PYTHON=python3.12"; \
		exit 1; \
	elif [ $$status != 0 ]; then \
		echo "'$(PYTHON)' could not run (see the message above). Name a Python that"; \
		echo "runs in this shell, e.g.: make $(MAKECMDGOALS) PYTHON=python3"; \
		exit 1; fi
	@test -x $(BIN)/pip || { \
		echo "Creating $(VENV)"; rm -rf $(VENV); \
		$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
			echo "'$(PYTHON) -m venv' failed. On Debian/Ubuntu: sudo apt install python3-venv"; \
			exit 1; }; }
	@echo "Installing the locked packages into $(VENV) (requirements.lock)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==$(PIP_VERSION)"
	@# Not --quiet: installing takes a while, and pip's lines show it is moving.
	@$(BIN)/pip install --progress-bar off --disable-pip-version-check -r requirements.lock
	@$(BIN)/pip install --quiet --no-deps --editable .
	@touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/lessons run $(STEP) $(LISTEN)

test: install
	$(BIN)/lessons test $(STEP)

docs: install
	$(BIN)/lessons docs $(LISTEN)

docs-build: install
	$(BIN)/mkdocs build --strict

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: clean-caches
	-@test -x $(BIN)/lessons && $(BIN)/lessons db stop >/dev/null 2>&1; true
	rm -rf .lessons site .pytest_cache .ruff_cache

# Every __pycache__ of the course, never one inside a virtual environment
# (.venv here, or a learner's venv/ in a step folder): those belong to pip.
clean-caches:
	find . \( -name .venv -o -name venv -o -name .lock-venv \) -prune \
		-o -name __pycache__ -type d -prune -exec rm -rf {} +

# Re-resolve every dependency to its newest allowed version and pin the result.
# Run it on purpose, then commit requirements.lock with a message saying why.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet "pip==$(PIP_VERSION)"
	.lock-venv/bin/pip install --quiet --group dev --editable .
	{ echo "# Exact versions that CI tested. Made by 'make lock'; do not edit by hand."; \
	  .lock-venv/bin/pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lock-venv
