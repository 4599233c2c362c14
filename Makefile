# The two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
# OpenSearch 2.19 for the search suite and `make opensearch`: jars from Maven Central (ops/opensearch/pom.xml).
OPENSEARCH_LIB := var/opensearch/lib
# stripe-mock for the payment gateway's contract suite (tests/billing/gateway), built from source with Go.
STRIPE_MOCK_VERSION := v0.203.0
STRIPE_MOCK := var/bin/stripe-mock

.PHONY: run test install bench clean opensearch opensearch-deps stripe-mock chromium

# The dependency install is not quiet: the first one takes a couple of minutes, and pip names each
# package as it goes.
$(STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || { echo "==> creating the virtual environment $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> upgrading pip"
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "==> installing the marketplace and its dependencies (a couple of minutes the first time)"
	@$(PY) -m pip install --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)
	@echo "==> installed"

install: $(STAMP)

run: install
	$(PY) -m scripts.run

test: install opensearch-deps stripe-mock chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# The page tests drive Debian's Chromium (never a browser `playwright install` downloads); installed once, as root.
chromium:
	@command -v chromium >/dev/null || { echo "==> installing Debian's chromium for the page tests"; \
		apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; }

# Built once; Go caches the module download.
stripe-mock: $(STRIPE_MOCK)

$(STRIPE_MOCK):
	GOBIN=$(CURDIR)/var/bin go install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)

# Copied once; again only when the pom changes. Maven caches the downloads in ~/.m2.
opensearch-deps: $(OPENSEARCH_LIB)/.complete

$(OPENSEARCH_LIB)/.complete: ops/opensearch/pom.xml
	rm -rf $(OPENSEARCH_LIB)
	mvn -q -B -f ops/opensearch/pom.xml dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory=$(abspath $(OPENSEARCH_LIB))
	touch $@

# A single node on 127.0.0.1:9201 in the foreground; then `OPENSEARCH_URL=http://127.0.0.1:9201 make run`.
opensearch: install opensearch-deps
	$(PY) -m scripts.opensearch_node --port 9201

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
