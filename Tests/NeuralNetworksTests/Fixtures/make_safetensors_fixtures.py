#!/usr/bin/env python3
"""Writes the safetensors fixtures that SafeTensorsTests.swift reads, with Python's `safetensors` library.

Run from the package root (numpy and safetensors ≥ 0.6; no PyTorch needed):

    python3 Tests/NeuralNetworksTests/Fixtures/make_safetensors_fixtures.py

It rewrites, in this folder,
- `python_dtypes.safetensors`: one tensor per dtype the Swift reader accepts (F32, F16, BF16, F64, I64,
  I32), holding the values below, plus a one-key `__metadata__` map. Every value is exactly representable in
  its dtype (the script asserts it), so the Swift test compares with these numbers exactly.
- `python_state_dict.safetensors`: the `state_dict` PyTorch gives for
  `nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))` (names, shapes, and an int64 scalar
  `1.num_batches_tracked`), with hand-picked values, so the test can load it into the Swift
  `Sequential([Linear, BatchNorm2d])` 1:1.

The output is deterministic: a rerun leaves both files byte-identical. numpy has no bfloat16, so BF16
goes through `safetensors.serialize` with a `TensorSpec` over the upper 16 bits of the float32 values
(exact for these values); the library still lays out the header, offsets and padding.
"""

import math
import pathlib

import numpy as np
from safetensors import TensorSpec, serialize
from safetensors.numpy import save_file

HERE = pathlib.Path(__file__).resolve().parent

# The values SafeTensorsTests.swift expects (keep the two in step).
F32 = [[1.0, -2.5, 0.375], [2.0 ** 127, -0.0, 2.0 ** -140]]     # 2^-140: a float32 subnormal
F16 = [[1.5, -2.25, 65504.0, 2.0 ** -24], [0.0, math.inf, -math.inf, math.nan]]  # 2^-24: smallest subnormal
BF16 = [1.0, -3.140625, 2.0 ** 100, 2.0 ** -130, -0.0, math.inf]           # 2^-130: a subnormal
F64 = [0.25, -1.0e10]
I64 = [-3, 0, 5, 2 ** 40]
I32 = [[7], [-8]]
BATCHES_TRACKED = 12
# One key only: the library writes metadata from a hash map, so several keys would come out in a random order.
METADATA = {"class_names": '["zero", "één", "\\"quoted\\""]'}  # quotes and UTF-8 inside the JSON header


def exact(values, dtype):
    """`values` as a numpy array of `dtype`, checking that nothing was rounded."""
    array = np.array(values, dtype=dtype)
    back = array.astype(np.float64)
    wanted = np.array(values, dtype=np.float64)
    assert np.array_equal(back, wanted, equal_nan=True), f"{values} not exact in {dtype}"
    return array


def bfloat16_bits(values):
    """The bfloat16 bit patterns of `values`: the upper half of their float32 bits (exact values only)."""
    bits = exact(values, np.float32).view(np.uint32)
    assert np.all(bits & 0xFFFF == 0), f"{values} not exact in bfloat16"
    return (bits >> 16).astype("<u2")


def spec(array, dtype):
    """A TensorSpec over `array`'s little-endian bytes, with a safetensors dtype name."""
    array = np.ascontiguousarray(array)
    return TensorSpec(dtype=dtype, shape=list(array.shape), data_ptr=array.ctypes.data, data_len=array.nbytes)


def write_dtypes():
    arrays = {
        "f32": exact(F32, "<f4"),
        "f16": exact(F16, "<f2"),
        "f64": exact(F64, "<f8"),
        "i64": exact(I64, "<i8"),
        "i32": exact(I32, "<i4"),
    }
    bf16 = bfloat16_bits(BF16).reshape(2, 3)
    specs = {name: spec(array, array.dtype.name) for name, array in arrays.items()}
    specs["bf16"] = spec(bf16, "bfloat16")
    data = bytes(serialize(specs, metadata=METADATA))   # the arrays stay alive until here
    (HERE / "python_dtypes.safetensors").write_bytes(data)


def write_state_dict():
    state = {
        "0.weight": exact([[0.5, -1.0, 2.0], [0.25, 0.0, -0.75]], "<f4"),
        "0.bias": exact([0.125, -0.5], "<f4"),
        "1.weight": exact([1.5, 0.5], "<f4"),
        "1.bias": exact([-0.25, 0.75], "<f4"),
        "1.running_mean": exact([0.0625, -2.0], "<f4"),
        "1.running_var": exact([4.0, 0.5], "<f4"),
        "1.num_batches_tracked": np.array(BATCHES_TRACKED, dtype="<i8"),  # shape (), as PyTorch
    }
    save_file(state, HERE / "python_state_dict.safetensors", metadata={"architecture": "sequential"})


if __name__ == "__main__":
    write_dtypes()
    write_state_dict()
