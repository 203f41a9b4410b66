#!/usr/bin/env python3
"""Writes a padded variant of FSDD for the speech-windowing experiments (issue 14).

Every clip of FSDD_ROOT/recordings is placed at a random offset in 1-3 s (uniform) of white Gaussian
noise, at a signal-to-noise ratio drawn uniformly from 10-20 dB (the clip's mean power over the noise's),
and written under the same name to OUT/recordings as 16-bit WAV at the clip's own rate (8 kHz). This
mimics corpora whose clips hold a short word somewhere in a longer noisy recording (AudioMNIST-like
recordings of 0.7-3.5 s). Seeded: the same seed writes the same files.

    scripts/make-padded-fsdd.py ../shared/data/fsdd /tmp/fsdd-padded [--seed 0]
"""
import argparse
import pathlib

import numpy as np
from scipy.io import wavfile


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fsdd_root", type=pathlib.Path)
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    generator = np.random.default_rng(arguments.seed)
    source = arguments.fsdd_root / "recordings"
    target = arguments.out / "recordings"
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.wav")):
        rate, clip = wavfile.read(path)
        clip = clip.astype(np.float64) / 32768.0 if clip.dtype == np.int16 else clip.astype(np.float64)
        if clip.ndim > 1:
            clip = clip.mean(axis=1)
        length = max(int(generator.uniform(1.0, 3.0) * rate), len(clip))
        offset = int(generator.integers(0, length - len(clip) + 1))
        snr = generator.uniform(10.0, 20.0)
        power = max(np.mean(clip ** 2), 1e-12)
        noise = generator.normal(0.0, np.sqrt(power / 10 ** (snr / 10)), length)
        noise[offset:offset + len(clip)] += clip
        peak = np.max(np.abs(noise))
        if peak > 0.999:
            noise *= 0.999 / peak
        wavfile.write(target / path.name, rate, np.round(noise * 32767).astype(np.int16))
    print(f"{len(list(target.glob('*.wav')))} clips in {target}")


if __name__ == "__main__":
    main()
