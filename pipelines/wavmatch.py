# SPDX-License-Identifier: LGPL-2.1-or-later
"""Finds a reference recording inside another one (8 kHz mono S16 WAVs).

Used by the pipeline scripts to say how much of what was sent was heard and
with what delay. Python standard library only.

    python3 wavmatch.py locate REF.wav REC.wav [--head SECONDS] [--after SECONDS]
        prints "lag=SECONDS score=R": where REF (or its first --head seconds)
        starts in REC, searching from --after seconds on
    python3 wavmatch.py cover REF.wav REC.wav LAG [--until SECONDS] [--prefix 1]
        prints "heard=SECONDS of=SECONDS": how much of REF is in REC when
        REF starts at LAG, counting REC up to --until seconds; with
        --prefix 1 only up to the first part of REF that is missing
"""

import array
import math
import sys
import wave

BLOCK = 80  # 10 ms at 8 kHz: the coarse envelope
FINE = 8  # 1 ms
COVER = 160  # 20 ms: the unit of "heard"


def read(path):
    w = wave.open(path)
    if w.getsampwidth() != 2 or w.getnchannels() != 1:
        raise SystemExit("%s: want 16-bit mono" % path)
    a = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        a.byteswap()
    return w.getframerate(), a


def envelope(x, n):
    return [sum(abs(v) for v in x[i:i + n]) / n for i in range(0, len(x) - n + 1, n)]


def pearson(a, b):
    n = min(len(a), len(b))
    if n < 2:
        return 0.0
    ma = sum(a[:n]) / n
    mb = sum(b[:n]) / n
    sab = saa = sbb = 0.0
    for i in range(n):
        da = a[i] - ma
        db = b[i] - mb
        sab += da * db
        saa += da * da
        sbb += db * db
    if saa <= 0 or sbb <= 0:
        return 0.0
    return sab / math.sqrt(saa * sbb)


def best(ref, rec, lags):
    """The lag (index into rec) where ref correlates best, and the score."""
    top = (None, -2.0)
    for lag in lags:
        if lag < 0 or lag + len(ref) > len(rec):
            continue
        r = pearson(ref, rec[lag:lag + len(ref)])
        if r > top[1]:
            top = (lag, r)
    return top


def locate(ref, rec, rate, after=0.0):
    """Sample offset in rec where ref starts, and the correlation there."""
    start = int(after * rate)
    rec_tail = rec[start:]
    if len(rec_tail) < len(ref):
        ref = ref[:len(rec_tail)]
    # coarse on 10 ms envelopes, then 1 ms envelopes, then samples
    er, ec = envelope(ref, BLOCK), envelope(rec_tail, BLOCK)
    # the score is that of the 10 ms envelopes: a finer one suffers from
    # the slips of a few milliseconds where the bot audio arrived late
    lag, score = best(er, ec, range(0, len(ec) - len(er) + 1))
    if lag is None:
        return None, 0.0
    fr, fc = envelope(ref, FINE), envelope(rec_tail, FINE)
    c = lag * BLOCK // FINE
    lag, _ = best(fr, fc, range(c - 2 * BLOCK // FINE, c + 2 * BLOCK // FINE + 1))
    c = lag * FINE
    lag, _ = best(ref, rec_tail, range(c - 2 * FINE, c + 2 * FINE + 1))
    return start + lag, score


def rms(x):
    return math.sqrt(sum(v * v for v in x) / len(x)) if x else 0.0


def cover(ref, rec, lag, until=None, prefix=False):
    """Samples of ref found in rec at lag: 20 ms blocks that are there with
    about the same level (silent blocks count when they are there). With
    prefix, up to the first spoken block that is missing."""
    end = len(rec) if until is None else min(len(rec), until)
    levels = [rms(ref[i:i + COVER]) for i in range(0, len(ref), COVER)]
    quiet = 0.02 * max(levels) if levels else 0
    heard = last = 0
    for k, level in enumerate(levels):
        i = k * COVER
        n = min(COVER, len(ref) - i)
        j = lag + i
        if j < 0 or j + n > end:
            if prefix:
                break
            continue
        got = rms(rec[j:j + n])
        if 0.5 * level <= got <= 2.0 * level:
            heard += n
            last = heard
        elif level <= quiet:
            heard += n
        elif prefix:
            break
    # a prefix ends with the last block spoken and heard
    return last if prefix else heard


def main(argv):
    opts = {}
    args = []
    it = iter(argv[1:])
    for a in it:
        if a.startswith("--"):
            opts[a[2:]] = float(next(it))
        else:
            args.append(a)
    if len(args) >= 3 and args[0] == "locate":
        rate, ref = read(args[1])
        _, rec = read(args[2])
        if "head" in opts:
            ref = ref[:int(opts["head"] * rate)]
        lag, score = locate(ref, rec, rate, opts.get("after", 0.0))
        if lag is None:
            print("lag=none score=0")
            return 1
        print("lag=%.4f score=%.3f" % (lag / rate, score))
        return 0
    if len(args) >= 4 and args[0] == "cover":
        rate, ref = read(args[1])
        _, rec = read(args[2])
        lag = int(round(float(args[3]) * rate))
        until = int(opts["until"] * rate) if "until" in opts else None
        heard = cover(ref, rec, lag, until, bool(opts.get("prefix", 0)))
        print("heard=%.2f of=%.2f" % (heard / rate, len(ref) / rate))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
