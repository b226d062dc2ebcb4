#!/usr/bin/env bash
# Checks deploy/systemd/ without systemd as PID 1:
#   1. systemd-analyze security: exposure level 2.0 or lower;
#   2. systemd-analyze verify: no errors or warnings (on a copy of the unit
#      whose ExecStart is the built binary, since verify wants it to exist;
#      its Documentation= man pages are looked up on MANPATH: this build's);
#   3. TimeoutStopSec leaves room for the default --drain-timeout;
#   4. the sysusers.d and tmpfiles.d snippets apply to an empty root;
#   5. the daemon, run through start-up, a SIGHUP reload, real Classify
#      calls and a SIGTERM drain under strace, makes only system calls the
#      unit's SystemCallFilter= allows, only the socket families of
#      RestrictAddressFamilies=, and no memory made writable+executable or
#      executable later (MemoryDenyWriteExecute=yes).
#
#   systemd_unit_check.sh SOURCE_DIR CLASSIFYD CLASSIFYCTL PLUGIN_LIB_DIR
set -euo pipefail
SRC="$1"; DAEMON="$2"; CTL="$3"; LIBDIR="$4"
UNIT="$SRC/deploy/systemd/classifyd.service"
WORK="$(mktemp -d)"
DAEMON_PID=""
STRACE_PID=""
# The traced daemon's pid: strace's child of the daemon's name (strace
# also forks short-lived children of its own at start-up, its ptrace
# feature checks). Empty if there is none.
traced_daemon_pid() {
  pgrep -P "$STRACE_PID" -x "$(basename "$DAEMON")" || true
}
cleanup() {
  # strace keeps running while any tracee lives; neither may outlive us
  # (a tracee whose strace is killed runs on, detached).
  local pid
  if [[ -z "$DAEMON_PID" && -n "$STRACE_PID" ]]; then
    DAEMON_PID="$(traced_daemon_pid)"
  fi
  for pid in "$DAEMON_PID" "$STRACE_PID"; do
    if [[ -n "$pid" ]]; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=SCRIPTDIR/../testing/script_helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/../testing/script_helpers.sh"

# 1. Exposure. --threshold is in tenths: 20 means 2.0.
if ! out="$(systemd-analyze security --offline=true --threshold=20 "$UNIT" 2>&1)"; then
  echo "$out" | grep -E '✗|Overall' >&2 || echo "$out" >&2
  fail "exposure level above 2.0"
fi
echo "$out" | grep -o 'Overall exposure level.*' || fail "no exposure level in: $out"

# 2. verify. It exits 0 on unknown keys and only warns: any output fails.
sed "s#^ExecStart=/usr/bin/classifyd #ExecStart=$DAEMON #" "$UNIT" \
  > "$WORK/classifyd.service"
grep -q "^ExecStart=$DAEMON " "$WORK/classifyd.service" \
  || fail "ExecStart= is not /usr/bin/classifyd ..."
if ! out="$(systemd-analyze verify "$WORK/classifyd.service" 2>&1)" || [[ -n "$out" ]]; then
  echo "$out" >&2
  fail "systemd-analyze verify"
fi
echo "systemd-analyze verify: clean"

# 3. Stop timeout against the drain timeout the config ships with.
stop="$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$UNIT")"
drain="$(sed -n 's/^#* *drain_timeout = \([0-9.]*\).*/\1/p' "$SRC/deploy/classifyd.toml" | head -1)"
[[ -n "$stop" && -n "$drain" ]] || fail "TimeoutStopSec ('$stop') or drain_timeout ('$drain') not found"
awk -v s="$stop" -v d="$drain" 'BEGIN { exit !(s >= d + 5) }' \
  || fail "TimeoutStopSec=${stop}s leaves no room after drain_timeout=${drain}s"
echo "TimeoutStopSec=${stop}s, drain_timeout=${drain}s"

# 4. sysusers.d / tmpfiles.d.
mkdir -p "$WORK/root/etc"
systemd-sysusers --root="$WORK/root" - < "$SRC/deploy/systemd/classifyd.sysusers.conf" >/dev/null 2>&1 \
  || fail "systemd-sysusers"
grep -q '^classifyd:' "$WORK/root/etc/passwd" || fail "sysusers made no classifyd user"
systemd-tmpfiles --root="$WORK/root" --create - < "$SRC/deploy/systemd/classifyd.tmpfiles.conf" \
  || fail "systemd-tmpfiles"
[[ "$(stat -c %a "$WORK/root/etc/classifyd/plugins.d")" == 755 ]] || fail "plugins.d mode"
echo "sysusers.d and tmpfiles.d: applied"

# 5. System calls. The allowed set, as systemd resolves the unit's
# SystemCallFilter= lines in order: the first (an allow list) starts it,
# each later line adds its calls, or removes them when it starts with ~;
# groups are expanded recursively.
expand() {
  local item="$1"
  if [[ "$item" != @* ]]; then echo "$item"; return; fi
  systemd-analyze syscall-filter "$item" | sed -n 's/^ \+\([-@a-z0-9_]\+\)$/\1/p' |
    while read -r member; do expand "$member"; done
}
: > "$WORK/permitted"
while read -r filter; do
  list="${filter#\~}"
  for item in $list; do expand "$item"; done | sort -u > "$WORK/calls"
  if [[ "$filter" == \~* ]]; then
    comm -23 "$WORK/permitted" "$WORK/calls" > "$WORK/next"
  else
    sort -u "$WORK/permitted" "$WORK/calls" > "$WORK/next"
  fi
  mv "$WORK/next" "$WORK/permitted"
done < <(sed -n 's/^SystemCallFilter=//p' "$UNIT")
[[ -s "$WORK/permitted" ]] || fail "no SystemCallFilter= in $UNIT"

mkdir -p "$WORK/run"
TMPDIR="$WORK/run" strace -f -qq -o "$WORK/trace" "$DAEMON" \
  --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --plugin-dir "$SRC/models/plugins.d" --plugin-lib-dir "$LIBDIR" \
  --runtime-dir "$WORK/run" --admin-socket "$WORK/run/admin/admin.sock" \
  --http-listen 127.0.0.1:0 --http-port-file "$WORK/http-port" \
  --metrics-listen 127.0.0.1:0 \
  --log-level debug > "$WORK/daemon.out" 2> "$WORK/daemon.log" &
STRACE_PID=$!
# fail_traced MESSAGE: fail, with how the traced daemon ended. strace exits
# with its tracee's status (re-raising the signal that killed it) and its
# trace is printed (-qq leaves out the "+++ exited" lines).
fail_traced() {
  local status=running
  echo "daemon pid $DAEMON_PID; strace $STRACE_PID's children now:" \
    "$(ps -o pid=,stat=,comm= --ppid "$STRACE_PID" | tr '\n' ';')" >&2
  for _ in $(seq 50); do
    kill -0 "$STRACE_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$STRACE_PID" 2>/dev/null; then
    status=0
    wait "$STRACE_PID" || status=$?
    STRACE_PID=""
  fi
  echo "strace: $status; the trace ends:" >&2
  tail -n 5 "$WORK/trace" >&2 || true
  fail "$*"
}
for _ in $(seq 1200); do [[ -s "$WORK/port" ]] && break; sleep 0.1; done
[[ -s "$WORK/port" ]] || fail "daemon did not start under strace"
# Signals go to the daemon, strace's child: strace itself would detach.
DAEMON_PID="$(traced_daemon_pid)"
[[ "$DAEMON_PID" =~ ^[0-9]+$ ]] || fail "no single daemon under strace: '$DAEMON_PID'"
addr="127.0.0.1:$(cat "$WORK/port")"
"$CTL" --addr "$addr" classify "中央气象台:“苏拉”已达强台风级" >/dev/null || fail_traced "classify"
kill -HUP "$DAEMON_PID" || fail_traced "daemon gone before SIGHUP"
# The rescan's own calls are traced too: wait until it has ended (a debug
# line when it changes nothing).
for _ in $(seq 600); do grep -q "rescan (SIGHUP): nothing changed" "$WORK/daemon.log" && break; sleep 0.1; done
grep -q "rescan (SIGHUP): nothing changed" "$WORK/daemon.log" || fail_traced "no rescan after SIGHUP"
"$CTL" --addr "$addr" classify "警方破获电信诈骗案" >/dev/null || fail_traced "classify after SIGHUP"
# An HTTP request on a connection kept alive through the stop, which ends
# it (http/http_server.h): the calls that takes are traced too.
exec 3<>"/dev/tcp/127.0.0.1/$(cat "$WORK/http-port")"
printf 'GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n' >&3
IFS= read -r -t 10 status_line <&3 || fail_traced "no answer on the HTTP listener"
[[ "$status_line" == "HTTP/1.1 200"* ]] || fail_traced "HTTP /readyz: $status_line"
kill -TERM "$DAEMON_PID" || fail_traced "daemon gone before SIGTERM"
# strace exits with the traced program's status.
status=0
wait "$STRACE_PID" || status=$?
exec 3<&-
DAEMON_PID=""
STRACE_PID=""
if [[ $status -ne 0 ]]; then
  tail -n 5 "$WORK/trace" >&2
  fail "daemon exited with status $status"
fi

# "PID name(" lines; resumed/exit lines carry no new call.
sed -n 's/^[0-9]\+ \+\([a-z0-9_]\+\)(.*/\1/p' "$WORK/trace" | sort -u > "$WORK/used"
# execve starts the traced binary (systemd does it before the filter).
grep -vx execve "$WORK/used" | comm -23 - "$WORK/permitted" > "$WORK/forbidden" || true
if [[ -s "$WORK/forbidden" ]]; then
  fail "system calls outside SystemCallFilter=: $(tr '\n' ' ' < "$WORK/forbidden")"
fi
echo "system calls used: $(wc -l < "$WORK/used"), all allowed by SystemCallFilter="
# RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6.
families="$(sed -n 's/^[0-9]\+ \+socket(\(AF_[A-Z0-9]*\),.*/\1/p' "$WORK/trace" | sort -u)"
for family in $families; do
  case "$family" in
    AF_UNIX|AF_INET|AF_INET6) ;;
    *) fail "socket family $family outside RestrictAddressFamilies=" ;;
  esac
done
echo "socket families used: $(echo $families)"

# systemd's filter refuses mmap() with PROT_WRITE and PROT_EXEC together,
# and any mprotect() that adds PROT_EXEC (e.g. an executable stack).
{ grep -E '^[0-9]+ +mmap\(.*PROT_WRITE\|PROT_EXEC' "$WORK/trace" || true
  grep -E '^[0-9]+ +(pkey_)?mprotect\(.*PROT_EXEC' "$WORK/trace" || true
} > "$WORK/wx"
if [[ -s "$WORK/wx" ]]; then
  head -3 "$WORK/wx" >&2
  fail "memory made executable at run time (MemoryDenyWriteExecute=yes refuses it)"
fi
echo "no writable+executable or later-executable mappings"
echo "PASS"
