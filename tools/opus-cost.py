#!/usr/bin/env python3
"""What Opus would cost a browser's leg if the relay spoke it (issue 15).

The desk's softphone offers G.711 only, so the relay never transcodes. A
leg that spoke Opus to the browser would, every 20 ms, decode the
browser's frame and encode one for it, at 48 kHz, besides resampling to
and from the 8 kHz the rest of the relay (SIP phones, trunks, recordings)
uses. This measures the codec part with the system's libopus (Debian's
libopus0, the one baresip's opus module loads), called through ctypes:
one core, `ROUNDS` frames of a speech-like signal, median of five runs.
The resampling is not counted. Usage: python3 tools/opus-cost.py
"""

import ctypes
import math
import statistics
import time

ROUNDS = 5000
RATE = 48000
FRAME = RATE // 50  # 20 ms
OPUS_APPLICATION_VOIP = 2048
OPUS_SET_BITRATE_REQUEST = 4002
OPUS_SET_COMPLEXITY_REQUEST = 4010

lib = ctypes.CDLL("libopus.so.0")
lib.opus_encoder_create.restype = ctypes.c_void_p
lib.opus_decoder_create.restype = ctypes.c_void_p
lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int32]
lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
lib.opus_encoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]


def speechlike(n):
    """A voice-band signal that changes: three partials with a slow vibrato
    and a syllable envelope, so the encoder does real work."""
    out = (ctypes.c_int16 * n)()
    for i in range(n):
        t = i / RATE
        env = 0.5 + 0.5 * math.sin(2 * math.pi * 4 * t)
        f0 = 140 + 20 * math.sin(2 * math.pi * 0.7 * t)
        v = sum(math.sin(2 * math.pi * f0 * k * t) / k for k in (1, 2, 3))
        out[i] = int(6000 * env * v / 1.8)
    return out


def run(complexity):
    err = ctypes.c_int(0)
    enc = lib.opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, ctypes.byref(err))
    dec = lib.opus_decoder_create(RATE, 1, ctypes.byref(err))
    lib.opus_encoder_ctl(enc, OPUS_SET_BITRATE_REQUEST, 32000)
    lib.opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY_REQUEST, complexity)
    signal = speechlike(FRAME * 50)  # one second, looped
    packet = (ctypes.c_ubyte * 1500)()
    pcm = (ctypes.c_int16 * FRAME)()
    frames = [ctypes.cast(ctypes.byref(signal, 2 * FRAME * k), ctypes.c_void_p) for k in range(50)]
    enc_s = dec_s = 0.0
    for r in range(ROUNDS):
        a = time.perf_counter()
        n = lib.opus_encode(enc, frames[r % 50], FRAME, packet, 1500)
        b = time.perf_counter()
        lib.opus_decode(dec, packet, n, pcm, FRAME, 0)
        c = time.perf_counter()
        enc_s += b - a
        dec_s += c - b
    return enc_s / ROUNDS * 1e6, dec_s / ROUNDS * 1e6


def main():
    lib.opus_get_version_string.restype = ctypes.c_char_p
    print(f"{lib.opus_get_version_string().decode()}, 48 kHz mono, 20 ms frames, 32 kbit/s, VOIP")
    for complexity in (10, 5, 1):
        runs = [run(complexity) for _ in range(5)]
        enc = statistics.median(r[0] for r in runs)
        dec = statistics.median(r[1] for r in runs)
        per_leg = enc + dec
        share = per_leg / 20000 * 100
        print(
            f"complexity {complexity:2}: encode {enc:6.1f} µs, decode {dec:5.1f} µs per frame; "
            f"{per_leg:6.1f} µs per leg every 20 ms = {share:.2f} % of a core per leg"
        )


if __name__ == "__main__":
    main()
