# The two commands: `make run` serves the skill, `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test install install-test clean bench soak

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/gunicorn -c infra/gunicorn.conf.py 'skill.app:create_app()'

test: install-test
	$(BIN)/python -m pytest

# The skill under gunicorn against a bare Flask echo, on 127.0.0.1 (bench/run.py; uses wrk
# when installed: apt-get install wrk). `soak` is 60 s at 32 connections that must all succeed.
bench: install
	$(BIN)/python bench/run.py

soak: install
	$(BIN)/python bench/run.py --soak

clean:
	rm -rf $(VENV) build *.egg-info

# `sam build` (infra/aws/template.yaml) runs this with ARTIFACTS_DIR set: the skill with its
# content and model, and its dependencies as Linux wheels for the Lambda runtime's Python,
# whatever machine builds it.
LAMBDA_PYTHON ?= 3.12
.PHONY: build-SkillFunction
build-SkillFunction:
	rm -rf "$(ARTIFACTS_DIR)/.wheel" && $(PYTHON) -m pip wheel --quiet --no-deps -w "$(ARTIFACTS_DIR)/.wheel" .
	$(PYTHON) -m pip install --quiet --target "$(ARTIFACTS_DIR)" --platform manylinux2014_x86_64 \
		--implementation cp --python-version $(LAMBDA_PYTHON) --only-binary=:all: "$(ARTIFACTS_DIR)"/.wheel/*.whl
	rm -rf "$(ARTIFACTS_DIR)/.wheel"
	cp -R content interaction_model "$(ARTIFACTS_DIR)/"
