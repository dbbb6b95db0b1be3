#!/usr/bin/env bash
# Telephony load run, loopback only, bounded in calls and time: SIPp callers
# walk the IVR (answer → prompt → speech → digit 1 → routed → hang up after
# 5 s), every call recorded. Prints SIPp's outcome and the server's CPU,
# memory, RTP and recording figures.
#
#   tools/sipp-load.sh RATE CALLS [LIMIT]
#     RATE   new calls per second
#     CALLS  calls in all (the run stops after them)
#     LIMIT  most calls at once (default: RATE * 8)
#   HOLD_MS=3000  how long each caller stays after the digit
#
# Needs: a release build (cargo build --release -p centrala), sipp.
set -euo pipefail
cd "$(dirname "$0")/.."

HOLD_MS=${HOLD_MS:-3000}
RATE=${1:?calls per second}
CALLS=${2:?number of calls}
LIMIT=${3:-$((RATE * 8))}
WORK=$(mktemp -d)
trap 'stop_server; rm -rf "$WORK"' EXIT
. tools/load-lib.sh
start_server
C0=$(cpu)
T0=$(date +%s.%N)

sed -e 's/DIGIT/1/' -e "s/HOLD_MS/$HOLD_MS/" crates/centrala/tests/sipp/ivr_call.xml > "$WORK/ivr.xml"
(cd "$WORK" && timeout $((CALLS / RATE + 120)) sipp -sf ivr.xml "127.0.0.1:$SIP_PORT" -s 38733555000 \
    -key caller 38761000111 -i 127.0.0.1 -mi 127.0.0.1 -p $((SIP_PORT + 1)) -mp $((SIP_PORT + 100)) \
    -r "$RATE" -m "$CALLS" -l "$LIMIT" -nostdin -timeout $((CALLS / RATE + 90))s -trace_screen \
    -recv_timeout 10000 >/dev/null 2>&1) || true

T1=$(date +%s.%N)
C1=$(cpu)
sleep 1
SCREEN=$(ls "$WORK"/ivr_*_screen.log 2>/dev/null | head -n 1)
echo "== SIPp (rate $RATE/s, $CALLS calls, at most $LIMIT at once)"
report "$T0" "$T1" "$C0" "$C1" "$SCREEN"
