"""LPIPS (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric").

The network is the LPIPS one: the ImageNet input scaling, five ReLU stages of AlexNet or VGG-16 features
(torchvision's layer order), each stage's activations unit-normalised over channels, squared
differences weighted per channel by the learned linear heads (1x1 convolutions, no bias), averaged
over pixels and summed over stages. Module and parameter names follow the ``lpips`` package
(``net.slice{k}.{i}.weight``, ``lin{k}.model.1.weight``), so its saved state dict loads as is; a
torchvision backbone file (``features.{i}.weight``) plus the package's head file (``alex.pth`` /
``vgg.pth``) load too. It is written here because neither torchvision nor ``lpips`` is a dependency.

Weights only ever come from a LOCAL path the user gives (no download): ``load_lpips(None)`` is None
and callers report LPIPS as not computed. Files are safetensors or weights-only torch pickles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

# (layers of torchvision's ``features``, stage boundaries, channels per stage) of each backbone
_ALEX = (
    [("conv", 3, 64, 11, 4, 2), ("relu",), ("pool",), ("conv", 64, 192, 5, 1, 2), ("relu",), ("pool",),
     ("conv", 192, 384, 3, 1, 1), ("relu",), ("conv", 384, 256, 3, 1, 1), ("relu",),
     ("conv", 256, 256, 3, 1, 1), ("relu",)],
    (0, 2, 5, 8, 10, 12),
)  # fmt: skip
_VGG_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]


def _vgg_layers() -> list[tuple]:
    layers, c_in = [], 3
    for v in _VGG_CFG:
        if v == "M":
            layers.append(("pool2",))
        else:
            layers += [("conv", c_in, v, 3, 1, 1), ("relu",)]
            c_in = v
    return layers


_NETS = {"alex": _ALEX, "vgg": (_vgg_layers(), (0, 4, 9, 16, 23, 30))}


def _layer(spec: tuple) -> nn.Module:
    if spec[0] == "conv":
        return nn.Conv2d(*spec[1:3], kernel_size=spec[3], stride=spec[4], padding=spec[5])
    if spec[0] == "relu":
        return nn.ReLU(inplace=False)
    return nn.MaxPool2d(3, 2) if spec[0] == "pool" else nn.MaxPool2d(2, 2)


class _Lin(nn.Module):
    """The package's NetLinLayer: dropout then a 1x1 conv to one channel (``model.1.weight``)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))


class _Backbone(nn.Module):
    def __init__(self, net: str) -> None:
        super().__init__()
        layers, bounds = _NETS[net]
        for k in range(5):
            stage = nn.Sequential()
            for i in range(bounds[k], bounds[k + 1]):
                stage.add_module(str(i), _layer(layers[i]))
            self.add_module(f"slice{k + 1}", stage)

    def forward(self, x: Tensor) -> list[Tensor]:
        outs = []
        for k in range(5):
            x = getattr(self, f"slice{k + 1}")(x)
            outs.append(x)
        return outs


class LPIPS(nn.Module):
    """LPIPS distance: ``forward(a, b)`` of images [N, 3, H, W] in [-1, 1] -> [N]."""

    def __init__(self, net: str = "alex") -> None:
        super().__init__()
        if net not in _NETS:
            raise ValueError(f"LPIPS net must be one of {sorted(_NETS)}, got {net!r}")
        self.net_name = net
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))
        self.net = _Backbone(net)
        for k in range(5):
            self.add_module(f"lin{k}", _Lin(self._stage_channels(k)))
        self.eval()

    def _stage_channels(self, k: int) -> int:
        convs = [m for m in getattr(self.net, f"slice{k + 1}").modules() if isinstance(m, nn.Conv2d)]
        return convs[-1].out_channels

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        fa = self.net((a - self.shift) / self.scale)
        fb = self.net((b - self.shift) / self.scale)
        total = torch.zeros(a.shape[0], dtype=a.dtype, device=a.device)
        for k, (x, y) in enumerate(zip(fa, fb, strict=True)):
            x = x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            y = y / (y.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + getattr(self, f"lin{k}").model((x - y).pow(2)).mean(dim=(1, 2, 3))
        return total

    @torch.no_grad()
    def frames(self, gen: np.ndarray, gt: np.ndarray, batch: int = 16) -> np.ndarray:
        """LPIPS per frame of uint8 frames [T, H, W, 3]: [T] float64."""
        gen, gt = np.asarray(gen), np.asarray(gt)
        if gen.shape != gt.shape or gen.ndim != 4 or gen.shape[-1] != 3:
            raise ValueError(f"frames must both be [T, H, W, 3] of one shape, got {gen.shape}, {gt.shape}")
        dev = self.shift.device

        def unit(f: np.ndarray) -> Tensor:  # [n, H, W, 3] uint8 -> [n, 3, H, W] in [-1, 1]
            return torch.from_numpy(np.ascontiguousarray(f)).to(dev).permute(0, 3, 1, 2).float() / 127.5 - 1

        out = [self(unit(gen[s : s + batch]), unit(gt[s : s + batch])).double().cpu().numpy()
               for s in range(0, len(gen), batch)]  # fmt: skip
        return np.concatenate(out) if out else np.zeros(0)


def _read(path: Path) -> dict[str, Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    return state.get("state_dict", state) if isinstance(state, dict) else state


def _rename(key: str, net: str) -> str:
    """torchvision backbone keys (``features.{i}.*``) -> ``net.slice{k}.{i}.*``; others unchanged."""
    parts = key.split(".")
    if parts[0] != "features":
        return key.removeprefix("module.")
    i, bounds = int(parts[1]), _NETS[net][1]
    k = next(k for k in range(5) if bounds[k] <= i < bounds[k + 1]) if i < bounds[5] else None
    return f"net.slice{k + 1}.{'.'.join(parts[1:])}" if k is not None else f"_unused.{key}"


def load_lpips(path: str | Path | None, device: str | torch.device = "cpu") -> LPIPS | None:
    """LPIPS with the weights of a local file or folder (all its .pth / .pt / .safetensors merged), or
    None when ``path`` is None. Raises ValueError when weights are missing or do not fit."""
    if path is None:
        return None
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: LPIPS weights path does not exist")
    files = (
        sorted(p for p in path.iterdir() if p.suffix in (".pth", ".pt", ".safetensors"))
        if path.is_dir()
        else [path]
    )
    raw: dict[str, Tensor] = {}
    for f in files:
        raw.update(_read(f))
    first = raw.get("net.slice1.0.weight", raw.get("features.0.weight"))
    if first is None:
        raise ValueError(f"{path}: no LPIPS backbone weights (net.slice1.0.weight or features.0.weight)")
    net = "alex" if first.shape[-1] == 11 else "vgg"
    state = {_rename(k, net): v for k, v in raw.items()}
    model = LPIPS(net)
    want = {k for k in model.state_dict() if k not in ("shift", "scale")}
    missing = sorted(want - set(state))
    if missing:
        raise ValueError(
            f"{path}: LPIPS ({net}) weights lack {missing[:4]}{' ...' if len(missing) > 4 else ''}"
        )
    try:
        model.load_state_dict({k: state[k] for k in want}, strict=False)
    except RuntimeError as exc:  # a tensor of the wrong shape
        raise ValueError(f"{path}: LPIPS ({net}) weights do not fit the network: {exc}") from exc
    return model.to(device).eval()
