#!/bin/sh
# Deploy Portal Archive to a Scrapyd server: deploy/scrapyd/deploy.sh [TARGET] [scrapyd-deploy options]
#
# scrapyd-deploy writes a setup.py, build/ and *.egg-info into the project it packs, so this
# script packs a scratch copy of the project code (scrapy.cfg, crawler/, pipelines/, archive/)
# and leaves the checkout untouched. TARGET is a [deploy:NAME] section of scrapy.cfg or of
# ~/.scrapy.cfg (or $XDG_CONFIG_HOME/scrapy.cfg); without one, the [deploy] section's url.
# Example: deploy/scrapyd/deploy.sh prod   (the version defaults to the Unix time: keep it numeric)
# SCRAPYD_DEPLOY names another scrapyd-deploy (default: the one in the checkout's .venv).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
deploy=${SCRAPYD_DEPLOY:-$root/.venv/bin/scrapyd-deploy}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/portal-archive-deploy.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

tar -C "$root" --exclude=__pycache__ -cf - scrapy.cfg crawler pipelines archive | tar -C "$scratch" -xf -
cd "$scratch"
"$deploy" "$@"
