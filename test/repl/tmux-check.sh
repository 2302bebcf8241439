#!/usr/bin/env bash
# A new user's first minutes with `peerlab repl`, in a real terminal (tmux send-keys / capture-pane):
#   1. the banner and the prompt appear;
#   2. Tab completes node methods (node.se<Tab><Tab> lists send, sendCustom, ...) and peer names;
#   3. an event that arrives while a line is half typed is printed above the prompt, and the typed
#      text is still there, and still runs;
#   4. Ctrl+D exits cleanly (exit 0) and frees the port: a restart binds the same port;
#   5. history survives the restart (Up recalls the last line of the previous session);
#   6. Ctrl+C twice on an empty line, and .exit, also stop the node and exit 0; a single Ctrl+C stops
#      waiting for a result that never comes.
#
# Usage: test/repl/tmux-check.sh        (from anywhere; needs tmux and node >= 20)
# Prints one PASS/FAIL line per check and exits non-zero on the first failure.
# An optional extra, to watch the same session by hand: `npm test` checks all of this without tmux
# in test/repl/terminal.test.ts (a pseudo-terminal and a terminal emulator from npm).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/bin/peerlab.js"
command -v tmux >/dev/null || { echo "SKIP: tmux is not installed"; exit 0; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/peerlab-tmux-XXXXXX")"
S="peerlab-check-$$"
SOCK="$WORK/tmux.sock" # a private tmux server, so a user's own sessions are never touched
BOB_PID=""
T() { tmux -S "$SOCK" "$@"; }
cleanup() {
  [[ -n "$BOB_PID" ]] && kill "$BOB_PID" 2>/dev/null || true
  T kill-server 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

pane() { T capture-pane -p -J -t "$S" -S -200; }
fail() {
  echo "FAIL: $*"
  echo "----- pane -----"
  pane | sed '/^$/d' | tail -30
  exit 1
}
pass() { echo "PASS: $*"; }
# wait_for REGEX [SECONDS]: until the pane shows a line matching REGEX (bounded).
wait_for() {
  local pat="$1" tries=$(( ${2:-10} * 20 ))
  for ((i = 0; i < tries; i++)); do
    pane | grep -qE -- "$pat" && return 0
    sleep 0.05
  done
  return 1
}
last_line() { pane | sed -e 's/[[:space:]]*$//' -e '/^$/d' | tail -1; }
# Keys as a person types them: readline completes only on a Tab that arrives on its own (a Tab
# inside a larger chunk is taken as pasted text), so text and Tab go as separate writes.
type_text() { T send-keys -t "$S" -l "$1"; sleep 0.15; }
press() { T send-keys -t "$S" "$@"; sleep 0.15; }

start_repl() { # extra args...
  T new-session -d -s "$S" -x 140 -y 40 -c "$WORK" \
    "node '$BIN' repl --name alice --data '$WORK/alice' --heartbeat-interval 200ms $*; echo \"EXIT=\$?\"; sleep 60"
}

# 1. banner and prompt
start_repl
wait_for '^alice>' 15 || fail "no prompt"
BANNER="$(pane | grep -m1 '^peerlab repl')" || fail "no banner"
PORT="$(sed -nE 's/.*alice 127\.0\.0\.1:([0-9]+).*/\1/p' <<<"$BANNER")"
[[ -n "$PORT" ]] || fail "banner has no address: $BANNER"
grep -q "control $WORK/alice/control.sock" <<<"$BANNER" || fail "banner has no control socket: $BANNER"
pass "banner and prompt (alice on port $PORT)"

# 2. completion of node methods
type_text 'node.se'
press Tab
press Tab
wait_for 'node\.sendCustom +node\.sendFile' 5 || fail "Tab did not list node.send*"
press C-u
pass "Tab completes node methods"

# 2b. the REPL's own preview and top-level await are kept
type_text '40 + 2'
wait_for '^42$' 5 || fail "no eval preview under the typed expression"
press C-u
type_text 'await Promise.resolve(6 * 9)'
press Enter
wait_for '^54$' 5 || fail "top-level await did not work"
pass "preview and top-level await"

# 3. an event arrives while typing; the half-typed line survives and runs
type_text 'node.peers('
wait_for '^alice> node\.peers\($' 5 || fail "typed text not shown"
node "$BIN" node --memory --name bob --join "127.0.0.1:$PORT" --heartbeat-interval 200ms >"$WORK/bob.log" 2>&1 &
BOB_PID=$!
wait_for 'alice peer-added bob' 15 || fail "no peer-added event shown"
[[ "$(last_line)" == 'alice> node.peers(' ]] || fail "input line garbled after an event: '$(last_line)'"
pass "event printed above the prompt, typed text intact"
type_text ").map((p) => p.name + '!')"
press Enter
wait_for "^\[ 'bob!' \]" 5 || fail "the half-typed line did not run"
pass "the half-typed line ran"
type_text "node.send('b"
press Tab
wait_for "^alice> node\.send\('bob" 5 || fail "peer name not completed"
type_text "', 2)"
press Enter
wait_for 'sent 2\.00 alice → bob' 5 || fail "send failed"
pass "Tab completes peer names in string arguments"

# 4. Ctrl+D exits cleanly and frees the port
press C-d
wait_for '^EXIT=0' 10 || fail "Ctrl+D did not exit with 0"
pane | grep -q '^stopped alice' || fail "no clean stop"
[[ ! -e "$WORK/alice/control.sock" ]] || fail "control socket left behind"
pass "Ctrl+D stops the node and exits 0"
T kill-session -t "$S" 2>/dev/null || true

# 5. restart on the same port (it was freed); history survives
start_repl --port "$PORT"
wait_for '^alice>' 15 || fail "restart on port $PORT failed (port not freed?)"
pass "restart binds the same port"
press Up
wait_for "^alice> node\.send\('bob', 2\)" 5 || fail "history did not survive the restart"
pass "history survives a restart"
press C-u
press C-c
wait_for 'To exit, press Ctrl\+C again' 5 || fail "Ctrl+C on an empty line did not explain how to exit"
press C-c
wait_for '^EXIT=0' 10 || fail "Ctrl+C twice did not exit with 0"
pass "Ctrl+C twice stops the node and exits 0"
T kill-session -t "$S" 2>/dev/null || true

# 6. Ctrl+C stops waiting for a result that never comes; then .exit
start_repl --port "$PORT"
wait_for '^alice>' 15 || fail "second restart failed"
type_text 'new Promise(() => {})'
press Enter
sleep 0.3
press C-c
wait_for 'stopped waiting; it goes on in the background' 5 || fail "Ctrl+C did not stop waiting for a promise"
type_text 'await new Promise(() => {})'
press Enter
sleep 0.3
press C-c
wait_for 'interrupted' 5 || fail "Ctrl+C did not interrupt a top-level await"
[[ "$(last_line)" == 'alice>' ]] || fail "no prompt after the interrupted await: '$(last_line)'"
pass "Ctrl+C stops waiting (promise and top-level await), the prompt returns"
type_text '.exit'
press Enter
wait_for '^EXIT=0' 10 || fail ".exit did not exit with 0"
pass ".exit stops the node and exits 0"
echo "all checks passed"
