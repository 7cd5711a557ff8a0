# The two commands: `make run` serves the skill, `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

# Pinned versions of every dependency (`make lock` regenerates both from pyproject.toml):
# requirements.lock is what `make run` needs with the default SQLite store, requirements-test.lock
# adds the other stores ([postgres], [aws]), [tools] and the test tools (`.[test]`).
LOCK := requirements.lock
TEST_LOCK := requirements-test.lock
PIP_COMPILE_FLAGS := --quiet --strip-extras --no-emit-index-url --no-emit-find-links --no-emit-trusted-host

.PHONY: run test lint install install-test lock clean bench soak bench-peers apl-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Exactly the locked versions, then the skill itself (editable) without resolving again.
# EXTRAS adds a store beside SQLite at the test lock's versions: `make install EXTRAS=postgres`
# (or aws; several as postgres,aws); each choice has a stamp of its own.
EXTRAS ?=
INSTALLED := $(VENV)/.installed$(if $(EXTRAS),-$(EXTRAS))

$(INSTALLED): $(BIN)/python pyproject.toml $(LOCK) $(if $(EXTRAS),$(TEST_LOCK))
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(if $(EXTRAS),$(BIN)/pip install --quiet -c $(TEST_LOCK) -e '.[$(EXTRAS)]')
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml $(LOCK) $(TEST_LOCK)
	$(BIN)/pip install --quiet -r $(TEST_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

install: $(INSTALLED)
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/gunicorn -c infra/gunicorn.conf.py 'skill.runtime.app:create_app()'

# Three processes (pytest-xdist) on two cores: every test is independent (its own temporary
# files, ports, PostgreSQL schema), and a third of the time one waits on a server or a timeout.
# loadgroup keeps tests marked xdist_group in one process (the trained NLU matchers).
# Bytecode is cached (PYTHONDONTWRITEBYTECODE cleared): each gunicorn a test starts imports the
# skill again. TEST_PROCESSES=0 runs it all in this process.
TEST_PROCESSES ?= 3
test: install-test lint apl-tools
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadgroup

# Amazon's APL validator (apl-suggester, npm) for `backtwitch validate`, at the locked version.
APL_TOOLS := skill/tools/validation/apl
$(APL_TOOLS)/node_modules/.package-lock.json: $(APL_TOOLS)/package.json $(APL_TOOLS)/package-lock.json
	npm ci --prefix $(APL_TOOLS) --no-audit --no-fund --loglevel=error
apl-tools: $(APL_TOOLS)/node_modules/.package-lock.json

# ruff and mypy on skill/ (configured in pyproject.toml); `make test` runs them before pytest.
lint: install-test
	$(BIN)/python -m ruff check skill
	$(BIN)/python -m mypy skill

# Regenerate both lock files from pyproject.toml, keeping every pin that still fits;
# `make lock UPGRADE=--upgrade` moves everything to the newest allowed versions. The test lock is
# constrained by the runtime one, so both install the same version of every shared package.
UPGRADE ?=
lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile $(PIP_COMPILE_FLAGS) $(UPGRADE) --output-file $(LOCK) pyproject.toml
	$(BIN)/pip-compile $(PIP_COMPILE_FLAGS) $(UPGRADE) --extra test --constraint $(LOCK) \
		--unsafe-package back-twitch-helper --output-file $(TEST_LOCK) pyproject.toml

# The skill under gunicorn against a bare Flask echo, on 127.0.0.1 (bench/run.py; uses wrk
# when installed: apt-get install wrk). `soak` is 60 s at 32 connections that must all succeed.
bench: install
	$(BIN)/python bench/run.py

soak: install
	$(BIN)/python bench/run.py --soak

# The project against Amazon's Node.js stack (bench/peers.py; the peer is bench/peer/, built here
# from its package-lock.json with the machine's node and npm; better-sqlite3 compiles once).
bench-peers: install bench/peer/node_modules/.installed
	$(BIN)/python bench/peers.py

bench/peer/node_modules/.installed: bench/peer/package.json bench/peer/package-lock.json
	cd bench/peer && npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info $(APL_TOOLS)/node_modules

# `sam build` (infra/aws/template.yaml) runs this with ARTIFACTS_DIR set: the skill with its
# content and model, and its dependencies as Linux wheels for the Lambda runtime's Python,
# whatever machine builds it. The [aws] extra brings the DynamoDB store (boto3 and the SDK's
# adapter). Not from the lock files: they pin for this machine's Python, and a pinned wheel
# (gevent's, for one) may not exist for the Lambda runtime's Python and platform.
LAMBDA_PYTHON ?= 3.12
.PHONY: build-SkillFunction
build-SkillFunction: install
	rm -rf "$(ARTIFACTS_DIR)/.wheel" && $(PYTHON) -m pip wheel --quiet --no-deps -w "$(ARTIFACTS_DIR)/.wheel" .
	wheel="$$(echo "$(ARTIFACTS_DIR)"/.wheel/*.whl)" && \
	$(PYTHON) -m pip install --quiet --no-compile --target "$(ARTIFACTS_DIR)" --platform manylinux2014_x86_64 \
		--implementation cp --python-version $(LAMBDA_PYTHON) --only-binary=:all: "$$wheel[aws]"
	rm -rf "$(ARTIFACTS_DIR)/.wheel"
	# The authoring tools (skill/tools, the backtwitch command) never run in the function.
	rm -rf "$(ARTIFACTS_DIR)/skill/tools" "$(ARTIFACTS_DIR)/bin"
	# Bytecode for the runtime's Python, made by that Python (pip would make this machine's, which
	# the function cannot use; its files are read-only, so it would compile again on every cold
	# start), unchecked so that the zip's timestamps do not matter. Importing skill.runtime first
	# applies its filter for the one known warning: ask-sdk-model and ask-sdk-core docstrings with
	# `\&`, a SyntaxWarning under Python 3.12, harmless; every other warning still shows. Without
	# python$(LAMBDA_PYTHON) here (`sam build --use-container` has it) the function compiles as it starts.
	if python$(LAMBDA_PYTHON) -c '' 2>/dev/null; then \
		python$(LAMBDA_PYTHON) -c 'import sys; sys.path.insert(0, sys.argv[1]); import compileall, py_compile, skill.runtime; \
			sys.exit(not compileall.compile_dir(sys.argv[1], quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH))' \
			"$(ARTIFACTS_DIR)"; \
	else echo "no python$(LAMBDA_PYTHON) here: the function will compile its modules when it starts"; fi
	cp -R content interaction_model "$(ARTIFACTS_DIR)/"
	# Content and models compiled once and checked as start-up would check them
	# (skill/runtime/snapshot.py): the function reads this file (SKILL_WORDS_SNAPSHOT) instead
	# of reading and validating some thirty files on every cold start.
	$(BIN)/backtwitch snapshot --content content --model interaction_model --out "$(ARTIFACTS_DIR)/words.json"
