#!/usr/bin/env python3
"""Writes golden.json: forward values of the `Tensors` ops computed by an independent NumPy/SciPy reference.

Run from the package root (numpy ≥ 2 and scipy; no PyTorch needed):

    python3 Tests/TensorsTests/Fixtures/generate_golden.py

It rewrites Tests/TensorsTests/Fixtures/golden.json; the output is deterministic (fixed seed), so a rerun
with the same numpy/scipy leaves the file unchanged. GoldenTests.swift reads the file and checks each case.

How the references are made
- Inputs are drawn from `numpy.random.default_rng(SEED)` and rounded to float32 first; every reference is
  then computed in float64 from exactly those float32 values and rounded to float32 once at the end, so
  the only error the Swift side is measured against is its own Float32 arithmetic.
- The references follow PyTorch's documented semantics and are written without looking at the Swift
  kernels: convolution and pooling by explicit loops over output positions (no im2col), GELU with
  `scipy.special.erf`, log-sum-exp / softmax with `scipy.special`, batch norm in training mode with the
  biased variance, `avg_pool2d` with `count_include_pad=True` unless a case says otherwise, `max_pool2d`
  padding with −∞, `var` with ddof 1 by default, `gather` as `take_along_axis`.

File layout (one case per line, so diffs stay readable):

    {"generator": …, "seed": …, "numpy": …, "scipy": …,
     "cases": [{"name": "conv2d_groups", "op": "conv2d",
                "inputs":   [{"name": "x", "shape": [2, 4, 5, 5], "values": [flat row-major float32]}, …],
                "parameters": {"stride": [1, 2], "groups": 2, …},
                "expected": [{"name": "output", "shape": […], "values": […]}]}, …]}

`op` selects the Swift function, `parameters` use the Swift argument labels, and a case may expect
several outputs (batch norm: output, mean, variance; max: values, indices). Every number is written as
the shortest decimal that reads back as the same float32.
"""

import json
import math
import pathlib

import numpy as np
import scipy
import scipy.special

SEED = 20_240_611
OUTPUT = pathlib.Path(__file__).with_name("golden.json")
rng = np.random.default_rng(SEED)
cases = []


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------

def f32(array):
    """Rounds to float32 (the values the Swift side will see)."""
    return np.asarray(array, dtype=np.float32)


def randn(*shape, scale=1.0, shift=0.0):
    return f32(rng.standard_normal(shape) * scale + shift)


def uniform(low, high, *shape):
    return f32(rng.uniform(low, high, shape))


def quantized(*shape, step=0.125, limit=2.0):
    """Multiples of `step` in [−limit, limit]: exact in float32, short in the file."""
    count = int(limit / step)
    return f32(rng.integers(-count, count + 1, shape) * step)


def encode(name, array):
    array = np.asarray(array)
    flat = array.astype(np.float32).reshape(-1)
    assert np.all(np.isfinite(flat)), f"{name}: non-finite value"
    # str(np.float32) is the shortest decimal that round-trips to the same float32.
    return {"name": name, "shape": list(array.shape), "values": [float(str(v)) for v in flat]}


def add(name, op, inputs, expected, **parameters):
    """Records one case. `inputs` and `expected` map names to arrays (inputs already float32)."""
    assert all(case["name"] != name for case in cases), f"duplicate case {name}"
    for input_name, array in inputs.items():
        assert np.asarray(array).dtype == np.float32, f"{name}: input {input_name} is not float32"
    # No tautologies: an output equal to a same-shaped input would pass even if the op did nothing.
    for output_name, output in expected.items():
        for input_name, array in inputs.items():
            if np.shape(output) == np.shape(array):
                assert not np.allclose(output, array, rtol=1e-3, atol=1e-3), \
                    f"{name}: output {output_name} equals input {input_name}"
    cases.append({
        "name": name,
        "op": op,
        "inputs": [encode(k, v) for k, v in inputs.items()],
        "parameters": parameters,
        "expected": [encode(k, v) for k, v in expected.items()],
    })


def d(array):
    """float64 view for the reference arithmetic."""
    return np.asarray(array, dtype=np.float64)


# ---------------------------------------------------------------------------------------------------------
# Independent references (PyTorch semantics)
# ---------------------------------------------------------------------------------------------------------

def conv2d(x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """torch.nn.functional.conv2d by loops over output positions: y[n,o,i,j] = b[o] + Σ_{c,k,l}
    w[o,c,k,l]·xpad[n, g·Cg + c, i·sh + k·dh, j·sw + l·dw], g = o ÷ (O/groups)."""
    x, weight = d(x), d(weight)
    n, channels, height, width = x.shape
    outputs, group_channels, kh, kw = weight.shape
    assert channels == group_channels * groups and outputs % groups == 0
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (height + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, outputs, oh, ow))
    per_group = outputs // groups
    for o in range(outputs):
        g = o // per_group
        source = padded[:, g * group_channels:(g + 1) * group_channels]
        for i in range(oh):
            for j in range(ow):
                window = source[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                y[:, o, i, j] = np.einsum("nckl,ckl->n", window, weight[o])
        if bias is not None:
            y[:, o] += d(bias)[o]
    return y


def pool_windows(x, kernel, stride, padding, fill):
    """Yields (i, j, window[N, C, kh, kw]) over the output positions, the input padded with `fill`."""
    x = d(x)
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    oh = (x.shape[2] + 2 * ph - kh) // sh + 1
    ow = (x.shape[3] + 2 * pw - kw) // sw + 1
    for i in range(oh):
        for j in range(ow):
            yield i, j, oh, ow, padded[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]


def max_pool2d(x, kernel, stride=None, padding=(0, 0)):
    """torch max_pool2d (ceil_mode=False): padding is −∞, so it never wins."""
    stride = stride or kernel
    y = None
    for i, j, oh, ow, window in pool_windows(x, kernel, stride, padding, -np.inf):
        if y is None:
            y = np.zeros(x.shape[:2] + (oh, ow))
        y[:, :, i, j] = window.max(axis=(2, 3))
    return y


def avg_pool2d(x, kernel, stride=None, padding=(0, 0), count_include_pad=True):
    """torch avg_pool2d (ceil_mode=False): divisor kh·kw with count_include_pad, else the count of
    real (non-padding) inputs in the window."""
    stride = stride or kernel
    inside = np.ones((1, 1) + x.shape[2:])
    y = None
    windows = zip(pool_windows(x, kernel, stride, padding, 0.0), pool_windows(inside, kernel, stride, padding, 0.0))
    for (i, j, oh, ow, window), (_, _, _, _, mask) in windows:
        if y is None:
            y = np.zeros(x.shape[:2] + (oh, ow))
        divisor = kernel[0] * kernel[1] if count_include_pad else mask.sum()
        y[:, :, i, j] = window.sum(axis=(2, 3)) / divisor
    return y


def batch_norm_training(x, scale, offset, eps):
    """torch batch_norm(training=True): per-channel statistics over N and the spatial axes, biased variance."""
    x = d(x)
    axes = (0,) + tuple(range(2, x.ndim))
    mean = x.mean(axis=axes)
    variance = ((x - np.expand_dims(mean, axes)) ** 2).mean(axis=axes)
    y = (x - np.expand_dims(mean, axes)) / np.sqrt(np.expand_dims(variance, axes) + eps)
    if scale is not None:
        y = y * np.expand_dims(d(scale), axes) + np.expand_dims(d(offset), axes)
    return y, mean, variance


def layer_norm(x, normalized_axis_count, scale, offset, eps):
    """torch layer_norm over the trailing axes, biased variance."""
    x = d(x)
    axes = tuple(range(x.ndim - normalized_axis_count, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    variance = x.var(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(variance + eps)
    if scale is not None:
        y = y * d(scale) + d(offset)
    return y


def gelu_erf(x):
    x = d(x)
    return 0.5 * x * (1.0 + scipy.special.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    x = d(x)
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


# ---------------------------------------------------------------------------------------------------------
# Element-wise functions
# ---------------------------------------------------------------------------------------------------------

x = randn(3, 4)
add("exp", "exp", {"x": x}, {"output": np.exp(d(x))})
x = uniform(0.05, 6.0, 3, 4)
add("log", "log", {"x": x}, {"output": np.log(d(x))})
x = uniform(0.0, 9.0, 3, 4)
add("square_root", "squareRoot", {"x": x}, {"output": np.sqrt(d(x))})
x = randn(3, 4)
add("abs", "abs", {"x": x}, {"output": np.abs(d(x))})
add("squared", "squared", {"x": x}, {"output": d(x) ** 2})
add("relu", "relu", {"x": x}, {"output": np.maximum(d(x), 0.0)})
x = randn(3, 4, scale=2)
add("tanh", "tanh", {"x": x}, {"output": np.tanh(d(x))})
x = uniform(0.1, 4.0, 3, 4)
add("pow_fractional", "pow", {"x": x}, {"output": d(x) ** 2.5}, exponent=2.5)
x = randn(3, 4)
add("pow_integer_negative_base", "pow", {"x": x}, {"output": d(x) ** 3}, exponent=3.0)
x = randn(3, 4, scale=3)
add("sigmoid", "sigmoid", {"x": x}, {"output": scipy.special.expit(d(x))})
# Overflow: a naive e^x/(1 + e^x) is ∞/∞ = NaN for large x; 1/(1 + e^−x) is fine either way here.
x = f32([[-1000, -100, -88, -30, -1e-3, 0], [1e-3, 30, 88, 89, 100, 1000]])
add("sigmoid_large_magnitudes", "sigmoid", {"x": x}, {"output": scipy.special.expit(d(x))})
x = np.concatenate([randn(16, scale=2), f32([-9, -5.5, 5.5, 9])]).reshape(4, 5)
add("gelu_erf", "gelu", {"x": x}, {"output": gelu_erf(x)}, approximation="none")
add("gelu_tanh", "gelu", {"x": x}, {"output": gelu_tanh(x)}, approximation="tanh")
x = randn(3, 5)
add("clamp", "clamped", {"x": x}, {"output": np.clip(d(x), -0.5, 0.8)}, lower=-0.5, upper=0.8)
add("clamp_upper_only", "clamped", {"x": x}, {"output": np.minimum(d(x), 0.3)}, upper=0.3)

# ---------------------------------------------------------------------------------------------------------
# Broadcasting arithmetic
# ---------------------------------------------------------------------------------------------------------

a, b = randn(2, 1, 4), randn(3, 1)
add("add_broadcast", "add", {"a": a, "b": b}, {"output": d(a) + d(b)})
add("subtract_broadcast", "subtract", {"a": b, "b": a}, {"output": d(b) - d(a)})
a, b = randn(2, 3, 4), randn(4)
add("multiply_broadcast", "multiply", {"a": a, "b": b}, {"output": d(a) * d(b)})
a = randn(2, 1, 4)
b = f32(uniform(0.5, 2.0, 3, 1) * rng.choice([-1.0, 1.0], (3, 1)))
add("divide_broadcast", "divide", {"a": a, "b": b}, {"output": d(a) / d(b)})
x = randn(2, 3)
add("scalar_arithmetic", "scalarArithmetic", {"x": x}, {"output": (1.5 - d(x) * 2.5) / 4.0})

# ---------------------------------------------------------------------------------------------------------
# Reductions, softmax
# ---------------------------------------------------------------------------------------------------------

x = randn(2, 3, 4)
add("sum_axes_0_2", "sum", {"x": x}, {"output": d(x).sum(axis=(0, 2))}, axes=[0, 2], keepingDimensions=False)
x = randn(2, 3, 4, 5)
add("sum_axes_keeping_dimensions", "sum", {"x": x}, {"output": d(x).sum(axis=(1, 3), keepdims=True)},
    axes=[1, -1], keepingDimensions=True)
x = randn(3, 7)
add("sum_all", "sumAll", {"x": x}, {"output": d(x).sum()})
x = randn(2, 3, 4, shift=0.5)
add("mean_axes_1_2", "mean", {"x": x}, {"output": d(x).mean(axis=(1, 2))}, axes=[1, 2], keepingDimensions=False)
add("mean_all", "meanAll", {"x": x}, {"output": d(x).mean()})
x = randn(3, 5, scale=2, shift=1)
add("variance_unbiased", "variance", {"x": x}, {"output": d(x).var(axis=1, ddof=1)}, axes=[1])
x = randn(2, 3, 4, scale=2, shift=1)
add("variance_population_axes_0_2", "variance", {"x": x}, {"output": d(x).var(axis=(0, 2), ddof=0, keepdims=True)},
    axes=[0, 2], correction=0, keepingDimensions=True)
x = quantized(3, 4, 5, step=0.25, limit=1.0)   # coarse values: ties along the axis, first index wins
add("max_axis_1_with_ties", "max", {"x": x},
    {"values": d(x).max(axis=1), "indices": np.argmax(d(x), axis=1).astype(np.float32)}, axis=1)
x = randn(2, 5, 3, scale=2)
add("log_sum_exp_axis_1", "logSumExp", {"x": x}, {"output": scipy.special.logsumexp(d(x), axis=1)},
    axis=1, keepingDimensions=False)
x = f32(randn(3, 5, scale=10) + f32([[500], [-500], [0]]))
add("log_sum_exp_large", "logSumExp", {"x": x},
    {"output": scipy.special.logsumexp(d(x), axis=-1, keepdims=True)}, axis=-1, keepingDimensions=True)
x = randn(2, 4, 3, scale=2)
add("softmax_axis_1", "softmax", {"x": x}, {"output": scipy.special.softmax(d(x), axis=1)}, axis=1)
add("log_softmax_axis_1", "logSoftmax", {"x": x}, {"output": scipy.special.log_softmax(d(x), axis=1)}, axis=1)
x = f32(randn(3, 5, scale=20) + f32([[800], [-800], [0]]))
add("softmax_last_axis_large", "softmax", {"x": x}, {"output": scipy.special.softmax(d(x), axis=-1)}, axis=-1)
add("log_softmax_last_axis_large", "logSoftmax", {"x": x}, {"output": scipy.special.log_softmax(d(x), axis=-1)},
    axis=-1)

# ---------------------------------------------------------------------------------------------------------
# Matrix products (np.matmul broadcasts batch axes exactly as the Swift doc promises)
# ---------------------------------------------------------------------------------------------------------

def matmul_case(name, a, b, transpose_a=False, transpose_b=False):
    left = np.swapaxes(d(a), -1, -2) if transpose_a else d(a)
    right = np.swapaxes(d(b), -1, -2) if transpose_b else d(b)
    add(name, "matmul", {"a": a, "b": b}, {"output": left @ right}, transposeA=transpose_a, transposeB=transpose_b)


matmul_case("matmul_2d", randn(3, 4), randn(4, 5))
matmul_case("matmul_broadcast_batch", randn(2, 1, 3, 4), randn(3, 4, 5))
matmul_case("matmul_batched_transpose_both", randn(2, 4, 3), randn(2, 5, 4), transpose_a=True, transpose_b=True)
matmul_case("matmul_matrix_transposed_times_batch", randn(4, 3), randn(2, 4, 5), transpose_a=True)
matmul_case("matmul_batch_times_matrix", randn(2, 3, 4), randn(4, 5))
matmul_case("matmul_batch_times_matrix_transposed", randn(2, 3, 4), randn(5, 4), transpose_b=True)
matmul_case("matmul_batch_transposed_times_matrix", randn(2, 4, 3), randn(4, 5), transpose_a=True)

# ---------------------------------------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------------------------------------

def conv_case(name, x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    inputs = {"x": x, "weight": weight} | ({"bias": bias} if bias is not None else {})
    add(name, "conv2d", inputs, {"output": conv2d(x, weight, bias, stride, padding, dilation, groups)},
        stride=list(stride), padding=list(padding), dilation=list(dilation), groups=groups)


conv_case("conv2d_basic", randn(2, 3, 5, 6), randn(4, 3, 3, 3, scale=0.5), randn(4))
conv_case("conv2d_stride_padding_dilation", randn(2, 2, 7, 6), randn(3, 2, 3, 2, scale=0.5), randn(3),
          stride=(2, 1), padding=(1, 2), dilation=(2, 1))
conv_case("conv2d_groups", randn(2, 4, 5, 5), randn(6, 2, 3, 3, scale=0.5), stride=(1, 2), padding=(1, 1), groups=2)
conv_case("conv2d_depthwise_single_image", randn(1, 3, 6, 5), randn(6, 1, 3, 3, scale=0.5), randn(6),
          padding=(1, 1), groups=3)
conv_case("conv2d_pointwise_single_image", randn(1, 4, 3, 5), randn(2, 4, 1, 1, scale=0.5))
conv_case("conv2d_pointwise_batch", randn(3, 4, 3, 5), randn(5, 4, 1, 1, scale=0.5), randn(5))
# 27×27 = 729 output positions per image: more than one image block per GEMM but not all three at once.
conv_case("conv2d_several_image_blocks", quantized(3, 1, 29, 29), quantized(2, 1, 3, 3), f32([0.5, -0.25]))

# ---------------------------------------------------------------------------------------------------------
# Pooling (inputs mostly negative, so zero padding instead of −∞ would show in max pooling)
# ---------------------------------------------------------------------------------------------------------

x = randn(2, 2, 7, 6, shift=-2.5)
add("max_pool_3x3_stride_2_padding_1", "maxPool2d", {"x": x},
    {"output": max_pool2d(x, (3, 3), (2, 2), (1, 1))}, kernelSize=[3, 3], stride=[2, 2], padding=[1, 1])
add("max_pool_rectangular_padded", "maxPool2d", {"x": x},
    {"output": max_pool2d(x, (2, 3), (1, 2), (1, 1))}, kernelSize=[2, 3], stride=[1, 2], padding=[1, 1])
x = randn(1, 3, 6, 4)
add("max_pool_default_stride", "maxPool2d", {"x": x}, {"output": max_pool2d(x, (2, 2))}, kernelSize=[2, 2])
x = randn(2, 2, 7, 6, shift=1.0)
add("avg_pool_counting_padding", "avgPool2d", {"x": x},
    {"output": avg_pool2d(x, (3, 3), (2, 2), (1, 1), count_include_pad=True)},
    kernelSize=[3, 3], stride=[2, 2], padding=[1, 1])
add("avg_pool_excluding_padding", "avgPool2d", {"x": x},
    {"output": avg_pool2d(x, (3, 3), (2, 2), (1, 1), count_include_pad=False)},
    kernelSize=[3, 3], stride=[2, 2], padding=[1, 1], countIncludingPadding=False)
x = randn(1, 3, 6, 4)
add("avg_pool_default_stride", "avgPool2d", {"x": x}, {"output": avg_pool2d(x, (2, 2))}, kernelSize=[2, 2])
x = randn(2, 3, 4, 5)
add("global_average_pool", "globalAveragePool2d", {"x": x}, {"output": d(x).mean(axis=(2, 3))})

# ---------------------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------------------

x = randn(3, 4, 2, 3, scale=2, shift=0.5)
scale, offset = randn(4, shift=1), randn(4)
y, mean, variance = batch_norm_training(x, scale, offset, 1e-5)
add("batch_norm_4d", "batchNorm", {"x": x, "scale": scale, "offset": offset},
    {"output": y, "mean": mean, "variance": variance}, epsilon=1e-5)
x = randn(5, 3, scale=0.3, shift=1)
y, mean, variance = batch_norm_training(x, None, None, 0.1)
add("batch_norm_2d_no_affine_large_epsilon", "batchNorm", {"x": x},
    {"output": y, "mean": mean, "variance": variance}, epsilon=0.1)
x = randn(2, 3, 6, scale=2)
scale, offset = randn(6, shift=1), randn(6)
add("layer_norm_last_axis", "layerNorm", {"x": x, "scale": scale, "offset": offset},
    {"output": layer_norm(x, 1, scale, offset, 1e-5)}, normalizedAxisCount=1, epsilon=1e-5)
x = randn(2, 3, 4)
scale, offset = randn(3, 4, shift=1), randn(3, 4)
add("layer_norm_two_axes", "layerNorm", {"x": x, "scale": scale, "offset": offset},
    {"output": layer_norm(x, 2, scale, offset, 1e-5)}, normalizedAxisCount=2, epsilon=1e-5)
# A large common offset: E[x²] − E[x]² in Float32 would lose the variance; two passes keep it.
x = randn(4, 8, shift=100)
add("layer_norm_large_mean_no_affine", "layerNorm", {"x": x}, {"output": layer_norm(x, 1, None, None, 1e-5)},
    normalizedAxisCount=1, epsilon=1e-5)

# ---------------------------------------------------------------------------------------------------------
# Shape operations
# ---------------------------------------------------------------------------------------------------------

x = randn(2, 3, 4, 5)
add("permute", "permuted", {"x": x}, {"output": np.transpose(d(x), (2, 0, 3, 1))}, permutation=[2, 0, 3, 1])
x = randn(2, 3, 4)
add("transpose_last_two", "transposed", {"x": x}, {"output": np.swapaxes(d(x), -1, -2)})
add("transpose_axes_0_2", "transposed", {"x": x}, {"output": np.swapaxes(d(x), 0, 2)}, axes=[0, 2])
add("pad", "padded", {"x": x}, {"output": np.pad(d(x), ((1, 0), (0, 2), (2, 1)), constant_values=-1.5)},
    widths=[[1, 0], [0, 2], [2, 1]], value=-1.5)
x = randn(3, 8, 2)
add("slice_with_step", "slice", {"x": x}, {"output": d(x)[:, 1:7:2]}, axis=1, start=1, end=7, step=2)
x = randn(2, 3, 10)
add("slice_with_uneven_step_last_axis", "slice", {"x": x}, {"output": d(x)[..., 2:9:3]}, axis=-1, start=2, end=9,
    step=3)
parts = {"x0": randn(2, 1, 3), "x1": randn(2, 3, 3), "x2": randn(2, 2, 3)}
add("concatenate_axis_1", "concatenate", parts, {"output": np.concatenate([d(p) for p in parts.values()], axis=1)},
    axis=1)
parts = {"x0": randn(2, 3), "x1": randn(2, 3), "x2": randn(2, 3)}
add("stack_last_axis", "stack", parts, {"output": np.stack([d(p) for p in parts.values()], axis=2)}, axis=2)
x = randn(3, 1)
add("broadcast_to", "broadcast", {"x": x}, {"output": np.broadcast_to(d(x), (2, 3, 4))}, shape=[2, 3, 4])

# ---------------------------------------------------------------------------------------------------------
# Indexing
# ---------------------------------------------------------------------------------------------------------

x = randn(2, 5, 3)
indices = rng.integers(0, 5, (2, 4, 3))
add("gather_axis_1", "gather", {"x": x}, {"output": np.take_along_axis(d(x), indices, axis=1)},
    axis=1, indices=indices.reshape(-1).tolist())
x = f32(scipy.special.log_softmax(d(randn(4, 6)), axis=1))
targets = rng.integers(0, 6, (4, 1))
add("gather_one_target_per_row", "gather", {"x": x}, {"output": np.take_along_axis(d(x), targets, axis=1)},
    axis=-1, indices=targets.reshape(-1).tolist())
x = randn(2, 5, 3)
add("index_select_axis_1_repeated", "indexSelect", {"x": x}, {"output": np.take(d(x), [4, 0, 4, 2], axis=1)},
    axis=1, indices=[4, 0, 4, 2])
add("index_select_axis_0", "indexSelect", {"x": x}, {"output": np.take(d(x), [1, 1, 0], axis=0)},
    axis=0, indices=[1, 1, 0])
condition = f32(rng.choice([0.0, 1.0, -0.5], (2, 1, 4)))   # any non-zero value selects `a`
a, b = randn(3, 1), randn(2, 3, 4)
add("where_broadcast", "where", {"condition": condition, "a": a, "b": b},
    {"output": np.where(d(condition) != 0, d(a), d(b))})

# ---------------------------------------------------------------------------------------------------------

document = {
    "generator": "Tests/TensorsTests/Fixtures/generate_golden.py",
    "seed": SEED,
    "numpy": np.__version__,
    "scipy": scipy.__version__,
}
header = json.dumps(document, separators=(", ", ": "))[:-1]
lines = [json.dumps(case, separators=(",", ":"), allow_nan=False) for case in cases]
OUTPUT.write_text(header + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n")
print(f"wrote {len(cases)} cases, {OUTPUT.stat().st_size} bytes to {OUTPUT}")
