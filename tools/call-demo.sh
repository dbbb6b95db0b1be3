#!/usr/bin/env bash
# Places a test call into a running Centrala (`centrala serve --demo`):
# SIPp calls the demo's number as one of the demo's clients, listens to the
# menu, presses 1 (an order), then speaks (SIPp's G.711 sample, again and
# again) for a minute and hangs up. A ready operator's phone rings; the
# desk pops up the client's card. Loopback only.
#
#   tools/call-demo.sh [SECONDS] [CALLER]
#     SECONDS  how long the caller stays after pressing 1 (default 60)
#     CALLER   the caller's number (default: the first demo client's phone,
#              read from the API as op.ana)
#   HOST=127.0.0.1:5060  where Centrala's SIP listens
#   HTTP=http://127.0.0.1:8080  where its web UI and API listen
#
# Needs sipp (Debian: sip-tester) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_ON=${1:-60}
HOST=${HOST:-127.0.0.1:5060}
HTTP=${HTTP:-http://127.0.0.1:8080}
command -v sipp >/dev/null || { echo "sipp is missing: apt-get install sip-tester" >&2; exit 1; }

CALLER=${2:-}
if [ -z "$CALLER" ]; then
    TOKEN=$(curl -sf -X POST "$HTTP/api/v1/auth/login" -H 'content-type: application/json' \
        -d '{"company":"demo","username":"op.ana","password":"demo"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
    CODE=$(curl -sf "$HTTP/api/v1/clients?limit=1&q=K00" -H "authorization: Bearer $TOKEN" \
        | sed 's/^\[{"code":"\([^"]*\)".*/\1/')
    CALLER=$(curl -sf "$HTTP/api/v1/clients/$CODE" -H "authorization: Bearer $TOKEN" \
        | sed 's/.*"phones":\["+\([0-9]*\)".*/\1/')
    echo "Calling as client $CODE (+$CALLER)"
fi
CALLER=${CALLER#+}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The test scenario, with the digit 1 and the caller speaking for the time
# asked: the 8-second sample played again and again.
# (A new sample cuts the one playing short: the digit gets a second first.)
LOOPS=$(( (SECONDS_ON + 7) / 8 ))
SPEAK="<pause milliseconds=\"1000\"/>"
for _ in $(seq 1 "$LOOPS"); do
    SPEAK="$SPEAK<nop><action><exec play_pcap_audio=\"/usr/share/sip-tester/g711a.pcap\"/></action></nop><pause milliseconds=\"8000\"/>"
done
sed -e 's/DIGIT/1/' -e "s|<pause milliseconds=\"HOLD_MS\"/>|$SPEAK|" \
    crates/centrala/tests/sipp/ivr_call.xml > "$WORK/call.xml"
cd "$WORK"
PORT=$(( 20000 + RANDOM % 20000 ))
sipp -sf call.xml "$HOST" -s 38733555000 -key caller "$CALLER" -i 127.0.0.1 -mi 127.0.0.1 -p "$PORT" -mp $((PORT + 2)) \
    -m 1 -l 1 -nostdin -trace_err -timeout $((SECONDS_ON + 60))s -recv_timeout $(( (SECONDS_ON + 30) * 1000 ))
echo "The call ended; see it on the desk, or: curl -H \"authorization: Bearer …\" $HTTP/api/v1/interactions"
