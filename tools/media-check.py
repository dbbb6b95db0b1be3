#!/usr/bin/env python3
"""What a load run's media was like where it is heard (issue 17).

Two measurements, each optional:

  --pcap FILE --server-ports LO-HI [--caller-ports-from N]
      RTP as it crossed the loopback, from a capture (tcpdump). Every UDP
      flow with one end in the server's RTP range is a leg; packets from
      that range went *out* of Centrala (to the SIPp caller or agent),
      packets to it came *in*. Per direction: packets per second per leg,
      the share of inter-arrival gaps over 60 ms and the longest gap. A leg
      whose far port is at or above N is a caller's, below it an agent's.

  --db centrala.db --recordings DIR [--since RFC3339]
  [--sip-pcap FILE --log server.log]
      Each recorded call of the run (arrived since the given time): the
      recording's length against the call's, and the share of all-zero 20 ms
      frames in the talk (from the agent's answer to the end; G.711 A-law
      never decodes to an exact 0, so a zero frame is audio that was never
      written). The call's length is the caller's, on the wire: from our
      200 OK to its INVITE to its BYE, read from a capture of the callers'
      signalling (--sip-pcap; the server's log names each interaction's
      Call-ID); without it, the interaction's record (ended_at -
      arrived_at), which also counts the set-up before the answer. Calls
      that never reached an agent are counted.

A run is clean (issue 17, point 1) when every call reached an agent, gaps
over 60 ms are under 0.1 %, the longest gap is under 100 ms, and recordings
are within 1 % of their calls with no zero frame in the talk. The verdict
is printed last, with the reason for each failed condition; the exit
status is 0 either way (this is a measuring tool, not a test).

Written by hand in the standard library only: it runs on a fresh machine
without pip, and a pcap file and a WAV header are a few lines each.
"""

import argparse
import datetime
import os
import re
import sqlite3
import struct
import sys
import wave

GAP_MS = 60.0
LONGEST_OK_MS = 100.0
FRAME = 160  # samples in 20 ms at 8 kHz


def pcap_records(path):
    """(time in s, IPv4 packet) of each packet in a classic pcap file
    (Ethernet, Linux cooked v1/v2 or raw IP)."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = struct.unpack("<I", head[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            endian = ">"
        else:
            raise SystemExit(f"{path}: not a pcap file")
        nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
        link = struct.unpack(endian + "I", head[20:24])[0]
        skip = {1: 14, 113: 16, 276: 20, 101: 0, 228: 0}.get(link)
        if skip is None:
            raise SystemExit(f"{path}: link type {link} is not read here")
        rec = struct.Struct(endian + "IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, frac, incl, _orig = rec.unpack(h)
            data = f.read(incl)
            yield sec + frac / (1e9 if nano else 1e6), data[skip:]


def pcap_packets(path):
    """(time in s, src port, dst port, UDP payload length, RTP SSRC) of each
    UDP/IPv4 packet of a capture."""
    for t, ip in pcap_records(path):
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        sport, dport, ulen = struct.unpack(">HHH", ip[ihl : ihl + 6])
        rtp = ip[ihl + 8 : ihl + 20]
        ssrc = struct.unpack(">I", rtp[8:12])[0] if len(rtp) == 12 else 0
        yield t, sport, dport, ulen - 8, ssrc


def sip_call_lengths(path):
    """{Call-ID: seconds from the 200 OK to the INVITE to the BYE} of the
    calls in a capture of SIP over UDP (whole packets)."""
    answered, bye = {}, {}
    for t, ip in pcap_records(path):
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        text = ip[ihl + 8 :].decode("utf-8", "replace")
        head, _, rest = text.partition("\r\n")
        call_id = cseq = None
        for line in rest.split("\r\n"):
            if not line:
                break
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name in ("call-id", "i"):
                call_id = value.strip()
            elif name == "cseq":
                cseq = value.split()
        if not call_id or not cseq:
            continue
        if head.startswith("SIP/2.0 200") and cseq[-1] == "INVITE":
            answered.setdefault(call_id, t)
        elif head.startswith("BYE "):
            bye.setdefault(call_id, t)
    return {c: bye[c] - t for c, t in answered.items() if c in bye}


def interaction_calls(log):
    """{interaction id: Call-ID} from the server's log ("call ended" lines,
    logged in the call's span)."""
    found = {}
    pattern = re.compile(r"call_id=(\S+?)[ }].*call ended.*interaction=(\d+)")
    with open(log, errors="replace") as f:
        for line in f:
            if "call ended" in line:
                m = pattern.search(line)
                if m:
                    found[int(m.group(2))] = m.group(1)
    return found


def legs_from_pcap(path, lo, hi):
    """{(server port, far port, 'out'|'in', SSRC): [arrival times]}: a
    stream is its ports and its SSRC, so that a later call on the same
    ports is another leg, not a gap."""
    legs = {}
    for t, sport, dport, size, ssrc in pcap_packets(path):
        if size < 12:
            continue
        if lo <= sport <= hi:
            key = (sport, dport, "out", ssrc)
        elif lo <= dport <= hi:
            key = (dport, sport, "in", ssrc)
        else:
            continue
        legs.setdefault(key, []).append(t)
    return legs


def leg_figures(times):
    """(packets per second, gaps, gaps over 60 ms, longest gap in ms)."""
    gaps = [(b - a) * 1000.0 for a, b in zip(times, times[1:])]
    span = times[-1] - times[0]
    pps = (len(times) - 1) / span if span > 0 else 0.0
    return pps, len(gaps), sum(1 for g in gaps if g > GAP_MS), max(gaps, default=0.0)


def report_pcap(args, verdict):
    lo, hi = (int(x) for x in args.server_ports.split("-"))
    legs = legs_from_pcap(args.pcap, lo, hi)
    print(f"== media at the receiver (capture of server ports {lo}-{hi}: {len(legs)} leg directions)")
    groups = {}
    for (_port, far, way, _ssrc), times in legs.items():
        if len(times) < 50:  # under a second of audio: a leg's last packets, or the IVR's DTMF burst
            continue
        kind = "caller" if args.caller_ports_from and far >= args.caller_ports_from else "agent"
        if not args.caller_ports_from:
            kind = "leg"
        groups.setdefault((kind, way), []).append(leg_figures(times))
    all_gaps = all_over = 0
    longest = 0.0
    for (kind, way), figs in sorted(groups.items()):
        n = len(figs)
        gaps = sum(f[1] for f in figs)
        over = sum(f[2] for f in figs)
        worst = max(f[3] for f in figs)
        low = sum(1 for f in figs if f[0] < 47)
        heard_by = "SIPp" if way == "out" else "Centrala"
        print(
            f"{kind} legs, {way} of Centrala (heard by {heard_by}): {n} legs, "
            f"{sum(f[0] for f in figs) / n:.1f} packets/s per leg, {low} under 47/s, "
            f"gaps over {GAP_MS:.0f} ms {100.0 * over / max(gaps, 1):.3f} % ({over} of {gaps}), longest {worst:.0f} ms"
        )
        if way == "out":
            all_gaps += gaps
            all_over += over
            longest = max(longest, worst)
    if all_gaps == 0:
        verdict.append("no RTP from Centrala in the capture")
        return
    share = 100.0 * all_over / all_gaps
    if share >= 0.1:
        verdict.append(f"{share:.3f} % of gaps from Centrala over {GAP_MS:.0f} ms (clean: under 0.1 %)")
    if longest >= LONGEST_OK_MS:
        verdict.append(f"longest gap from Centrala {longest:.0f} ms (clean: under {LONGEST_OK_MS:.0f} ms)")


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def zero_frames(path, start_s):
    """(talk frames, all-zero frames) of a stereo 16-bit 8 kHz WAV, and its
    length in seconds. The talk is, on each channel, from its first frame
    with sound after start_s to its last (a far end that starts sending a
    moment after the answer, or stops before the hang-up, is not a gap);
    a zero frame within it is audio that never came."""
    with wave.open(path, "rb") as w:
        channels, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        if width != 2:
            raise SystemExit(f"{path}: {width * 8}-bit samples are not read here")
        first = min(n, int(start_s * rate))
        w.setpos(first)
        data = w.readframes(n - first)
    step = FRAME * channels * width
    frames = zeros = 0
    for c in range(channels):
        silent = []
        for off in range(0, len(data) - step + 1, step):
            chunk = data[off : off + step]
            lo = chunk[c * width :: channels * width]
            hi = chunk[c * width + 1 :: channels * width]
            silent.append(not lo.strip(b"\0") and not hi.strip(b"\0"))
        sound = [k for k, z in enumerate(silent) if not z]
        if sound:
            span = silent[sound[0] : sound[-1] + 1]
            frames += len(span)
            zeros += sum(span)
    return frames, zeros, n / rate


def report_recordings(args, verdict):
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    rows = db.execute(
        "SELECT id, arrived_at, answered_at, ended_at, recording, disposition FROM interactions "
        "WHERE channel = 'voice' AND direction = 'inbound' AND arrived_at >= ?",
        (args.since,),
    ).fetchall()
    calls = len(rows)
    unanswered = [r for r in rows if r[2] is None]
    print(f"== recordings against their calls ({calls} inbound calls)")
    print(f"calls that never reached an agent: {len(unanswered)}", end="")
    if unanswered:
        kinds = {}
        for r in unanswered:
            kinds[r[5]] = kinds.get(r[5], 0) + 1
        print(" (" + ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) + ")", end="")
        verdict.append(f"{len(unanswered)} calls never reached an agent")
    print()
    wire = {}
    if args.sip_pcap:
        lengths = sip_call_lengths(args.sip_pcap)
        wire = {i: lengths[c] for i, c in interaction_calls(args.log).items() if c in lengths}
        print(f"calls measured on the wire (200 OK to BYE): {len(wire)}")
    ratios = []
    diffs = []
    outside = 0
    unmeasured = 0
    frames = zeros = 0
    with_zeros = 0
    missing = 0
    for iid, arrived, answered, ended, recording, _disp in rows:
        if not recording or not ended or not answered:
            continue
        path = recording if os.path.isabs(recording) else os.path.join(args.recordings, recording)
        if not os.path.exists(path):
            missing += 1
            continue
        a, b, e = parse_time(arrived), parse_time(answered), parse_time(ended)
        if args.sip_pcap:
            if iid not in wire:
                unmeasured += 1
                continue
            call_s = wire[iid]
        else:
            call_s = (e - a).total_seconds()
        f, z, length = zero_frames(path, (b - a).total_seconds())
        frames += f
        zeros += z
        with_zeros += 1 if z else 0
        if call_s > 0:
            ratios.append(length / call_s)
            diffs.append(1000.0 * (length - call_s))
            outside += 1 if abs(length - call_s) > 0.01 * call_s else 0
    if unmeasured:
        print(f"recorded calls not found on the wire (left out): {unmeasured}")
    if missing:
        verdict.append(f"{missing} recordings missing")
        print(f"recordings missing: {missing}")
    if not ratios:
        verdict.append("no recorded call to compare")
        return
    ratios.sort()
    diffs.sort()
    print(
        f"recording minus call: median {diffs[len(diffs) // 2]:+.0f} ms, "
        f"from {diffs[0]:+.0f} to {diffs[-1]:+.0f} ms"
    )
    print(
        f"recording length / call length: mean {sum(ratios) / len(ratios):.4f}, "
        f"lowest {ratios[0]:.4f}, highest {ratios[-1]:.4f}; {outside} of {len(ratios)} off by more than 1 %"
    )
    print(
        f"all-zero 20 ms frames in the talk: {100.0 * zeros / max(frames, 1):.3f} % "
        f"({zeros} of {frames} channel-frames), in {with_zeros} recordings"
    )
    if outside:
        verdict.append(f"{outside} recordings off their call's length by more than 1 %")
    if zeros:
        verdict.append(f"{zeros} all-zero frames in the recorded talk")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pcap")
    p.add_argument("--server-ports", default="40000-59999")
    p.add_argument("--caller-ports-from", type=int, default=0)
    p.add_argument("--db")
    p.add_argument("--recordings")
    p.add_argument("--sip-pcap", help="a capture of the callers' SIP (whole packets)")
    p.add_argument("--log", help="the server's log (with --sip-pcap)")
    p.add_argument("--since", default="", help="only calls that arrived from then on (RFC 3339, UTC), the run's")
    args = p.parse_args()
    if not args.pcap and not args.db:
        p.error("give --pcap, --db, or both")
    verdict = []
    if args.pcap:
        report_pcap(args, verdict)
    if args.db:
        if not args.recordings:
            p.error("--db needs --recordings")
        report_recordings(args, verdict)
    print("== verdict: " + ("clean" if not verdict else "not clean: " + "; ".join(verdict)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
