#!/usr/bin/env python3
"""Writes logmel_golden.json: VGGish-style log-mel features (SPEC §5) by an independent NumPy implementation.

Regenerate from the package root with

    python3 Tests/AudioFeaturesTests/Fixtures/generate_logmel_golden.py

(NumPy only; the output is deterministic). Nothing here calls the Swift code: the mel matrix is written
from VGGish's `mel_features.spectrogram_to_mel_matrix`, the FFT is `numpy.fft.rfft`, all in float64.

The inputs are stored as formulas the Swift tests rebuild bit for bit (up to libm's last ulp in `sin`),
each rounded once to float32 before the features are computed:

* "chirp":  x[n] = float32(0.5·sin(2π(100·t + 0.5·k·t²)) + 0.2·sin(2π·440·t)),  t = n/16000,
            k = 7000/0.975 Hz/s (a linear sweep 100 Hz → 7,100 Hz over the example).
* "noise":  x[n] = float32(u/2^24 − 0.5) with u = splitmix64(seed = 20260415)[n] >> 40, i.e. uniform in
            [−0.5, 0.5) with 24-bit resolution, exactly representable in float32.
* "long":   x[n] = float32(0.3·sin(0.05·n)), n < 40,000: for the cutting into examples (3 of 15,600, the
            last zero-padded after 8,800 samples).

File layout:
  settings:        the constants used (VGGish's).
  mel_matrix:      for each of the 64 bands, `first_bin` and the nonzero `weights` from there on
                   (a contiguous run; every other entry of the 257×64 matrix is 0).
  logmel:          {name: [64][96] floats} for "chirp" and "noise", (mel, time) order.
  cutting:         for "long": example count, per-example sum of samples and mean log-mel.
"""
import json
import math
import os

import numpy as np

SAMPLE_RATE = 16000
EXAMPLE_LENGTH = 15600
WINDOW_LENGTH = 400
HOP_LENGTH = 160
FFT_LENGTH = 512
MEL_BANDS = 64
LOWEST_HZ = 125.0
HIGHEST_HZ = 7500.0
LOG_OFFSET = 0.01
MASK64 = (1 << 64) - 1


def hertz_to_mel(hz):
    return 1127.0 * np.log(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_matrix():
    """VGGish spectrogram_to_mel_matrix: [257 × 64], triangles in HTK mel, peak 1, DC row zero."""
    bins = FFT_LENGTH // 2 + 1
    bin_mels = hertz_to_mel(np.linspace(0.0, SAMPLE_RATE / 2.0, bins))
    edges = np.linspace(hertz_to_mel(LOWEST_HZ), hertz_to_mel(HIGHEST_HZ), MEL_BANDS + 2)
    matrix = np.empty((bins, MEL_BANDS))
    for band in range(MEL_BANDS):
        lower, center, upper = edges[band:band + 3]
        rising = (bin_mels - lower) / (center - lower)
        falling = (upper - bin_mels) / (upper - center)
        matrix[:, band] = np.maximum(0.0, np.minimum(rising, falling))
    matrix[0, :] = 0.0
    return matrix


def log_mel(example, matrix):
    """[64, 96] log-mel of one float32 example of 15,600 samples, computed in float64."""
    x = example.astype(np.float64)
    n = np.arange(WINDOW_LENGTH)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / WINDOW_LENGTH)  # periodic Hann
    frames = 1 + (len(x) - WINDOW_LENGTH) // HOP_LENGTH
    framed = np.stack([x[t * HOP_LENGTH:t * HOP_LENGTH + WINDOW_LENGTH] for t in range(frames)])
    spectrum = np.fft.rfft(framed * window, n=FFT_LENGTH, axis=1)  # zero-padded to 512, 257 bins
    power = spectrum.real ** 2 + spectrum.imag ** 2
    return np.log(power @ matrix + LOG_OFFSET).T  # (mel, time)


def splitmix64(seed, count):
    state = seed & MASK64
    out = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        out.append(z ^ (z >> 31))
    return out


def chirp():
    k = 7000.0 / 0.975
    values = []
    for n in range(EXAMPLE_LENGTH):
        t = n / SAMPLE_RATE
        values.append(0.5 * math.sin(2 * math.pi * (100.0 * t + 0.5 * k * t * t))
                      + 0.2 * math.sin(2 * math.pi * 440.0 * t))
    return np.array(values, dtype=np.float32)


def noise():
    return np.array([(u >> 40) / 2.0 ** 24 - 0.5 for u in splitmix64(20260415, EXAMPLE_LENGTH)],
                    dtype=np.float32)


def long_signal():
    return np.array([0.3 * math.sin(0.05 * n) for n in range(40000)], dtype=np.float32)


def cut(signal):
    count = -(-len(signal) // EXAMPLE_LENGTH)
    padded = np.zeros(count * EXAMPLE_LENGTH, dtype=np.float32)
    padded[:len(signal)] = signal
    return padded.reshape(count, EXAMPLE_LENGTH)


def main():
    matrix = mel_matrix()
    bands = []
    for band in range(MEL_BANDS):
        nonzero = np.nonzero(matrix[:, band])[0]
        first, last = int(nonzero[0]), int(nonzero[-1])
        assert np.all(matrix[first:last + 1, band] > 0), "nonzero run is not contiguous"
        bands.append({"first_bin": first, "weights": [float(f"{w:.9g}") for w in matrix[first:last + 1, band]]})
    logmel = {name: [[float(f"{v:.6f}") for v in row] for row in log_mel(signal, matrix)]
              for name, signal in (("chirp", chirp()), ("noise", noise()))}
    examples = cut(long_signal())
    cutting = {
        "signal_length": 40000,
        "example_count": int(examples.shape[0]),
        "sums": [float(f"{s:.9g}") for s in examples.astype(np.float64).sum(axis=1)],
        "mean_logmel": [float(f"{log_mel(e, matrix).mean():.9g}") for e in examples],
    }
    golden = {
        "generator": "Tests/AudioFeaturesTests/Fixtures/generate_logmel_golden.py",
        "settings": {"sample_rate": SAMPLE_RATE, "example_length": EXAMPLE_LENGTH, "win_length": WINDOW_LENGTH,
                     "hop_length": HOP_LENGTH, "n_fft": FFT_LENGTH, "n_mels": MEL_BANDS,
                     "f_min": LOWEST_HZ, "f_max": HIGHEST_HZ, "log_offset": LOG_OFFSET},
        "mel_matrix": bands,
        "logmel": logmel,
        "cutting": cutting,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logmel_golden.json")
    with open(path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
