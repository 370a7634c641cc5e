# Partenaires Santé — two commands: `make run` starts the assistant, `make test` runs the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
export PORT
VENV := .venv
ENGINE_VENV := .venv-engine
PY := $(VENV)/bin/python

.PHONY: help setup run test train shell lint clean

help:
	@echo "make run     start the assistant on http://127.0.0.1:$(PORT)/ (sets everything up first)"
	@echo "make test    run everything CI runs"
	@echo "make setup   create both environments and train the model if config, domain or data changed"
	@echo "make train   train the model"
	@echo "make shell   talk to the assistant in the terminal"

$(VENV)/.installed: pyproject.toml requirements/app.lock
	scripts/setup-app-env

$(ENGINE_VENV)/.installed: requirements/engine.lock
	scripts/setup-engine-env

setup: $(VENV)/.installed $(ENGINE_VENV)/.installed
	@echo "==> application database"
	@$(PY) -m server.db.migrate
	@scripts/train --if-changed

train: $(ENGINE_VENV)/.installed
	scripts/train

run: setup
	$(PY) -m server.launcher

shell: setup
	$(PY) -m server.shell

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check server actions knowledge tests
	$(VENV)/bin/mypy

test: setup
	scripts/test

clean:
	rm -rf $(VENV) $(ENGINE_VENV) models .rasa
