#!/usr/bin/env python3
"""Writes optimizers.json: PyTorch's own optimizer trajectories, clipped gradients and learning-rate schedules,
which OptimizerTests.swift replays against the Swift `SGD`, `Adam`, `AdamW`, `clipByGlobalNorm` and
`LearningRateSchedule`.

Run from the package root (PyTorch ≥ 2.6 on CPU; written with 2.15):

    python3 Tests/NeuralNetworksTests/Fixtures/make_optimizer_fixtures.py

It rewrites Tests/NeuralNetworksTests/Fixtures/optimizers.json; the output is deterministic (fixed seed, CPU,
float32), so a rerun with the same PyTorch leaves the file unchanged.

What is recorded
- `parameters`: two float32 tensors, `weight` [2, 3] and `bias` [3], the starting point of every trajectory.
- `gradientSequences`: two sequences of five gradients each. `dense` gives both parameters a gradient at
  every step, with magnitudes from 1e-3 to 10 so that Adam's `ε` and bias correction both matter. `gaps`
  gives `bias` no gradient at steps 2 and 3 (its key is absent, `.grad = None` in PyTorch), which checks
  that a parameter without a gradient is skipped and that its step count, hence its bias correction,
  does not advance.
- `optimizers`: for each configuration, the torch.optim class and its arguments (Swift argument names),
  the gradient sequence used, and both parameters after each of the five `optimizer.step()` calls.
  Every optimizer runs its single-tensor implementation (`foreach=False`, the CPU default) in float32,
  so the references carry PyTorch's own Float32 rounding.
- `clipping`: gradients before and after `torch.nn.utils.clip_grad_norm_(parameters, max_norm)` with
  the total norm it returns; a parameter whose gradient is absent has no key.
- `schedules`: the learning rate at steps 0, 1, … as seen by the optimizer (`param_groups[0]["lr"]`
  before each `scheduler.step()`): `torch.optim.lr_scheduler.StepLR` for `step`, `LambdaLR` with a
  constant 1 for `constant`, and for `cosineWithWarmup` `LambdaLR` with transformers'
  `get_cosine_with_min_lr_schedule_with_warmup` lambda (num_cycles 0.5), written out below because
  transformers is not installed, with its progress clamped to 1 so that the rate stays at the minimum
  past `totalSteps` (the documented Swift behaviour; transformers would climb back along the cosine).

Numbers are float32 values written in their shortest round-trip form (NumPy `str`; the script asserts the round trip), so the Swift side
reads back exactly the float32 PyTorch used. Layout, one case per line:

    {"generator": …, "torch": …,
     "parameters": {"weight": {"shape": [2, 3], "values": […]}, "bias": {…}},
     "gradientSequences": {"dense": [{"weight": […], "bias": […]}, …], "gaps": […]},
     "optimizers": [{"name": …, "optimizer": "SGD" | "Adam" | "AdamW", "gradients": "dense" | "gaps",
                     "learningRate": …, (momentum, dampening, weightDecay, nesterov, beta1, beta2,
                     epsilon, amsgrad as given to PyTorch), "trajectory": [{"weight": […], "bias": […]}, …]}],
     "clipping": [{"name": …, "maxNorm": …, "gradients": {…}, "totalNorm": …, "clipped": {…}}],
     "schedules": [{"name": …, "kind": "constant" | "step" | "cosineWithWarmup", (learningRate | initial,
                    stepSize, factor | peak, warmupSteps, totalSteps, minimum), "learningRates": […]}]}
"""

import json
import math
from pathlib import Path

import numpy as np
import torch

SEED = 20240611
OUTPUT = Path(__file__).resolve().parent / "optimizers.json"
STEPS = 5


def floats(tensor):
    """Flat row-major float32 values, each in its shortest round-trip decimal form."""
    values = tensor.detach().to(torch.float32).reshape(-1)
    shortest = [float(str(np.float32(x))) for x in values.tolist()]
    assert torch.equal(torch.tensor(shortest, dtype=torch.float32), values), "shortest form does not round-trip"
    return shortest


def f32(x):
    return float(str(np.float32(x)))


generator = torch.Generator().manual_seed(SEED)
INITIAL = {
    "weight": torch.randn(2, 3, generator=generator),
    "bias": torch.randn(3, generator=generator),
}

# Gradient magnitudes vary by step (×10, ×0.001, …) so that m and v differ from their first values.
SCALES = [1.0, 10.0, 0.001, 0.5, 2.0]
DENSE = [{name: torch.randn(t.shape, generator=generator) * scale for name, t in INITIAL.items()}
         for scale in SCALES]
GAPS = [{name: g for name, g in step.items() if not (name == "bias" and index in (1, 2))}
        for index, step in enumerate(DENSE)]
SEQUENCES = {"dense": DENSE, "gaps": GAPS}

OPTIMIZERS = [
    ("sgd_plain", "SGD", "dense", dict(learningRate=0.1)),
    ("sgd_weight_decay", "SGD", "dense", dict(learningRate=0.1, weightDecay=0.1)),
    ("sgd_momentum", "SGD", "dense", dict(learningRate=0.05, momentum=0.9)),
    ("sgd_momentum_dampening", "SGD", "dense", dict(learningRate=0.05, momentum=0.9, dampening=0.1)),
    ("sgd_nesterov_weight_decay", "SGD", "dense",
     dict(learningRate=0.05, momentum=0.9, weightDecay=0.01, nesterov=True)),
    ("sgd_momentum_gaps", "SGD", "gaps", dict(learningRate=0.05, momentum=0.9, dampening=0.1)),
    ("adam_default", "Adam", "dense", dict()),
    ("adam_betas_epsilon", "Adam", "dense", dict(learningRate=0.01, beta1=0.8, beta2=0.99, epsilon=1e-3)),
    ("adam_weight_decay", "Adam", "dense", dict(learningRate=0.01, weightDecay=0.1)),
    ("adam_amsgrad", "Adam", "dense", dict(learningRate=0.01, amsgrad=True)),
    ("adam_gaps", "Adam", "gaps", dict(learningRate=0.01)),
    ("adamw_default", "AdamW", "dense", dict(learningRate=0.01)),
    ("adamw_weight_decay", "AdamW", "dense", dict(learningRate=0.1, weightDecay=0.5)),
    ("adamw_amsgrad_gaps", "AdamW", "gaps", dict(learningRate=0.01, weightDecay=0.01, amsgrad=True)),
]


def make_optimizer(kind, parameters, c):
    if kind == "SGD":
        return torch.optim.SGD(parameters, lr=c["learningRate"], momentum=c.get("momentum", 0),
                               dampening=c.get("dampening", 0), weight_decay=c.get("weightDecay", 0),
                               nesterov=c.get("nesterov", False), foreach=False)
    cls = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[kind]
    defaults = dict(weight_decay=0.0 if kind == "Adam" else 1e-2)
    return cls(parameters, lr=c.get("learningRate", 1e-3),
               betas=(c.get("beta1", 0.9), c.get("beta2", 0.999)), eps=c.get("epsilon", 1e-8),
               weight_decay=c.get("weightDecay", defaults["weight_decay"]), amsgrad=c.get("amsgrad", False),
               foreach=False)


def optimizer_case(name, kind, sequence, config):
    parameters = {n: torch.nn.Parameter(t.clone()) for n, t in INITIAL.items()}
    optimizer = make_optimizer(kind, list(parameters.values()), config)
    trajectory = []
    for gradients in SEQUENCES[sequence]:
        for n, p in parameters.items():
            p.grad = gradients[n].clone() if n in gradients else None
        optimizer.step()
        trajectory.append({n: floats(p) for n, p in parameters.items()})
    assert all(p.dtype == torch.float32 for p in parameters.values())
    return {"name": name, "optimizer": kind, "gradients": sequence, **config, "trajectory": trajectory}


def clipping_case(name, max_norm, gradients):
    parameters = {n: torch.nn.Parameter(t.clone()) for n, t in INITIAL.items()}
    for n, p in parameters.items():
        p.grad = gradients[n].clone() if n in gradients else None
    total = torch.nn.utils.clip_grad_norm_(list(parameters.values()), max_norm)
    return {"name": name, "maxNorm": max_norm,
            "gradients": {n: floats(g) for n, g in gradients.items()},
            "totalNorm": f32(total.item()),
            "clipped": {n: floats(p.grad) for n, p in parameters.items() if p.grad is not None}}


def cosine_with_min_lr_lambda(warmup, total, min_rate):
    """transformers' `_get_cosine_schedule_with_warmup_lr_lambda` (num_cycles = 0.5) with `min_lr_rate`,
    progress clamped to 1."""
    def factor(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        progress = min(progress, 1.0)
        value = 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress))
        return value * (1 - min_rate) + min_rate
    return factor


def schedule_case(name, kind, config, steps):
    base = config.get("learningRate", config.get("initial", config.get("peak")))
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
    if kind == "step":
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config["stepSize"], gamma=config["factor"])
    elif kind == "constant":
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    else:
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_with_min_lr_lambda(
            config["warmupSteps"], config["totalSteps"], config["minimum"] / config["peak"]))
    rates = []
    for _ in range(steps):
        rates.append(f32(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    return {"name": name, "kind": kind, **config, "learningRates": rates}


def main():
    torch.manual_seed(SEED)
    big = {n: g * 3 for n, g in DENSE[1].items()}
    clipping = [
        clipping_case("clip_scales_down", 1.0, big),
        clipping_case("clip_leaves_small_norm", 100.0, DENSE[0]),
        clipping_case("clip_missing_gradient", 0.5, GAPS[1]),
        clipping_case("clip_zero_gradients", 1.0, {n: torch.zeros_like(t) for n, t in INITIAL.items()}),
    ]
    schedules = [
        schedule_case("constant", "constant", dict(learningRate=0.05), 6),
        schedule_case("step_lr_halving", "step", dict(initial=0.1, stepSize=5, factor=0.5), 20),
        schedule_case("step_lr_tenth", "step", dict(initial=1.0, stepSize=3, factor=0.1), 20),
        schedule_case("cosine_warmup_min", "cosineWithWarmup",
                      dict(peak=0.01, warmupSteps=5, totalSteps=20, minimum=1e-4), 24),
        schedule_case("cosine_no_warmup", "cosineWithWarmup",
                      dict(peak=0.1, warmupSteps=0, totalSteps=10, minimum=0.0), 13),
    ]
    document = {
        "generator": "Tests/NeuralNetworksTests/Fixtures/make_optimizer_fixtures.py",
        "torch": torch.__version__.split("+")[0],
        "seed": SEED,
        "parameters": {n: {"shape": list(t.shape), "values": floats(t)} for n, t in INITIAL.items()},
        "gradientSequences": {name: [{n: floats(g) for n, g in step.items()} for step in sequence]
                              for name, sequence in SEQUENCES.items()},
        "optimizers": [optimizer_case(*case) for case in OPTIMIZERS],
        "clipping": clipping,
        "schedules": schedules,
    }
    lines = ["{"]
    keys = list(document)
    for index, key in enumerate(keys):
        comma = "," if index < len(keys) - 1 else ""
        value = document[key]
        if isinstance(value, list):
            items = [json.dumps(item) for item in value]
            lines.append(f'  {json.dumps(key)}: [\n    ' + ",\n    ".join(items) + f"\n  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    OUTPUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
