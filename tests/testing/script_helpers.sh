# shellcheck shell=bash
# Helpers for the test scripts that run a real daemon from the shell
# (tests/deploy/*.sh, tests/install/install_test.sh). Source this file after
# setting WORK, the script's scratch directory; a daemon started by the
# script writes its log to "$WORK/daemon.log".

# fail MESSAGE: prints MESSAGE and the end of the daemon's log, if the
# daemon has written one, and exits 1. Cleanup is the EXIT trap's job.
fail() {
  echo "FAIL: $*" >&2
  if [[ -s "$WORK/daemon.log" ]]; then
    echo "--- daemon log (last 40 lines) ---" >&2
    tail -n 40 "$WORK/daemon.log" >&2
  fi
  exit 1
}

# step MESSAGE: a progress line with the seconds the script has run.
step() { echo "== [${SECONDS}s] $*"; }
