#!/usr/bin/env python3
"""PyTorch reference versions of QPAudioEraser's three models, with exactly the Swift parameter names.

The Swift models (Sources/Models) name every parameter and buffer as PyTorch's `state_dict()` does, so
checkpoints move between the two 1:1. These are the independent references the parity tests and the
speed comparison use:

- `SmallCNN` (written here; `../shared/SPEC.md` §6): `features` is an `nn.Sequential` of four blocks
  conv 3×3 (padding 1, bias) → BatchNorm2d → ReLU → MaxPool2d(2) with 32, 64, 128, 128 channels
  (`features.0` the first convolution, `features.1` its batch norm, `features.4` the second convolution,
  …), then AdaptiveAvgPool2d(1), flatten, `fc`.
- ResNet18: torchvision's `resnet18(num_classes=K)` with a `Conv2d(1, 64, 7, 2, 3, bias=False)` stem,
  written out here with torchvision's module names and initialisation (`--check-resnet` compares it
  with torchvision's where torchvision is installed).
- ViT-Tiny: timm's `VisionTransformer(img_size=(64, 96), patch_size=8, in_chans=1, embed_dim=192,
  depth=12, num_heads=3, mlp_ratio=4, num_classes=K)`: class-token pooling, qkv bias, LayerNorm
  eps 1e-6, pre-norm blocks, exact-erf GELU, final `norm`, no `fc_norm`, no dropout. `make_vit_tiny`
  passes these choices explicitly and asserts them, so a change of timm's defaults fails loudly.

Needs torch, and for ViT-Tiny `pip install pillow && pip install --no-deps timm==1.0.31`. timm imports
torchvision when it loads, and PyPI's torchvision wheels need PyPI's CUDA torch; beside a CPU-only torch
(or none), ViT-Tiny is built with `torchvision_standin/` in torchvision's place, whose names ViT-Tiny
never calls.

    python3 scripts/pytorch/models.py --counts         # trainable parameters for 10 classes
    python3 scripts/pytorch/models.py --names cnn      # state_dict names, shapes, dtypes (one a line)

Expected counts (1 input channel, 10 classes): cnn 242,250, resnet18 11,175,370, vit-tiny 5,371,978.
"""

import argparse
import sys
from pathlib import Path

import torch
from torch import nn

MODEL_NAMES = ("cnn", "resnet18", "vit-tiny")
EXPECTED_COUNTS_10_CLASSES = {"cnn": 242_250, "resnet18": 11_175_370, "vit-tiny": 5_371_978}
INPUT_SIZE = (64, 96)


class SmallCNN(nn.Module):
    """The paper's small CNN, as Sources/Models/SmallCNN.swift documents it."""

    block_channels = (32, 64, 128, 128)

    def __init__(self, num_classes: int, in_chans: int = 1):
        super().__init__()
        layers = []
        channels = in_chans
        for width in self.block_channels:
            layers += [nn.Conv2d(channels, width, kernel_size=3, padding=1, bias=True), nn.BatchNorm2d(width),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)       # no parameters: absent from the state_dict, as in Swift
        self.fc = nn.Linear(channels, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled features `[N, 128]` that `fc` sees."""
        return torch.flatten(self.pool(self.features(x)), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x))


class BasicBlock(nn.Module):
    """torchvision's `BasicBlock`: two 3×3 convolutions with batch norm, a 1×1 projection when the shape changes."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class ResNet18(nn.Module):
    """torchvision's `resnet18(num_classes=K)` with an `in_chans`-channel stem: the same modules, names and
    initialisation (`kaiming_normal_` fan-out for every convolution, batch norm 1 and 0, `fc` PyTorch's
    default), written here so the references need torch and timm only (torchvision's PyPI wheels carry
    CUDA operators that a CPU-only torch cannot load). With torchvision installed, `--check-resnet`
    compares the two."""

    def __init__(self, num_classes: int, in_chans: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths, inplanes = (64, 128, 256, 512), 64
        for index, planes in enumerate(widths):
            stride = 1 if index == 0 else 2
            setattr(self, f"layer{index + 1}", nn.Sequential(BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes)))
            inplanes = planes
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.constant_(module.weight, 1)
                nn.init.constant_(module.bias, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def make_resnet18(num_classes: int, in_chans: int = 1) -> nn.Module:
    """ResNet18 as torchvision builds it, with an `in_chans`-channel stem."""
    return ResNet18(num_classes, in_chans)


def check_resnet_matches_torchvision(num_classes: int = 10) -> None:
    """The local ResNet18 has torchvision's state_dict (names, shapes) and computes the same function."""
    import torchvision

    theirs = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    theirs.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    ours = ResNet18(num_classes)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [(k, v.shape) for k, v in theirs.state_dict().items()]
    ours.load_state_dict(theirs.state_dict())
    ours.eval(), theirs.eval()
    x = torch.randn(2, 1, 64, 96)
    assert torch.allclose(ours(x), theirs(x), atol=1e-5)
    print("ResNet18 matches torchvision's")


def make_vit_tiny(num_classes: int, in_chans: int = 1, img_size=INPUT_SIZE, depth: int = 12) -> nn.Module:
    """timm `VisionTransformer` configured as ViT-Tiny over 8×8 spectrogram patches (`depth` for small fixtures)."""
    try:
        from timm.models.vision_transformer import VisionTransformer
    except (ImportError, RuntimeError):  # torchvision missing, or PyPI's CUDA build beside a CPU-only torch
        for name in [name for name in sys.modules if name.split(".")[0] in ("torchvision", "timm")]:
            del sys.modules[name]
        sys.path.insert(0, str(Path(__file__).resolve().parent / "torchvision_standin"))
        from timm.models.vision_transformer import VisionTransformer

    model = VisionTransformer(
        img_size=tuple(img_size), patch_size=8, in_chans=in_chans, num_classes=num_classes, embed_dim=192,
        depth=depth, num_heads=3, mlp_ratio=4.0, qkv_bias=True, global_pool="token", class_token=True,
        pos_embed="learn", no_embed_class=False, pre_norm=False, final_norm=True, fc_norm=False,
        drop_rate=0.0, pos_drop_rate=0.0, attn_drop_rate=0.0, proj_drop_rate=0.0, drop_path_rate=0.0)
    _check_vit_matches_swift(model, depth)
    return model


def _check_vit_matches_swift(model: nn.Module, depth: int) -> None:
    """The structural choices Sources/Models/ViTTiny.swift makes; fails if timm's defaults drift."""
    assert model.global_pool == "token" and model.cls_token is not None and model.reg_token is None
    assert model.num_prefix_tokens == 1 and not model.no_embed_class
    assert tuple(model.pos_embed.shape) == (1, model.patch_embed.num_patches + 1, 192)
    assert isinstance(model.norm_pre, nn.Identity) and isinstance(model.fc_norm, nn.Identity)
    assert isinstance(model.norm, nn.LayerNorm) and model.norm.eps == 1e-6
    assert model.patch_embed.flatten and isinstance(model.patch_embed.norm, nn.Identity)
    assert len(model.blocks) == depth
    for block in model.blocks:
        assert isinstance(block.norm1, nn.LayerNorm) and block.norm1.eps == 1e-6
        assert isinstance(block.norm2, nn.LayerNorm) and block.norm2.eps == 1e-6
        assert block.attn.num_heads == 3 and block.attn.qkv.bias is not None
        assert isinstance(block.attn.q_norm, nn.Identity) and isinstance(block.attn.k_norm, nn.Identity)
        assert isinstance(block.ls1, nn.Identity) and isinstance(block.ls2, nn.Identity)   # no LayerScale
        assert isinstance(block.mlp.act, nn.GELU) and block.mlp.act.approximate == "none"
        assert block.mlp.fc1.out_features == 768


def make_model(name: str, num_classes: int, in_chans: int = 1) -> nn.Module:
    """One of `cnn`, `resnet18`, `vit-tiny` (the Swift `Architecture` raw values), freshly initialised."""
    if name == "cnn":
        return SmallCNN(num_classes, in_chans)
    if name == "resnet18":
        return make_resnet18(num_classes, in_chans)
    if name in ("vit-tiny", "vit_tiny", "vitTiny"):
        return make_vit_tiny(num_classes, in_chans)
    raise ValueError(f"unknown model {name!r}; expected one of {MODEL_NAMES}")


def parameter_count(model: nn.Module) -> int:
    """Trainable scalars, as the Swift `Module.parameterCount`."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", action="store_true", help="print trainable parameter counts")
    parser.add_argument("--names", choices=MODEL_NAMES, help="print the state_dict names, shapes and dtypes")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--check-resnet", action="store_true", help="compare ResNet18 with torchvision's (needs torchvision)")
    args = parser.parse_args(argv)
    if args.check_resnet:
        check_resnet_matches_torchvision(args.classes)
    if not args.counts and not args.names:
        parser.print_help()
        return 0
    status = 0
    if args.counts:
        for name in MODEL_NAMES:
            count = parameter_count(make_model(name, args.classes))
            expected = EXPECTED_COUNTS_10_CLASSES[name] if args.classes == 10 else None
            verdict = "" if expected is None else ("  (matches Swift)" if count == expected
                                                   else f"  (MISMATCH: Swift expects {expected:,})")
            status |= expected is not None and count != expected
            print(f"{name:9s} {count:>12,}{verdict}")
    if args.names:
        for key, tensor in make_model(args.names, args.classes).state_dict().items():
            print(key, list(tensor.shape), str(tensor.dtype).removeprefix("torch."))
    return status


if __name__ == "__main__":
    sys.exit(main())
