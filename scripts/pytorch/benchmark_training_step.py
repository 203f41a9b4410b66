#!/usr/bin/env python3
"""PyTorch side of the speed comparison: training-step and inference throughput and peak memory per model.

For each model (cnn, resnet18, vit-tiny from scripts/pytorch/models.py; 1-channel 64×96 input, 10 classes):

- training: one step = forward in train mode, mean cross-entropy, backward, `torch.optim.Adam(lr=1e-3)`
  step, `zero_grad()`, at batch 32 on a fixed random batch; warm-up steps, then the median of the timed
  steps; samples/s = batch / median step time;
- inference: eval mode under `torch.no_grad()` at batch 256; warm-up, then the median; samples/s;
- peak memory: the resident-set high-water mark (`VmHWM` from /proc/self/status, `ru_maxrss` where that is
  missing) of a fresh Python process that ran only that model and phase, so figures do not mix; the RSS
  before the first step (torch, model, optimizer and data loaded) is reported beside it.

    python3 scripts/pytorch/benchmark_training_step.py                 # 2 threads, table
    python3 scripts/pytorch/benchmark_training_step.py --threads 1 --json
    python3 scripts/pytorch/benchmark_training_step.py --quick --models cnn

`--threads N` sets `torch.set_num_threads(N)` and OMP_NUM_THREADS/MKL_NUM_THREADS in each worker (default 2,
the machine's core count). On a busy 2-core machine two threads can be slower than one
(../shared/PLATFORM.md): compare with the Swift side run at the same time and the same thread count.
"""

import argparse
import json
import os
import pathlib
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
MODEL_NAMES = ("cnn", "resnet18", "vit-tiny")
INPUT_SHAPE = (1, 64, 96)
CLASSES = 10
TRAIN_BATCH = 32
INFER_BATCH = 256
FULL = dict(train_warmup=3, train_steps=10, infer_warmup=1, infer_steps=5)
QUICK = dict(train_warmup=1, train_steps=3, infer_warmup=1, infer_steps=2)


def memory_mb() -> dict:
    """Current and peak resident set size of this process, in MiB."""
    status = {}
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                status[key] = int(value.split()[0]) / 1024         # kB → MiB
    except OSError:
        pass
    peak = status.get("VmHWM", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {"rss_mb": status.get("VmRSS"), "peak_rss_mb": peak}


def worker(model_name: str, phase: str, threads: int, warmup: int, steps: int, precision: str = "fp32") -> dict:
    """Runs one model and one phase in this (fresh) process and returns the figures; `precision` bf16 runs
    the forward pass (and the loss) under `torch.autocast("cpu", dtype=torch.bfloat16)`, the usual mixed
    precision: fp32 weights and optimizer, convolutions and products in bf16 through oneDNN."""
    import contextlib

    import torch
    from torch import nn

    sys.path.insert(0, str(HERE))
    import models

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = models.make_model(model_name, CLASSES)
    batch = TRAIN_BATCH if phase == "train" else INFER_BATCH
    x = torch.randn((batch, *INPUT_SHAPE))
    labels = torch.randint(0, CLASSES, (batch,))

    def autocast():
        if precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    if phase == "train":
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

        def run():
            with autocast():
                loss = nn.functional.cross_entropy(model(x), labels)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            return loss
    else:
        model.eval()

        def run():
            with torch.no_grad(), autocast():
                return model(x)

    before = memory_mb()["rss_mb"]
    times = []
    for index in range(warmup + steps):
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
        if index >= warmup:
            times.append(elapsed)
    median = statistics.median(times)
    return {"model": model_name, "phase": phase, "precision": precision, "torch": torch.__version__, "threads": threads,
            "torch_threads": torch.get_num_threads(),
            "batch": batch, "warmup": warmup, "steps": steps, "median_s": median, "min_s": min(times),
            "max_s": max(times), "samples_per_s": batch / median, "rss_before_mb": before,
            "peak_rss_mb": memory_mb()["peak_rss_mb"], "parameters": models.parameter_count(model)}


def run_worker(model_name: str, phase: str, threads: int, warmup: int, steps: int, precision: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    command = [sys.executable, __file__, "--worker", model_name, "--phase", phase, "--threads", str(threads),
               "--warmup", str(warmup), "--steps", str(steps), "--precision", precision]
    load = os.getloadavg()[0]
    finished = subprocess.run(command, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        sys.stderr.write(finished.stderr)
        raise SystemExit(f"worker {model_name}/{phase}/{precision} failed with status {finished.returncode}")
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    result["load_average_before"] = load
    return result


def environment() -> dict:
    import torch
    cpu = next((line.split(":", 1)[1].strip() for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if pathlib.Path("/proc/cpuinfo").exists() else ""
    return {"torch": torch.__version__, "python": platform.python_version(), "cpu": cpu,
            "cpu_count": os.cpu_count(), "mkldnn": torch.backends.mkldnn.is_available()}


def print_table(results: list, threads: int) -> None:
    print(f"PyTorch {results[0].get('torch', '')}, {threads} thread(s); input 1×64×96, 10 classes; training: batch "
          f"{TRAIN_BATCH}, Adam(lr=1e-3), median step; inference: batch {INFER_BATCH}, eval, no_grad; "
          "memory: peak RSS of the worker process (+ growth over its RSS before the first step)")
    header = (f"{'model':14s} | {'train samples/s':>15s} {'step ms':>8s} {'peak MiB (+growth)':>19s} | "
              f"{'infer samples/s':>15s} {'batch ms':>8s} {'peak MiB (+growth)':>19s}")
    print(header)
    print("-" * len(header))

    def cells(r):
        if r is None:
            return f"{'-':>15s} {'-':>8s} {'-':>19s}"
        memory = f"{r['peak_rss_mb']:.0f} (+{r['peak_rss_mb'] - r['rss_before_mb']:.0f})"
        return f"{r['samples_per_s']:15.1f} {r['median_s'] * 1e3:8.1f} {memory:>19s}"

    for name in dict.fromkeys(r["model"] for r in results):
        for precision in dict.fromkeys(r["precision"] for r in results):
            row = {r["phase"]: r for r in results if r["model"] == name and r["precision"] == precision}
            print(f"{name + ' ' + precision:14s} | {cells(row.get('train'))} | {cells(row.get('infer'))}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--models", nargs="+", choices=MODEL_NAMES, default=list(MODEL_NAMES))
    parser.add_argument("--phases", nargs="+", choices=("train", "infer"), default=["train", "infer"])
    parser.add_argument("--precisions", nargs="+", choices=("fp32", "bf16"), default=["fp32"],
                        help="fp32, and bf16 for the forward pass under CPU autocast (default fp32)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    parser.add_argument("--quick", action="store_true",
                        help=f"fewer steps ({QUICK['train_warmup']}+{QUICK['train_steps']} training, "
                             f"{QUICK['infer_warmup']}+{QUICK['infer_steps']} inference)")
    parser.add_argument("--worker", choices=MODEL_NAMES, help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=("train", "infer"), help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.phase, args.threads, args.warmup, args.steps, args.precision)))
        return 0

    counts = QUICK if args.quick else FULL
    results = []
    for name in args.models:
        for phase in args.phases:
            for precision in args.precisions:
                results.append(run_worker(name, phase, args.threads, counts[f"{phase}_warmup"], counts[f"{phase}_steps"],
                                          precision))
                if not args.json:
                    r = results[-1]
                    print(f"  {name} {phase} {precision}: {r['samples_per_s']:.1f} samples/s, peak {r['peak_rss_mb']:.0f} MiB "
                          f"(load average before {r['load_average_before']:.2f})", file=sys.stderr)
    if args.json:
        print(json.dumps({"environment": environment(), "threads": args.threads, "input_shape": list(INPUT_SHAPE),
                          "classes": CLASSES, "optimizer": "Adam(lr=1e-3)", "loss": "cross_entropy mean",
                          "results": results}, indent=2))
    else:
        print_table(results, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
