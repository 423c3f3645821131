# The two commands of the README: `make demo` and `make test`. Both set up everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARCHIVE ?= archive-data

.PHONY: install demo test check-plain-install lint soak bench bench-search bench-import bench-distributed browser-deps site-deps redis-deps clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/portal-archive --archive $(ARCHIVE) demo

# tests/test_browser.py drives Debian's chromium through chromedriver; installed only when
# missing (as root, or through sudo), with a CJK font for the screenshots.
CHROMEDRIVER := /usr/bin/chromedriver
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMEDRIVER):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null

browser-deps: $(CHROMEDRIVER)

# tests/test_site_builds.py builds the archive with Debian's hugo and jekyll (docs/profiles.md);
# installed only when missing, like Chromium.
HUGO := /usr/bin/hugo
JEKYLL := /usr/bin/jekyll

$(HUGO):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq hugo >/dev/null

$(JEKYLL):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq jekyll >/dev/null

site-deps: $(HUGO) $(JEKYLL)

# tests/test_distributed.py starts its own redis-server (127.0.0.1, ephemeral port, AOF on);
# Debian's package, installed only when missing.
REDIS_SERVER := /usr/bin/redis-server

$(REDIS_SERVER):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server >/dev/null

redis-deps: $(REDIS_SERVER)

# The plain install first (scripts/check_plain_install.py: the wheel in a fresh venv without
# the dev extra fetches a page and crawls the demo), then the suite.
test: $(STAMP) $(CHROMEDRIVER) $(HUGO) $(JEKYLL) $(REDIS_SERVER)
	$(BIN)/python scripts/check_plain_install.py
	$(BIN)/python -m pytest -W error

check-plain-install: $(STAMP)
	$(BIN)/python scripts/check_plain_install.py

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

# Heavier reliability runs (docs/reliability.md): more seeded kill trials per writing command,
# the hypothesis "soak" profile (random, 2000 examples per property), the fault-injection soak
# (scripts/fault_soak.py: 10 seeds x 3 crawls of the fault portal), then the figures section.
# The distributed fault trials (worker, writer, Redis killed mid-crawl) run DIST_TRIALS seeds each.
SOAK_TRIALS ?= 200
DIST_TRIALS ?= 10
soak: $(STAMP) $(REDIS_SERVER)
	PORTAL_ARCHIVE_KILL_TRIALS=$(SOAK_TRIALS) HYPOTHESIS_PROFILE=soak \
		$(BIN)/python -m pytest -W error -p no:cacheprovider -q tests/test_crash.py tests/test_hostile.py
	PORTAL_ARCHIVE_KILL_TRIALS=$(DIST_TRIALS) \
		$(BIN)/python -m pytest -W error -p no:cacheprovider -q tests/test_distributed.py
	$(BIN)/python scripts/fault_soak.py --write-docs docs/reliability.md
	$(BIN)/python bench/reliability_figures.py --check

bench: $(STAMP)
	$(BIN)/python bench/bench_archive.py

bench-search: $(STAMP)
	$(BIN)/python bench/bench_search.py

bench-import: $(STAMP)
	$(BIN)/python bench/bench_import.py

bench-distributed: $(STAMP) $(REDIS_SERVER)
	$(BIN)/python bench/bench_distributed.py

clean:
	rm -rf $(VENV) $(ARCHIVE) .pytest_cache .mypy_cache .ruff_cache
