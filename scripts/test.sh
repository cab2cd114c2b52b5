#!/usr/bin/env bash
# The one command that runs the whole test suite on a fresh clone: formatting, lint, type-check, unit tests,
# end-to-end tests on real PostgreSQL and Redis (a database copy per Jest worker and a Redis key prefix per
# run, all removed at the end), and the web app's browser tests in Debian's Chromium (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
prepare_machine
ensure_chromium
exec npm test
