# Shared by the SIPp load scripts (sourced): starts a release server on
# loopback with demo data, measures its CPU and memory, and reports what
# its log says of the calls' media. Expects WORK to be set.
#
# PIN=1 pins the server to core 0 and the load (SIPp, the capture) to
# core 1 (taskset), so that a run shows Centrala's limit on one core rather
# than the load generator's: prefix load commands with $LOAD. BIN=path runs
# another build (to compare two side by side). HEAPTRACK=1 runs the
# server under heaptrack (a build without mimalloc, which heaptrack cannot
# see, and with line tables):
#   CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_TARGET_DIR=target-heap \
#       cargo build --release -p centrala --no-default-features
# and BIN=target-heap/release/centrala.

BIN=${BIN:-target/release/centrala}
[ -x "$BIN" ] || { echo "build first: cargo build --release -p centrala" >&2; exit 2; }
command -v sipp >/dev/null || { echo "sipp is not installed (apt-get install sip-tester)" >&2; exit 2; }

if [ "${PIN:-0}" = 1 ]; then
    command -v taskset >/dev/null || { echo "PIN=1 needs taskset (util-linux)" >&2; exit 2; }
    SERVER_PIN="taskset -c 0"
    LOAD="taskset -c 1"
else
    SERVER_PIN=
    LOAD=
fi

HEAP=
if [ "${HEAPTRACK:-0}" = 1 ]; then
    command -v heaptrack >/dev/null || { echo "HEAPTRACK=1 needs heaptrack (apt-get install heaptrack)" >&2; exit 2; }
    HEAP="heaptrack -o $WORK/heap"
fi

SIP_PORT=$((20000 + RANDOM % 5000))
HTTP_PORT=$((26000 + RANDOM % 2000))
API="http://127.0.0.1:$HTTP_PORT/api/v1"

# The load comes from one address, as from a trunk: it is a trusted peer
# (not rate-limited per source), and the company's cap and the server's
# ceiling are above the load (on, not binding), so the run measures the
# limits' cost, not their refusals. Admission by media lateness stays on
# (MAX_MEDIA_LAG_MS, default 40; 0 turns it off): a machine that falls
# behind refuses new calls with 503, counted by SIPp as failed calls.
start_server() {
    STARTED=$(date +%s.%N)
    CENTRALA_SIP__TRUSTED_PEERS='["127.0.0.1"]' CENTRALA_SIP__MAX_CALLS_PER_COMPANY=5000 \
    CENTRALA_SIP__MAX_CALLS=5000 CENTRALA_SIP__MAX_MEDIA_LAG_MS="${MAX_MEDIA_LAG_MS:-40}" \
    CENTRALA_SIP__RTP_PORTS="[40000, 59999]" CENTRALA_LOG="${CENTRALA_LOG:-warn,centrala_center::brain=info,centrala_sip::server=info}" \
        $SERVER_PIN $HEAP "$BIN" --data "$WORK/data" serve --demo --http "127.0.0.1:$HTTP_PORT" --sip "127.0.0.1:$SIP_PORT" \
        2>"$WORK/server.log" &
    SERVER=$!
    LAUNCHED=$SERVER
    if [ -n "$HEAP" ]; then
        # heaptrack's script runs the server as its child: watch that.
        for _ in $(seq 1 50); do
            pid=$(pgrep -n -f "^$BIN --data $WORK/data") && SERVER=$pid && break
            sleep 0.2
        done
    fi
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    watch_memory
}

# Memory against load, once a second while the server runs: its
# anonymous resident memory (heap and stacks, not the database file it
# maps, which grows with the data and is the page cache's) and the calls
# and media legs in progress (/metrics). `report` fits a line through
# them: the memory a call in progress adds.
watch_memory() {
    (while kill -0 "$SERVER" 2>/dev/null; do
        m=$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^centrala_calls_in_progress / {c = $2} /^centrala_media_legs / {l = $2} END {print c + 0, l + 0}')
        echo "$(awk '/^RssAnon/ {print $2}' "/proc/$SERVER/status" 2>/dev/null) $m"
        sleep 1
    done) >"$WORK/memory.log" 2>/dev/null &
    MEMORY_WATCH=$!
}

stop_server() {
    [ -n "${MEMORY_WATCH:-}" ] && kill "$MEMORY_WATCH" 2>/dev/null || true
    kill "$SERVER" 2>/dev/null || true
    wait "$LAUNCHED" 2>/dev/null || true
}

cpu() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
# Seconds the server's rounds keeping the statistics up to date took so far.
keeping() { curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^centrala_statistics_keeping_seconds_total/ {print $2}'; }
TICKS=$(getconf CLK_TCK)

# report T0 T1 C0 C1 SCREEN_LOG: SIPp's outcome, the server's CPU and
# memory, its recordings and RTP figures.
report() {
    local t0=$1 t1=$2 c0=$3 c1=$4 screen=$5
    grep -E "Successful call|Failed call|Call Rate|Total Call created|Response Time 1" "$screen" | sed 's/  */ /g' || true
    local elapsed cpu_s
    elapsed=$(echo "$t1 - $t0" | bc)
    cpu_s=$(echo "($c1 - $c0) / $TICKS" | bc -l)
    echo "== centrala"
    printf "wall %.1f s, CPU %.1f s (%.0f %% of one core), peak RSS %s\n" "$elapsed" "$cpu_s" \
        "$(echo "100 * $cpu_s / $elapsed" | bc -l)" "$(grep VmHWM /proc/$SERVER/status | awk '{print $2 " " $3}')"
    # The line through (calls in progress, anonymous RSS) while calls
    # build up to their most: its slope is a call's memory. (Not after
    # the peak: the allocator keeps freed memory for the next calls.)
    python3 - "$WORK/memory.log" <<'PY'
import sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 3]
peak = max(range(len(rows)), key=lambda k: rows[k][1], default=None)
up = [r for r in rows[: (peak or 0) + 1] if r[1] > 0]
if len(up) > 2:
    n, x, y = len(up), sum(r[1] for r in up), sum(r[0] for r in up)
    xx, xy = sum(r[1] ** 2 for r in up), sum(r[1] * r[0] for r in up)
    if n * xx - x * x > 0:
        slope = (n * xy - x * y) / (n * xx - x * x)
        rss, calls, legs = rows[peak]
        print(f"memory: {slope:.0f} kB per call in progress (least squares over {n} samples as calls built up); "
              f"at the most, {calls:.0f} calls and {legs:.0f} media legs in {rss / 1024:.0f} MB anonymous")
PY
    local rec secs
    rec=$(find "$WORK/data/recordings" -name '*.wav' | wc -l)
    secs=$(find "$WORK/data/recordings" -name '*.wav' -printf '%s\n' | awk '{s += ($1 - 44) / 32000} END {printf "%.1f", s}')
    echo "recordings: $rec files, $secs s of stereo audio in all"
    # Media: packets we sent and received per second of each call (50 is full).
    grep "call ended" "$WORK/server.log" | sed -E 's/.*rtp_in=([0-9]+) rtp_out=([0-9]+) ms=([0-9]+).*/\1 \2 \3/' |
        awk '$3 > 0 {n++; i += $1 * 1000 / $3; o += $2 * 1000 / $3; if ($2 * 1000 / $3 < 47) low++}
             END {if (n) printf "calls ended: %d; RTP per second per call: out %.1f, in %.1f; calls sending under 47/s: %d\n", n, o / n, i / n, low}'
    # Keeping the statistics up to date (the 30 s rounds) during the run,
    # from K0 (taken with C0) to now.
    if [ -n "${K0:-}" ]; then
        awk -v k0="$K0" -v k1="$(keeping)" -v e="$elapsed" 'BEGIN {printf "statistics kept: %.2f s in the 30 s rounds over the %.0f s run (%.2f %% of one core at most)\n", k1 - k0, e, 100 * (k1 - k0) / e}'
    fi
    grep -c "WARN" "$WORK/server.log" | xargs echo "warnings in the log:" || true
    grep "WARN" "$WORK/server.log" | sed -E 's/^[^ ]+ +WARN //; s/[0-9]+/N/g' | cut -c1-120 | sort | uniq -c | sort -rn | head -n 5 || true
}
