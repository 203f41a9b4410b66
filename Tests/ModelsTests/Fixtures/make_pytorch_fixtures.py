#!/usr/bin/env python3
"""Writes the PyTorch parity fixtures for the Swift models (safetensors, written by PyTorch's own writer).

Run from the package root (torch 2.15, safetensors, timm 1.0.31 with the torchvision it imports):

    python3 Tests/ModelsTests/Fixtures/make_pytorch_fixtures.py

It rewrites the four committed files below in Tests/ModelsTests/Fixtures/. Everything is seeded and runs
on one thread (`torch.set_num_threads(1)`), so a rerun with the same library versions writes the same
tensors and metadata (not the same bytes: the safetensors writer orders the metadata keys at random).
The reference models are scripts/pytorch/models.py (our SmallCNN in PyTorch, timm's VisionTransformer,
ResNet18 as torchvision builds it) with exactly the Swift parameter names.

    python3 Tests/ModelsTests/Fixtures/make_pytorch_fixtures.py --resnet18-dir /tmp/resnet18 [--skip-committed]

also writes a full ResNet18 (10 classes, batch norm made non-trivial as for the CNN) as resnet18.safetensors
and resnet18_io.safetensors (`input` [2, 1, 64, 96], scaled 0.5 / 2 and shifted −0.5 / 0.7 per sample;
`eval.logits` [2, 10]) into /tmp/resnet18 for a local check (45 MB: never commit it).

Files (all float32 unless stated; `[]` is a 0-dimensional tensor, as PyTorch stores scalars)

cnn4.safetensors — SmallCNN, 1 input channel, 4 classes: its full `state_dict()`, names as Swift
    (`features.0.weight`, `features.1.running_mean`, `features.1.num_batches_tracked` (int64 `[]`), …,
    `fc.weight`, `fc.bias`). The batch-norm affine parameters are perturbed away from 1/0 and the running
    statistics made non-trivial by `BN_WARMUP_PASSES` train-mode forward passes on random data.

cnn4_io.safetensors — with that state:
    input [3, 1, 64, 96] (N(0, 1) scaled by 0.5, 1, 2 and shifted by −0.5, 0, 0.7 per sample);
    labels int64 [3] = [0, 3, 1];
    eval.logits [3, 4]  (eval mode);  eval.features [3, 128] (pooled features fc sees, eval mode);
    train.logits [3, 4] (train mode: batch statistics); train.loss [] (mean cross-entropy of train.logits);
    train.<bn>.running_mean / running_var / num_batches_tracked — the batch-norm buffers after that one
        train-mode forward pass (PyTorch updates them in the forward: momentum 0.1, unbiased variance);
    grad.<name> — d train.loss / d parameter for every trainable parameter with ≤ 20,000 values (all but
        features.8.weight and features.12.weight; those follow from sgd.*: g = (p − p′)/lr − wd·p) except the
        four convolution biases (see adam.*);
    sgd.<name> — every trainable parameter after one torch.optim.SGD(lr=0.1, momentum=0.9,
        weight_decay=1e-4) step on that loss (dampening 0, no Nesterov; weight decay on every parameter);
    adam.<name> — every trainable parameter after one torch.optim.Adam(lr=1e-3) step (betas (0.9, 0.999),
        eps 1e-8, no weight decay, no amsgrad), each from the same starting state — except the convolution
        biases features.{0,4,8,12}.bias (`NOISE_ONLY`, metadata `omitted_from_grad_and_adam`): a batch norm
        follows each, so their exact gradient is 0 and the computed one rounding noise (~1e-7), which Adam
        turns into a ±lr step of arbitrary sign (check |gradient| < 1e-5 instead). Adam's first step is
        ≈ lr·g/(|g| + eps), so elements whose |g| is near eps magnify float rounding: compare adam.* with an
        absolute tolerance that is a fraction of lr (1e-4), not a relative one;
    sgd2.<name>, adam2.<name> — a second step of the same optimizer on the same batch and labels (train
        mode again), for the parameters with ≤ 20,000 values: one step cannot show momentum (its buffer
        starts as the first gradient) and the second shows Adam's bias correction at t = 2.

vit_tiny_depth2.safetensors — timm VisionTransformer as ViT-Tiny (64×96 input, 8×8 patches, width 192,
    3 heads, MLP 768) but depth 2, 4 classes: its full `state_dict()` (`cls_token`, `pos_embed`,
    `patch_embed.proj.*`, `blocks.{0,1}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.*`, `norm.*`,
    `head.*`). timm's initialisation leaves biases and LayerNorm β at 0, γ at 1 and the class token at
    ~1e-6, which would hide mistakes in those paths, so every 1-D parameter and the class token are
    perturbed (see `perturb_vit`).

vit_tiny_depth2_io.safetensors — input [2, 1, 64, 96]; labels int64 [2] = [1, 3];
    eval.logits [2, 4];
    act.tokens [2, 97, 192] (class token + patches + position embedding), act.blocks.0 and act.blocks.1
        [2, 97, 192] (each block's output), act.norm [2, 97, 192] (after the final LayerNorm);
    train.loss [] (mean cross-entropy; the model has no dropout, so train and eval agree);
    grad.<name> — d train.loss / d parameter for cls_token, pos_embed, head.weight and every 1-D parameter
        (patch_embed.proj.bias, each block's LayerNorm weights and biases and linear biases, norm.*,
        head.bias): pos_embed's gradient has passed back through every block. The key third of each
        attn.qkv.bias (values 192..<384) has exact gradient 0 (softmax ignores a per-query constant), so it is
        rounding noise: compare against the tensor's largest value, not element-wise relatively.

Each file's metadata (string → string): `generator` (this script's path), `command` (as run), `seed` (the
CNN files SEED, the ViT files SEED + 1, ResNet18 SEED + 2; it seeds both torch.manual_seed and the generator
that draws inputs and perturbations), `model` (the Swift `Architecture` raw value), `description`, `torch`,
and `timm` (ViT) or `torchvision` (ResNet18). The CNN files add `bn_warmup`; cnn4_io adds `labels`, `loss`,
`sgd`, `adam` (the optimizer keyword arguments), `small_threshold`, `omitted_from_grad_and_adam`; the ViT
files add `perturbation`, and vit_tiny_depth2_io `labels` and `loss`.
"""

import argparse
import copy
import pathlib
import sys

import torch
from safetensors.torch import save_file
from torch import nn

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "scripts" / "pytorch"))
import models  # noqa: E402  (scripts/pytorch/models.py)

GENERATOR = "Tests/ModelsTests/Fixtures/make_pytorch_fixtures.py"
COMMAND = "python3 Tests/ModelsTests/Fixtures/make_pytorch_fixtures.py"
SEED = 20240611
BN_WARMUP_PASSES = 3          # train-mode forward passes on random batches of 8 before saving
SMALL = 20_000                # grad.* and sgd2.*/adam2.* only for parameters with at most this many values
# The convolution biases right before a batch norm: in train mode the batch mean cancels them, so their exact
# gradient is 0 and the computed one is rounding noise (~1e-7); Adam divides by |g| + 1e-8, turning that noise
# into a ±lr step of arbitrary sign. They are left out of grad.*, adam.* and adam2.* (kept in sgd.*, sgd2.*).
NOISE_ONLY = ("features.0.bias", "features.4.bias", "features.8.bias", "features.12.bias")
SGD_SETTINGS = dict(lr=0.1, momentum=0.9, weight_decay=1e-4, dampening=0.0, nesterov=False, foreach=False)
ADAM_SETTINGS = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, foreach=False)
CNN_LABELS = [0, 3, 1]
VIT_LABELS = [1, 3]


def versions(*extra) -> dict:
    result = {"torch": torch.__version__}
    for name in extra:
        result[name] = __import__(name).__version__
    return result


def metadata(model: str, seed: int, description: str, **fields) -> dict:
    return {"generator": GENERATOR, "command": COMMAND, "seed": str(seed), "model": model,
            "description": description, **{k: str(v) for k, v in fields.items()}}


def save(tensors: dict, path: pathlib.Path, meta: dict) -> None:
    tensors = {k: v.detach().contiguous().clone() for k, v in tensors.items()}
    save_file(tensors, str(path), metadata=meta)
    size = path.stat().st_size
    print(f"wrote {path} ({len(tensors)} tensors, {size / 1e6:.2f} MB)")


def make_bn_nontrivial(model: nn.Module, generator: torch.Generator, input_shape) -> None:
    """Random BN γ/β, then train-mode passes on shifted, scaled noise so running μ/σ² are not 0/1."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.copy_(torch.empty_like(module.weight).uniform_(0.5, 1.5, generator=generator))
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
        model.train()
        for _ in range(BN_WARMUP_PASSES):
            model(torch.randn(input_shape, generator=generator) * 1.5 + 0.3)


def sgd_and_adam(model: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> dict:
    """Two steps of each optimizer from the same state; the first-step and second-step parameters."""
    result = {}
    for prefix, make in (("sgd", lambda p: torch.optim.SGD(p, **SGD_SETTINGS)),
                         ("adam", lambda p: torch.optim.Adam(p, **ADAM_SETTINGS))):
        trained = copy.deepcopy(model).train()
        optimizer = make(trained.parameters())
        for step in (1, 2):
            optimizer.zero_grad()
            nn.functional.cross_entropy(trained(x), labels).backward()
            optimizer.step()
            for name, parameter in trained.named_parameters():
                if prefix == "adam" and name in NOISE_ONLY:
                    continue
                if step == 1:
                    result[f"{prefix}.{name}"] = parameter.detach().clone()
                elif parameter.numel() <= SMALL:
                    result[f"{prefix}2.{name}"] = parameter.detach().clone()
    return result


def cnn_fixtures(out: pathlib.Path) -> None:
    generator = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)
    model = models.SmallCNN(num_classes=4)
    make_bn_nontrivial(model, generator, (8, 1, 64, 96))
    start = copy.deepcopy(model.state_dict())
    bn_warmup = f"BN weight ~ U(0.5, 1.5), bias ~ 0.1·N(0, 1); {BN_WARMUP_PASSES} train-mode passes on 1.5·N(0, 1) + 0.3, batch 8"
    save(start, out / "cnn4.safetensors",
         metadata("cnn", SEED, "SmallCNN(num_classes=4, in_chans=1) state_dict with non-trivial batch norm",
                  bn_warmup=bn_warmup, **versions()))

    # Per-sample scale and offset, so the samples' logits differ clearly after global average pooling.
    x = torch.randn((3, 1, 64, 96), generator=generator) * torch.tensor([0.5, 1.0, 2.0]).view(3, 1, 1, 1) \
        + torch.tensor([-0.5, 0.0, 0.7]).view(3, 1, 1, 1)
    labels = torch.tensor(CNN_LABELS, dtype=torch.int64)
    io = {"input": x, "labels": labels}
    model.eval()
    with torch.no_grad():
        io["eval.features"] = model.forward_features(x)
        io["eval.logits"] = model.fc(io["eval.features"])
        assert torch.equal(io["eval.logits"], model(x))

    trained = copy.deepcopy(model).train()
    logits = trained(x)
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    io["train.logits"], io["train.loss"] = logits, loss
    for name, buffer in trained.named_buffers():
        io[f"train.{name}"] = buffer
    for name, parameter in trained.named_parameters():
        if parameter.numel() <= SMALL and name not in NOISE_ONLY:
            io[f"grad.{name}"] = parameter.grad
    io.update(sgd_and_adam(model, x, labels))
    assert all(torch.equal(model.state_dict()[k], v) for k, v in start.items())   # the starting state is intact
    save(io, out / "cnn4_io.safetensors",
         metadata("cnn", SEED, "cnn4.safetensors on a fixed batch: eval and train-mode logits, loss, BN buffers after the "
                         "train-mode forward, gradients, parameters after one (sgd., adam.) and two (sgd2., adam2.) steps",
                  labels=CNN_LABELS, loss="torch.nn.functional.cross_entropy, reduction mean",
                  sgd=SGD_SETTINGS, adam=ADAM_SETTINGS, bn_warmup=bn_warmup, small_threshold=SMALL,
                  omitted_from_grad_and_adam=",".join(NOISE_ONLY), **versions()))


def perturb_vit(model: nn.Module, generator: torch.Generator) -> str:
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() == 1:
                noise = torch.randn(parameter.shape, generator=generator)
                parameter.copy_(1 + 0.1 * noise if name.endswith("norm1.weight") or name.endswith("norm2.weight")
                                or name == "norm.weight" else 0.02 * noise)
        model.cls_token.copy_(torch.randn(model.cls_token.shape, generator=generator) * 0.02)
    return ("timm init, then every LayerNorm weight = 1 + 0.1·N(0, 1), every other 1-D parameter (biases, "
            "LayerNorm bias) = 0.02·N(0, 1), cls_token = 0.02·N(0, 1)")


def vit_fixtures(out: pathlib.Path, depth: int = 2) -> None:
    generator = torch.Generator().manual_seed(SEED + 1)
    torch.manual_seed(SEED + 1)
    model = models.make_vit_tiny(num_classes=4, depth=depth).eval()
    perturbation = perturb_vit(model, generator)
    stem = f"vit_tiny_depth{depth}"
    save(model.state_dict(), out / f"{stem}.safetensors",
         metadata("vit-tiny", SEED + 1, f"timm VisionTransformer(img_size=(64, 96), patch_size=8, in_chans=1, embed_dim=192, "
                              f"depth={depth}, num_heads=3, mlp_ratio=4, num_classes=4) state_dict",
                  perturbation=perturbation, **versions("timm")))

    x = torch.randn((2, 1, 64, 96), generator=generator)
    labels = torch.tensor(VIT_LABELS, dtype=torch.int64)
    io = {"input": x, "labels": labels}
    with torch.no_grad():
        tokens = model._pos_embed(model.patch_embed(x))
        io["act.tokens"] = tokens
        for index, block in enumerate(model.blocks):
            tokens = block(tokens)
            io[f"act.blocks.{index}"] = tokens
        io["act.norm"] = model.norm(tokens)
        io["eval.logits"] = model(x)
        assert torch.allclose(model.head(io["act.norm"][:, 0]), io["eval.logits"], atol=1e-6)
    loss = nn.functional.cross_entropy(model(x), labels)
    loss.backward()
    io["train.loss"] = loss
    for name, parameter in model.named_parameters():
        if parameter.dim() == 1 or name in ("cls_token", "pos_embed", "head.weight"):
            io[f"grad.{name}"] = parameter.grad
    save(io, out / f"{stem}_io.safetensors",
         metadata("vit-tiny", SEED + 1, f"{stem}.safetensors on a fixed batch: eval logits, intermediate activations, "
                              "loss and gradients", labels=VIT_LABELS,
                  loss="torch.nn.functional.cross_entropy, reduction mean", perturbation=perturbation,
                  **versions("timm")))


def resnet18_fixtures(out: pathlib.Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(SEED + 2)
    torch.manual_seed(SEED + 2)
    model = models.make_resnet18(num_classes=10)
    make_bn_nontrivial(model, generator, (8, 1, 64, 96))
    bn_warmup = f"BN weight ~ U(0.5, 1.5), bias ~ 0.1·N(0, 1); {BN_WARMUP_PASSES} train-mode passes on 1.5·N(0, 1) + 0.3, batch 8"
    model.eval()
    save(model.state_dict(), out / "resnet18.safetensors",
         metadata("resnet18", SEED + 2, "torchvision resnet18(num_classes=10), conv1 = Conv2d(1, 64, 7, 2, 3, bias=False); "
                              "local check only, never commit", bn_warmup=bn_warmup, **versions("torchvision")))
    x = torch.randn((2, 1, 64, 96), generator=generator) * torch.tensor([0.5, 2.0]).view(2, 1, 1, 1) \
        + torch.tensor([-0.5, 0.7]).view(2, 1, 1, 1)
    with torch.no_grad():
        io = {"input": x, "eval.logits": model(x)}
    save(io, out / "resnet18_io.safetensors",
         metadata("resnet18", SEED + 2, "resnet18.safetensors on a fixed batch: eval-mode logits", bn_warmup=bn_warmup,
                  **versions("torchvision")))


def main(argv=None) -> int:
    global COMMAND
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent,
                        help="where the committed fixtures go (default: this script's folder)")
    parser.add_argument("--vit-depth", type=int, default=2,
                        help="blocks of the small ViT fixture (default 2; its weights take 1.84 MB per block)")
    parser.add_argument("--resnet18-dir", type=pathlib.Path,
                        help="also write resnet18.safetensors and resnet18_io.safetensors here (45 MB, do not commit)")
    parser.add_argument("--skip-committed", action="store_true", help="write only the ResNet18 files")
    args = parser.parse_args(argv)
    COMMAND = " ".join(["python3", GENERATOR] + list(sys.argv[1:] if argv is None else argv))
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if not args.skip_committed:
        cnn_fixtures(args.out)
        vit_fixtures(args.out, depth=args.vit_depth)
    if args.resnet18_dir:
        resnet18_fixtures(args.resnet18_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
