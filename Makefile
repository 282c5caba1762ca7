# The README's two commands: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
RASA_VENV := .venv-rasa
PY        := $(VENV)/bin/python
RASA      := $(RASA_VENV)/bin/rasa
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help install run prod-local test eval bench lint validate unit db model demo-reset lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: ## Create or update both virtual environments (fast when nothing changed)
	@scripts/ensure-venv $(VENV) requirements/dev.txt
	@scripts/ensure-venv $(RASA_VENV) requirements/rasa.txt

db: install ## Apply database migrations; load the demo data into a new database
	@$(PY) -m bot db prepare

model: install ## Train the Rasa model if data/, domain/ or config.yml changed
	@$(PY) -m bot model train

run: install db model ## Install, prepare the database and the model, start everything
	@$(PY) -m bot run

prod-local: install model ## Production topology on this machine: nginx, 2 gateways, 2 Rasa, PostgreSQL, Redis
	@scripts/ensure-nginx
	@$(PY) -m bot prod-local

demo-reset: install ## Restore the demo data exactly as in shared/demo-company.md
	@$(PY) -m bot demo reset

eval: install ## Train if needed, score NLU on the held-out set (tests/nlu), report to reports/nlu
	@$(PY) -m bot eval

bench: install ## Load benchmark, gateway vs bare Rasa, to reports/bench (not in `make test`)
	@$(PY) -m bot bench

lint: install ## ruff and mypy on bot/, actions/ and tests/
	$(PY) -m ruff check bot actions tests
	$(PY) -m ruff format --check bot actions tests
	$(PY) -m mypy

validate: install ## Check the Rasa data and domain for consistency
	PYTHONWARNINGS=ignore::DeprecationWarning $(RASA) data validate --domain domain --fail-on-warnings

unit: install ## Fast tests only (no real Rasa processes)
	$(PY) -m pytest -m "not e2e"

test: install lint validate ## Everything: lint, Rasa data validation, unit and end-to-end tests
	$(PY) -m pytest

lock: ## Re-resolve requirements/*.in into the pinned requirements/*.txt
	scripts/lock app
	scripts/lock dev
	scripts/lock rasa

clean: ## Remove virtual environments, trained models and local data
	rm -rf $(VENV) $(RASA_VENV) var models/*.tar.gz .rasa
