#!/usr/bin/env python3
"""Reference values for the polyphase resampler: SciPy's `resample_poly` (Kaiser window, beta 5).

    python3 Tests/AudioFeaturesTests/Fixtures/generate_resample_golden.py

The input is a formula the Swift test rebuilds: x[n] = 0.5 sin(2π·0.01·n) + 0.3 sin(2π·0.13·n + 1) for
n in 0..<1000 (float32). Writes resample_golden.json with the float64 outputs for up/down = 2/1 and 1/3.
"""
import json
import pathlib

import numpy as np
from scipy.signal import resample_poly

n = np.arange(1000)
x = (0.5 * np.sin(2 * np.pi * 0.01 * n) + 0.3 * np.sin(2 * np.pi * 0.13 * n + 1)).astype(np.float32)
cases = {f"{up}/{down}": resample_poly(x.astype(np.float64), up, down).tolist() for up, down in [(2, 1), (1, 3)]}
path = pathlib.Path(__file__).with_name("resample_golden.json")
path.write_text(json.dumps(cases))
print(f"wrote {path}: " + ", ".join(f"{k}: {len(v)}" for k, v in cases.items()))
