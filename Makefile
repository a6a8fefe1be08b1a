# Sigurnet: `make run` starts the platform with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
QUICKSTART := SIGURNET_DEBUG=1
MESSAGE_IGNORES := --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=docs

.PHONY: run install test lint format messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(QUICKSTART) $(PY) -m sigurnet migrate --noinput -v 0
	$(QUICKSTART) $(PY) -m sigurnet demo --base-url http://127.0.0.1:$(PORT)
	$(QUICKSTART) $(PY) -m uvicorn sigurnet.asgi:application --host 127.0.0.1 --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy sigurnet

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Extract strings into the sr_Latn and bs catalogues, make the Cyrillic one from sr_Latn by
# transliteration, and compile all three.
messages: install
	$(QUICKSTART) $(PY) -m sigurnet makemessages -l sr_Latn -l bs --no-obsolete --no-location $(MESSAGE_IGNORES)
	$(QUICKSTART) $(PY) -m sigurnet cyrillic_catalogue
	$(QUICKSTART) $(PY) -m sigurnet compilemessages -l sr_Latn -l sr -l bs $(MESSAGE_IGNORES)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
