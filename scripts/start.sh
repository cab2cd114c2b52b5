#!/usr/bin/env bash
# The one command that starts the whole registry on a fresh clone: npm dependencies, PostgreSQL and Redis
# (found, started or installed), roles, database and migrations, then the api, the worker and the web
# application (each prints its address).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
prepare_machine
# The browser tests' Chromium, while installing (the system runs without it).
(ensure_chromium) || say 'Chromium not installed: only the browser tests need it'
exec npm start
