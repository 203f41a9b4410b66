#!/usr/bin/env python3
"""NumPy/SciPy reference for the VGGish log-mel front end (SPEC.md §5), used as the
Python side of a speed comparison: decode + resample + log-mel for a folder of WAVs.

Done the straightforward way a Python user would:
  * ``scipy.io.wavfile.read``; int16 -> float32 / 32768; channels averaged to mono;
  * resample to 16 kHz with ``scipy.signal.resample_poly`` (up/down reduced by their gcd);
  * consecutive 15,600-sample examples, last one zero-padded (a clip shorter than one
    example gives one padded example; an empty clip gives none);
  * frames of 400 samples (periodic Hann), hop 160, no centring -> 96 frames; each frame
    zero-padded to 512, one ``numpy.fft.rfft`` call per example, power |X|^2;
  * VGGish mel matrix (HTK mel 1127 ln(1 + f/700), 64 bands, 125-7500 Hz, triangles
    peaking at 1, no area normalisation, DC bin weight 0, bins at linspace(0, 8000, 257));
  * log(mel + 0.01); output float32 [N, 1, 64, 96] (channel, mel, time).

Timing covers reading, resampling and features for all clips (file list and mel matrix
excluded). ``checksum`` is the float64 sum of every feature value, in sorted file order.
With --processes N > 1, pin BLAS to one thread per worker (OMP/OPENBLAS_NUM_THREADS=1):
otherwise each worker's OpenBLAS spawns its own threads and the pool runs slower than one process.

Usage:
  python3 scripts/reference/features_numpy.py /work/shared/data/fsdd/recordings
  python3 scripts/reference/features_numpy.py /work/shared/data/fsdd/recordings --json
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
      python3 scripts/reference/features_numpy.py /work/shared/data/fsdd/recordings --processes 2 --json
  python3 scripts/reference/features_numpy.py /work/shared/data/fsdd/recordings --limit 100 --dump /tmp/f.npy
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import as_strided
from scipy.io import wavfile
from scipy.signal import resample_poly

SAMPLE_RATE = 16000
EXAMPLE = 15600          # 0.975 s
WIN, HOP, NFFT = 400, 160, 512
FRAMES = 1 + (EXAMPLE - WIN) // HOP   # 96
MELS, LO_HZ, HI_HZ = 64, 125.0, 7500.0
LOG_OFFSET = 0.01


def hertz_to_mel(f):
    return 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_matrix():
    """VGGish spectrogram_to_mel_matrix: [257, 64], float32."""
    bins_mel = hertz_to_mel(np.linspace(0.0, SAMPLE_RATE / 2, NFFT // 2 + 1))
    edges = np.linspace(hertz_to_mel(LO_HZ), hertz_to_mel(HI_HZ), MELS + 2)
    m = np.empty((NFFT // 2 + 1, MELS))
    for i in range(MELS):
        lo, c, hi = edges[i:i + 3]
        m[:, i] = np.maximum(0.0, np.minimum((bins_mel - lo) / (c - lo), (hi - bins_mel) / (hi - c)))
    m[0, :] = 0.0
    return m.astype(np.float32)


MEL = mel_matrix()
# Periodic Hann: 0.5 - 0.5 cos(2 pi n / N), n = 0..N-1.
WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WIN) / WIN)).astype(np.float32)


def read_mono_16k(path):
    sr, data = wavfile.read(path)
    if data.dtype == np.int16:
        x = data.astype(np.float32) / 32768.0
    elif data.dtype == np.int32:
        x = data.astype(np.float32) / 2147483648.0
    elif data.dtype == np.uint8:
        x = (data.astype(np.float32) - 128.0) / 128.0
    else:
        x = data.astype(np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1, dtype=np.float32)
    if sr != SAMPLE_RATE and x.size:
        g = math.gcd(SAMPLE_RATE, sr)
        x = resample_poly(x, SAMPLE_RATE // g, sr // g).astype(np.float32, copy=False)
    return x


def clip_features(path):
    """All examples of one clip: float32 [n, 1, 64, 96]."""
    x = read_mono_16k(path)
    n = -(-x.size // EXAMPLE)          # ceil; 0 for an empty clip
    if n == 0:
        return np.zeros((0, 1, MELS, FRAMES), np.float32)
    padded = np.zeros(n * EXAMPLE, np.float32)
    padded[:x.size] = x
    ex = padded.reshape(n, EXAMPLE)
    s0, s1 = ex.strides
    frames = as_strided(ex, shape=(n, FRAMES, WIN), strides=(s0, HOP * s1, s1), writeable=False)
    spec = np.fft.rfft(frames * WINDOW, n=NFFT, axis=-1)        # [n, 96, 257]
    power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32, copy=False)
    logmel = np.log(power @ MEL + LOG_OFFSET)                   # [n, 96, 64]
    return np.ascontiguousarray(logmel.transpose(0, 2, 1))[:, None].astype(np.float32, copy=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--limit", type=int, default=None, help="first N files (sorted)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--processes", type=int, default=1, help="multiprocessing.Pool size (1 = none)")
    ap.add_argument("--dump", default=None, help="save features [N,1,64,96] to this .npy")
    a = ap.parse_args()

    paths = sorted(os.path.join(a.folder, f) for f in os.listdir(a.folder) if f.lower().endswith(".wav"))
    if a.limit is not None:
        paths = paths[:a.limit]

    t0 = time.perf_counter()
    if a.processes > 1:
        from multiprocessing import Pool
        with Pool(a.processes) as pool:
            feats = pool.map(clip_features, paths, chunksize=max(1, len(paths) // (a.processes * 8)))
    else:
        feats = [clip_features(p) for p in paths]
    seconds = time.perf_counter() - t0

    out = np.concatenate(feats) if feats else np.zeros((0, 1, MELS, FRAMES), np.float32)
    result = {
        "clips": len(paths),
        "examples": int(out.shape[0]),
        "seconds": seconds,
        "clips_per_second": len(paths) / seconds if seconds > 0 else float("inf"),
        "checksum": float(out.sum(dtype=np.float64)),
        "processes": a.processes,
    }
    if a.dump:
        np.save(a.dump, out)
    if a.json:
        print(json.dumps(result))
    else:
        print(f"clips {result['clips']}  examples {result['examples']}  seconds {seconds:.3f}  "
              f"clips/s {result['clips_per_second']:.1f}  checksum {result['checksum']:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
