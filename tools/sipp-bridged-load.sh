#!/usr/bin/env bash
# Bridged telephony load run, loopback only, bounded in calls and time:
# AGENTS operators are created (with SIP accounts) and made ready; one SIPp
# registers all their phones, then answers every call they get, each agent
# speaking (rtp_stream, looped). SIPp callers (a client the order desk sends
# to the operators) press 1 in the menu, are routed through the ACD, ring an
# agent, are bridged and recorded, talk HOLD_MS and hang up. Prints SIPp's
# outcome on both sides, the server's CPU and memory, and the media as the
# receiving end got it (tools/media-check.py): RTP gaps from a sampled
# capture on the loopback, each recording against its call, calls that
# never reached an agent, and whether the run was clean.
#
#   tools/sipp-bridged-load.sh RATE CALLS AGENTS [LIMIT]
#     RATE    new calls per second
#     CALLS   calls in all
#     AGENTS  operators with phones (more than the calls at once)
#     LIMIT   most calls at once (default: AGENTS)
#   HOLD_MS=5000  how long caller and agent talk
#   EXPIRES=300   how long the agents' phones register for (registering
#                 takes about ten phones a second: raise it past 300 for
#                 more than about 2,000 agents)
#   PIN=1         server on core 0, SIPp and the capture on core 1
#   SAMPLE=1000   server RTP ports captured (from 40000; of 20,000: 5 %)
#   SYSCALLS=1    count the server's socket system calls during the run
#                 (perf's syscall tracepoints; root), per call
#   PROFILE=1     sample where the server's CPU goes during the run
#                 (perf record; root): by thread, and the top functions
#   HEAPTRACK=1   the heap at its peak by allocation site, per call in
#                 progress (heaptrack; a build without mimalloc, see
#                 tools/load-lib.sh)
#
# Needs: a release build (cargo build --release -p centrala), sipp, sox,
# python3, curl, tcpdump (and taskset for PIN=1).
set -euo pipefail
cd "$(dirname "$0")/.."

HOLD_MS=${HOLD_MS:-5000}
EXPIRES=${EXPIRES:-300}
RATE=${1:?calls per second}
CALLS=${2:?number of calls}
AGENTS=${3:?number of agents}
LIMIT=${4:-$AGENTS}
WORK=$(mktemp -d)
trap 'kill "$UAS" "$CAPTURE" "$SIP_CAPTURE" 2>/dev/null || true; stop_server; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
. tools/load-lib.sh
start_server
AGENT_PORT=$((SIP_PORT + 2))
UAS=
CAPTURE=
SIP_CAPTURE=
SAMPLE=${SAMPLE:-1000}
command -v tcpdump >/dev/null || { echo "tcpdump is not installed (apt-get install tcpdump)" >&2; exit 2; }

# Both sides speak: the demo menu prompt as raw A-law, looped.
sox crates/call/prompts/en/main-menu.wav -t al "$WORK/speech.al"

# AGENTS operators with SIP accounts 70001…, ready; a caller for the operators.
CALLER=$(API="$API" AGENTS="$AGENTS" WORK="$WORK" python3 - <<'PY'
import json, os, urllib.request
api, n, work = os.environ["API"], int(os.environ["AGENTS"]), os.environ["WORK"]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(api + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return json.loads(text) if text else None
admin = call("POST", "/auth/login", {"company": "demo", "username": "admin", "password": "demo"})["token"]
sup = call("POST", "/auth/login", {"company": "demo", "username": "sup.nina", "password": "demo"})["token"]
ids = []
for k in range(n):
    m = call("POST", "/staff", {"username": f"load.{k}", "full_name": f"Load Agent {k}", "role": "operator"}, admin)
    call("PUT", f"/staff/{m['id']}/sip", {"username": str(70001 + k), "password": "loadpass1"}, admin)
    ids.append(m["id"])
for c in call("GET", "/clients?limit=200", token=sup):
    card = call("GET", f"/clients/{c['code']}", token=sup)
    phone = (card.get("phones") or [""])[0]
    if phone and call("POST", "/routing/decide", {"phone": phone, "intent": "order"}, sup)["rule"] == "operators":
        print(phone.lstrip("+"))
        break
with open(work + "/ids", "w") as f:
    f.write("\n".join(str(i) for i in ids))
with open(work + "/sup-token", "w") as f:
    f.write(sup)
PY
)
# Every phone registers from AGENT_PORT, where one SIPp answers for all of
# them afterwards. (One SIPp run per phone: this SIPp cannot take the
# digest username from an injection file.)
REGISTERED=0
sed "s/Expires: 300/Expires: $EXPIRES/" crates/centrala/tests/sipp/register.xml > "$WORK/register.xml"
for k in $(seq 70001 $((70000 + AGENTS))); do
    $LOAD sipp -sf "$WORK/register.xml" "127.0.0.1:$SIP_PORT" -s "$k" -au "$k" -ap loadpass1 \
        -i 127.0.0.1 -p "$AGENT_PORT" -m 1 -nostdin -timeout 5s -timeout_error >/dev/null 2>&1 &&
        REGISTERED=$((REGISTERED + 1))
done
echo "registered phones: $REGISTERED of $AGENTS (for $EXPIRES s: the run must end before the first expires)"
# (The token of the login above: a login's password hash is 19 MB of heap
# for a moment, which a heap profile would take for the calls' peak.)
SUP=$(cat "$WORK/sup-token")
while read -r id; do
    curl -sf -X PUT "$API/agents/$id/state" -H "authorization: Bearer $SUP" -H 'content-type: application/json' \
        -d '{"state":"ready"}' >/dev/null
done < "$WORK/ids"
(cd "$WORK" && exec $LOAD sipp -sf "$OLDPWD/tools/sipp/agent_uas.xml" -i 127.0.0.1 -p "$AGENT_PORT" -mi 127.0.0.1 \
    -m "$CALLS" -nostdin -trace_screen -rtp_threadtasks 64 >/dev/null 2>&1) &
UAS=$!
# The media as the far ends get it: a capture of the legs on the first
# SAMPLE server RTP ports (ports are drawn at random, so about
# SAMPLE / 20,000 of the legs), headers only.
$LOAD tcpdump -i lo -n -s 64 -B 65536 -w "$WORK/rtp.pcap" "udp and portrange 40000-$((40000 + SAMPLE - 1))" \
    2>"$WORK/tcpdump.log" &
CAPTURE=$!
# And the callers' signalling, whole: each call's length as the caller
# had it (our 200 OK to its BYE), to hold its recording against.
$LOAD tcpdump -i lo -n -s 0 -B 16384 -w "$WORK/sip.pcap" "udp and port $((SIP_PORT + 1))" 2>/dev/null &
SIP_CAPTURE=$!
sleep 1

PERF=
if [ "${SYSCALLS:-0}" = 1 ]; then
    perf stat -x, -o "$WORK/syscalls.csv" -p "$SERVER" \
        -e 'syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvmsg' &
    PERF=$!
fi
PROFILER=
if [ "${PROFILE:-0}" = 1 ]; then
    perf record -F 499 -g -p "$SERVER" -o "$WORK/perf.data" >/dev/null 2>&1 &
    PROFILER=$!
fi
C0=$(cpu)
K0=$(keeping)
T0=$(date +%s.%N)
SINCE=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sed -e "s/HOLD_MS/$HOLD_MS/" tools/sipp/caller_bridged.xml > "$WORK/caller.xml"
(cd "$WORK" && timeout $((CALLS / RATE + 150)) $LOAD sipp -sf caller.xml "127.0.0.1:$SIP_PORT" -s 38733555000 \
    -key caller "$CALLER" -i 127.0.0.1 -mi 127.0.0.1 -p $((SIP_PORT + 1)) -mp $((SIP_PORT + 100)) \
    -r "$RATE" -m "$CALLS" -l "$LIMIT" -nostdin -timeout $((CALLS / RATE + 120))s -trace_screen \
    -rtp_threadtasks 64 -recv_timeout 30000 >/dev/null 2>&1) || true
T1=$(date +%s.%N)
C1=$(cpu)
[ -n "$PERF" ] && kill -INT "$PERF" && wait "$PERF" 2>/dev/null || true
[ -n "$PROFILER" ] && kill -INT "$PROFILER" && wait "$PROFILER" 2>/dev/null || true
sleep 2
echo "== SIPp callers (rate $RATE/s, $CALLS calls, at most $LIMIT at once, $AGENTS agents, ${HOLD_MS} ms talk)"
report "$T0" "$T1" "$C0" "$C1" "$(ls "$WORK"/caller_*_screen.log | head -n 1)"
if [ -n "$PERF" ]; then
    awk -F, -v calls="$CALLS" '$3 ~ /sys_enter/ {sub(/.*sys_enter_/, "", $3); printf "syscalls %s: %d (%.0f per call)\n", $3, $1, $1 / calls}' "$WORK/syscalls.csv"
fi
if [ -n "$PROFILER" ]; then
    echo "== where the CPU went (perf, $WORK/perf.data)"
    # (head closes the pipe early: not a failure of the run.)
    for sort in comm dso,sym; do
        perf report -i "$WORK/perf.data" --no-children --sort "$sort" -g none --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 30 || true
    done
fi
ANSWERED=$(grep -c 'disposition="answered"' "$WORK/server.log" || true)
echo "answered by an agent: $ANSWERED"
# The bridge's media: the agents' legs carry only the conversation.
(grep "agent leg ended" "$WORK/server.log" || true) | sed -E 's/.*rtp_in=([0-9]+) rtp_out=([0-9]+) ms=([0-9]+).*/\1 \2 \3/' |
    awk '$3 > 0 {n++; i += $1 * 1000 / $3; o += $2 * 1000 / $3; if ($2 * 1000 / $3 < 47) low++; if ($1 * 1000 / $3 < 45) lowin++}
         END {if (n) printf "agent legs: %d; RTP per second per leg: out %.1f, in %.1f; legs sending under 47/s: %d, receiving under 45/s: %d\n", n, o / n, i / n, low, lowin}'
# How much of each conversation the recordings hold: talk time vs HOLD_MS.
echo "recorded talk: $(find "$WORK/data/recordings" -name '*.wav' -printf '%s\n' | awk -v h="$HOLD_MS" '{s += ($1 - 44) / 32000; n++} END {if (n) printf "%.2f s per call on average (caller holds %.1f s after the digit)", s / n, h / 1000}')"
kill -INT "$UAS" 2>/dev/null || true
kill -INT "$CAPTURE" "$SIP_CAPTURE" 2>/dev/null || true
wait "$CAPTURE" "$SIP_CAPTURE" 2>/dev/null || true
sleep 1
echo "== SIPp agents"
grep -E "Successful call|Failed call" "$WORK"/agent_uas_*_screen.log | sed 's/  */ /g' || true
echo "capture: $(grep -E 'captured|dropped by kernel' "$WORK/tcpdump.log" | tr '\n' ' ')"
[ "${PIN:-0}" = 1 ] && echo "pinned: server on core 0, SIPp and tcpdump on core 1"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$HEAP" ]; then
    # Heap in use at its highest (the most calls in progress), by where
    # it was allocated: the frames of ours (and of our dependencies) that
    # hold it, per call at that moment.
    PEAK_CALLS=$(sort -k2 -n "$WORK/memory.log" | tail -n 1 | cut -d' ' -f2)
    stop_server
    heaptrack_print -f "$WORK"/heap*.zst -t 0 --flamegraph-cost-type peak -F "$WORK/heap-peak.txt" >/dev/null
    echo "== heap at its peak, by allocation site (heaptrack; $WORK/heap-peak.txt), per call of $PEAK_CALLS"
    python3 tools/heap-peak.py "$WORK/heap-peak.txt" "$PEAK_CALLS"
    heaptrack_print -f "$WORK"/heap*.zst -M "$WORK/heap.massif" --massif-detailed-freq 0 >/dev/null
    python3 tools/heap-peak.py --massif "$WORK/heap.massif" "$(python3 -c "print($T0 - $STARTED)")" "$PEAK_CALLS"
fi
python3 tools/media-check.py --pcap "$WORK/rtp.pcap" --server-ports "40000-$((40000 + SAMPLE - 1))" \
    --caller-ports-from $((SIP_PORT + 100)) --db "$WORK/data/centrala.db" --recordings "$WORK/data/recordings" --since "$SINCE" \
    --sip-pcap "$WORK/sip.pcap" --log "$WORK/server.log"
