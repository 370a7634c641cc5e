# Partenaires Santé — two commands: `make run` starts the assistant, `make test` runs the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
export PORT
VENV := .venv
ENGINE_VENV := .venv-engine
PY := $(VENV)/bin/python

.PHONY: help setup run test check train shell lint evaluate tune cross-validate benchmark-nlu benchmark-load admin-user purge clean

help:
	@echo "make run     start the assistant on http://127.0.0.1:$(PORT)/ (sets everything up first)"
	@echo "make test    run everything CI runs"
	@echo "make check   the fast inner loop: ruff, mypy, unit, action and API tests (no model, no browser)"
	@echo "make setup   create both environments and train the model if config, domain or data changed"
	@echo "make train   train the model"
	@echo "make shell   talk to the assistant in the terminal"
	@echo "make evaluate          held-out set through the chat API: accuracy, macro-F1, confusions (reports/)"
	@echo "make tune              tune the fallback thresholds on held-out data and write them to config.yml"
	@echo "make cross-validate    5-fold cross-validation of the NLU training data (reports/cross-validation/)"
	@echo "make benchmark-nlu     external French NLU benchmark, our pipeline vs the anchor (reports/benchmark-nlu.md)"
	@echo "make benchmark-load    N conversations at once, full stack vs bare engine (reports/benchmark-load.md)"
	@echo "make admin-user NAME=... ROLE=gestionnaire|lecteur   create a back-office account (asks the password)"
	@echo "make purge             delete conversations and closed tickets past their retention (RETENTION_DAYS...)"

$(VENV)/.installed: pyproject.toml requirements/app.lock
	scripts/setup-app-env

$(ENGINE_VENV)/.installed: requirements/engine.lock requirements/engine-lint.lock
	scripts/setup-engine-env

node_modules/.installed: package.json package-lock.json
	scripts/setup-assets

setup: $(VENV)/.installed $(ENGINE_VENV)/.installed node_modules/.installed
	@echo "==> application database"
	@$(PY) -m store.migrate
	@scripts/train --if-changed

train: $(ENGINE_VENV)/.installed
	scripts/train

run: setup
	$(PY) -m server.launcher

shell: setup
	$(PY) -m server.shell $(if $(MODE),--mode $(MODE))

lint: $(VENV)/.installed $(ENGINE_VENV)/.installed
	$(VENV)/bin/ruff check contract store server actions knowledge evaluation benchmarks tests
	$(VENV)/bin/mypy
	scripts/engine-python -m ruff check bot
	scripts/engine-python -m mypy --config-file bot/mypy.ini

check: $(VENV)/.installed
	scripts/check

test: setup
	scripts/setup-browser
	scripts/test

evaluate: setup
	$(PY) -m evaluation

tune: setup
	scripts/engine-python -m bot.tune_thresholds --write
	scripts/train --if-changed

cross-validate: $(ENGINE_VENV)/.installed
	scripts/engine-python -m rasa test nlu --nlu data/nlu --config config.yml \
	  --cross-validation --folds 5 --out reports/cross-validation
	@python3 -c "import json; r=json.load(open('reports/cross-validation/intent_report.json')); \
	  print('5-fold CV: accuracy %.3f, macro-F1 %.3f' % (r['accuracy'], r['macro avg']['f1-score']))"

benchmark-nlu: setup
	scripts/engine-python -m benchmarks.nlu.run

benchmark-load: setup
	$(PY) -m benchmarks.load.run

purge: $(VENV)/.installed
	$(PY) -m server.purge

NAME ?=
ROLE ?= lecteur
admin-user: $(VENV)/.installed
	@test -n "$(NAME)" || { echo "usage: make admin-user NAME=prenom.nom ROLE=gestionnaire|lecteur"; exit 2; }
	$(PY) -m server.admin_cli "$(NAME)" --role "$(ROLE)"

clean:
	rm -rf $(VENV) $(ENGINE_VENV) models .rasa
