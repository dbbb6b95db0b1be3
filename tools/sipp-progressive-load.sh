#!/usr/bin/env bash
# Progressive campaign load run, loopback only, bounded in calls and time:
# AGENTS operators are created (with SIP accounts) and made ready; one
# SIPp registers all their phones, then answers every call they get, each
# agent speaking. TARGETS new clients are registered and put in one
# progressive campaign of those operators. The trunk (sip.trunk) is a SIPp
# on loopback answering every client: it speaks HOLD_MS, then hangs up.
# The ACD rings an agent first, then dials the client through the trunk,
# bridges and records them. Prints the dialling rate, SIPp's outcome on
# both sides, the server's CPU and memory, and what the recordings hold
# (their length against the talk, and the share of all-zero 20 ms frames).
#
#   tools/sipp-progressive-load.sh TARGETS AGENTS
#   HOLD_MS=5000  how long each client talks
#
# Needs: a release build (cargo build --release -p centrala), sipp, sox,
# python3, curl.
set -euo pipefail
cd "$(dirname "$0")/.."

HOLD_MS=${HOLD_MS:-5000}
TARGETS=${1:?number of clients to call}
AGENTS=${2:?number of agents}
WORK=$(mktemp -d)
trap 'kill "$UAS" "$FAR" 2>/dev/null || true; stop_server; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
. tools/load-lib.sh
FAR_PORT=$((SIP_PORT + 3))
export CENTRALA_SIP__TRUNK="127.0.0.1:$FAR_PORT"
export CENTRALA_LOG="warn,centrala_center::campaigns=info"
start_server
AGENT_PORT=$((SIP_PORT + 2))
UAS=
FAR=

sox crates/call/prompts/en/main-menu.wav -t al "$WORK/speech.al"

# Operators with SIP accounts 71001…, the clients, the campaign (a draft).
API="$API" AGENTS="$AGENTS" TARGETS="$TARGETS" WORK="$WORK" python3 - <<'PY'
import json, os, urllib.request
api, n, t, work = os.environ["API"], int(os.environ["AGENTS"]), int(os.environ["TARGETS"]), os.environ["WORK"]
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
ids, names = [], []
for k in range(n):
    m = call("POST", "/staff", {"username": f"load.{k}", "full_name": f"Load Agent {k}", "role": "operator"}, admin)
    call("PUT", f"/staff/{m['id']}/sip", {"username": str(71001 + k), "password": "loadpass1"}, admin)
    ids.append(m["id"])
    names.append(f"load.{k}")
call("PUT", "/numbers/%2B38733000200", {"purpose": "outbound"}, admin)
codes = []
for k in range(t):
    c = call("POST", "/clients", {"name": f"Load Client {k}", "phone": f"+3876{k:08d}"}, sup)
    codes.append(c["code"])
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
camp = call("POST", "/campaigns", {"kind": "promotion", "name": "Load", "agents": names, "mode": "progressive",
    "clients": codes, "hours": {"days": days, "from": "00:00", "to": "23:59"},
    "retry": {"interval_minutes": 600, "max_attempts": 1}}, sup)
with open(work + "/ids", "w") as f:
    f.write("\n".join(str(i) for i in ids))
with open(work + "/campaign", "w") as f:
    f.write(str(camp["id"]))
PY
CAMPAIGN=$(cat "$WORK/campaign")
REGISTERED=0
for k in $(seq 71001 $((71000 + AGENTS))); do
    sipp -sf crates/centrala/tests/sipp/register.xml "127.0.0.1:$SIP_PORT" -s "$k" -au "$k" -ap loadpass1 \
        -i 127.0.0.1 -p "$AGENT_PORT" -m 1 -nostdin -timeout 5s -timeout_error >/dev/null 2>&1 &&
        REGISTERED=$((REGISTERED + 1))
done
echo "registered phones: $REGISTERED of $AGENTS"
SUP=$(curl -sf "$API/auth/login" -H 'content-type: application/json' \
    -d '{"company":"demo","username":"sup.nina","password":"demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
(cd "$WORK" && exec sipp -sf "$OLDPWD/tools/sipp/agent_uas.xml" -i 127.0.0.1 -p "$AGENT_PORT" -mi 127.0.0.1 \
    -m "$TARGETS" -nostdin -trace_screen -rtp_threadtasks 64 >/dev/null 2>&1) &
UAS=$!
sed -e "s/HOLD_MS/$HOLD_MS/" tools/sipp/client_uas.xml > "$WORK/client_uas.xml"
(cd "$WORK" && exec sipp -sf client_uas.xml -i 127.0.0.1 -p "$FAR_PORT" -mi 127.0.0.1 -mp $((SIP_PORT + 200)) \
    -m "$TARGETS" -nostdin -trace_screen -rtp_threadtasks 64 >/dev/null 2>&1) &
FAR=$!
sleep 1
while read -r id; do
    curl -sf -X PUT "$API/agents/$id/state" -H "authorization: Bearer $SUP" -H 'content-type: application/json' \
        -d '{"state":"ready"}' >/dev/null
done < "$WORK/ids"

C0=$(cpu)
T0=$(date +%s.%N)
curl -sf -X POST "$API/campaigns/$CAMPAIGN/start" -H "authorization: Bearer $SUP" >/dev/null
# Until every target was dialled and every call has ended (at most
# TARGETS / AGENTS rounds of talk, plus slack).
LIMIT=$((TARGETS * (HOLD_MS / 1000 + 4) / AGENTS + 60))
for _ in $(seq 1 "$LIMIT"); do
    ENDED=$(grep -c "campaign call ended" "$WORK/server.log" || true)
    [ "$ENDED" -ge "$TARGETS" ] && break
    sleep 1
done
T1=$(date +%s.%N)
C1=$(cpu)
sleep 2
kill -INT "$UAS" "$FAR" 2>/dev/null || true
sleep 1
echo "== progressive campaign: $TARGETS clients, $AGENTS agents, ${HOLD_MS} ms talk"
REACHED=$(grep -c "campaign call ended reached=true" "$WORK/server.log" || true)
echo "calls ended: $ENDED, clients reached: $REACHED"
printf "dialling rate: %.2f calls/s over %.1f s (the most the agents can take: %.2f/s)\n" \
    "$(echo "$ENDED / ($T1 - $T0)" | bc -l)" "$(echo "$T1 - $T0" | bc -l)" \
    "$(echo "$AGENTS * 1000 / ($HOLD_MS + 1000)" | bc -l)"
echo "== SIPp clients (behind the trunk)"
grep -E "Successful call|Failed call" "$WORK"/client_uas_*_screen.log | sed 's/  */ /g' || true
echo "== SIPp agents"
grep -E "Successful call|Failed call" "$WORK"/agent_uas_*_screen.log | sed 's/  */ /g' || true
elapsed=$(echo "$T1 - $T0" | bc)
cpu_s=$(echo "($C1 - $C0) / $TICKS" | bc -l)
echo "== centrala"
printf "wall %.1f s, CPU %.1f s (%.0f %% of one core, %.1f ms per call), peak RSS %s\n" "$elapsed" "$cpu_s" \
    "$(echo "100 * $cpu_s / $elapsed" | bc -l)" "$(echo "1000 * $cpu_s / $ENDED" | bc -l)" \
    "$(grep VmHWM /proc/$SERVER/status | awk '{print $2 " " $3}')"
# What the recordings hold, read at the receiving end of our relay: each
# one's length against the client's talk, and 20 ms frames of pure zeros
# on either side while both spoke.
HOLD_MS="$HOLD_MS" python3 - "$WORK/data/recordings" <<'PY'
import os, sys, wave, struct
hold = int(os.environ["HOLD_MS"]) / 1000
lengths, zero, frames = [], 0, 0
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if not f.endswith(".wav"):
            continue
        w = wave.open(os.path.join(root, f))
        n, rate = w.getnframes(), w.getframerate()
        data = w.readframes(n)
        lengths.append(n / rate)
        per = rate // 50
        # Skip the first and last half second (ringing, hang-up).
        for k in range(per * 25, n - per * 25, per):
            chunk = data[k * 4:(k + per) * 4]
            left = chunk[0::4] + chunk[1::4]
            right = chunk[2::4] + chunk[3::4]
            frames += 2
            zero += (left.count(0) == len(left)) + (right.count(0) == len(right))
if lengths:
    lengths.sort()
    print(f"recordings: {len(lengths)}; length min {lengths[0]:.2f} s, median {lengths[len(lengths)//2]:.2f} s, "
          f"max {lengths[-1]:.2f} s (client talks {hold:.1f} s); all-zero 20 ms frames: {zero} of {frames}")
PY
grep -c "WARN" "$WORK/server.log" | xargs echo "warnings in the log:" || true
grep "WARN" "$WORK/server.log" | sed -E 's/^[^ ]+ +WARN //; s/[0-9]+/N/g' | cut -c1-120 | sort | uniq -c | sort -rn | head -n 5 || true
