# Two commands work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := examples/sample_workspace

.PHONY: demo test install editors bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The CPU wheel this machine kind serves from disk; an unpinned torch pulls CUDA wheels.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
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

# Neovim (Debian's package) for the real-editor test in tests/editors/.
editors:
	@command -v nvim >/dev/null 2>&1 || { \
	    SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	    echo "installing Debian's neovim package for tests/editors"; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq neovim >/dev/null; }
	@command -v bwrap >/dev/null 2>&1 || { \
	    SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	    echo "installing Debian's bubblewrap package: the sandbox run_tests runs the workspace's tests in"; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq bubblewrap >/dev/null; }

# Lint first (ruff and mypy, pinned), then the suite; pytest exit code 5
# (no tests collected) must fail the run.
test: $(STAMP) editors
	$(VENV)/bin/ruff check specpilot/*.py core index ast_tools rl llm spec agents server bench/*.py tests
	$(VENV)/bin/mypy
	$(PY) -m pytest -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected: failing"; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[test,bench]'
	$(PY) bench/retrieval.py
	$(PY) bench/speed.py
	$(PY) bench/lsp_bench.py
	$(PY) bench/code_actions.py
	$(PY) bench/refactor_eval.py
	$(PY) bench/spec_eval.py

clean:
	rm -rf $(VENV) build *.egg-info $(SAMPLE)/.specpilot/cache
