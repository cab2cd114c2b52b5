#!/usr/bin/env bash
# The time-dependent suites under three time zones (issue 5): the process's TZ must never change a London
# date, an appointment's instant or a reminder's moment. The unit rules run under each zone; the e2e suites
# of visits and reminders (already run once under the machine's zone by test:e2e) run under the other two.
# Expects a build (test:e2e makes one).
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_OPTIONS=--experimental-vm-modules
for zone in UTC Europe/London America/New_York; do
  echo "== time-dependent unit suites, TZ=$zone"
  TZ=$zone npx jest --selectProjects unit --testPathPatterns 'followup/src/rules/' 'registry/src/rules/(timeline|derived)' 'time/src/'
done
for zone in Europe/London America/New_York; do
  echo "== time-dependent e2e suites, TZ=$zone"
  TZ=$zone npx jest --selectProjects e2e --forceExit test/e2e/follow-up-visits test/e2e/reminders.e2e-spec
done
