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
BIN=target/release/centrala
[ -x "$BIN" ] || { echo "build first: cargo build --release -p centrala" >&2; exit 2; }
command -v sipp >/dev/null || { echo "sipp is not installed (apt-get install sip-tester)" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
SIP_PORT=$((20000 + RANDOM % 5000))
HTTP_PORT=$((26000 + RANDOM % 2000))
CENTRALA_SIP__RTP_PORTS="[40000, 59999]" CENTRALA_LOG="warn,centrala_api::telephony=info" \
    "$BIN" --data "$WORK/data" serve --demo --http "127.0.0.1:$HTTP_PORT" --sip "127.0.0.1:$SIP_PORT" \
    2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

cpu() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
TICKS=$(getconf CLK_TCK)
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
grep -E "Successful call|Failed call|Call Rate|Total Call created|Response Time 1" "$SCREEN" | sed 's/  */ /g' || true

ELAPSED=$(echo "$T1 - $T0" | bc)
CPU_S=$(echo "($C1 - $C0) / $TICKS" | bc -l)
echo "== centrala"
printf "wall %.1f s, CPU %.1f s (%.0f %% of one core), peak RSS %s\n" "$ELAPSED" "$CPU_S" \
    "$(echo "100 * $CPU_S / $ELAPSED" | bc -l)" "$(grep VmHWM /proc/$SERVER/status | awk '{print $2 " " $3}')"
REC=$(find "$WORK/data/recordings" -name '*.wav' | wc -l)
SECS=$(find "$WORK/data/recordings" -name '*.wav' -printf '%s\n' | awk '{s += ($1 - 44) / 32000} END {printf "%.1f", s}')
echo "recordings: $REC files, $SECS s of stereo audio in all"
# Media: packets we sent and received per second of each call (50 is full).
grep "call ended" "$WORK/server.log" | sed -E 's/.*rtp_in=([0-9]+) rtp_out=([0-9]+) ms=([0-9]+).*/\1 \2 \3/' |
    awk '$3 > 0 {n++; i += $1 * 1000 / $3; o += $2 * 1000 / $3; if ($2 * 1000 / $3 < 47) low++}
         END {if (n) printf "calls ended: %d; RTP per second per call: out %.1f, in %.1f; calls sending under 47/s: %d\n", n, o / n, i / n, low}'
grep -c "WARN" "$WORK/server.log" | xargs echo "warnings in the log:" || true
grep "WARN" "$WORK/server.log" | sed -E 's/^[^ ]+ +WARN //; s/[0-9]+/N/g' | cut -c1-120 | sort | uniq -c | sort -rn | head -n 5 || true
