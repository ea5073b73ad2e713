"""Where a method looks: heatmaps over person images (DTTA Figure 4, DMF Figure 5).

Two techniques, chosen per network family (:func:`technique_for`), and always named in the figure:

- **Attention rollout** (Abnar & Zuidema, 2020) for ViT families whose blocks use
  :class:`harness.models._vit.Attention` (``transreid-vit``, ``dmf-vit``, ``pat-vit``): each block's
  attention is averaged over heads, mixed with the identity for the residual path
  (``0.5 A + 0.5 I``), rows renormalised, and the blocks multiplied in order; the map is the class
  token's row over the patch tokens. Only the first attention call of each module in one forward
  pass is used (DMF's cross-attention call reuses the module), and only calls over all tokens
  (TransReID's JPM branch attends to token subsets).
- **Grad-CAM** (Selvaraju et al., 2017) for CNN and Swin families (and as a fallback): the last
  module whose output is a spatial map (``[B, C, H, W]``, or ``[B, N, C]`` tokens whose ``N`` is the
  input's ``H x W`` grid at some stride), weighted by the spatially averaged gradient of the target,
  ReLU. The target is the L2 norm of the test-time embedding (``encode_image``): a retrieval network
  has no class logits at test time, and the norm is what a query's similarity scales with.

Maps are min-max scaled to [0, 1] per image. Random-init networks give valid (uninformative) maps,
which is what the tests use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from harness.errors import ConfigError, DataError
from harness.reports.plots.style import PAGE_WIDTH, figure, method_style, save

TECHNIQUES = ("auto", "rollout", "gradcam")
TECHNIQUE_TITLES = {"rollout": "attn. rollout", "gradcam": "Grad-CAM"}
"""Column titles (the figure names its technique; the docs spell it out)."""


@dataclass(frozen=True)
class Heatmap:
    """One image's map (``[h, w]`` in [0, 1]) from one method with one technique."""

    method: str
    technique: str
    values: np.ndarray


def _attention_modules(model) -> list:
    from harness.models._vit import Attention

    return [m for m in model.modules() if isinstance(m, Attention)]


def technique_for(method, requested: str = "auto") -> str:
    """``rollout`` for a network with ViT attention blocks, else ``gradcam``; ``requested`` wins
    unless it cannot apply (rollout without attention blocks is an error)."""
    if requested not in TECHNIQUES:
        raise ConfigError(f"--technique must be one of {', '.join(TECHNIQUES)}, got {requested!r}")
    has_attention = bool(_attention_modules(method.model))
    if requested == "rollout" and not has_attention:
        raise ConfigError(
            f"method {method.name!r} ({method.card.family}) has no ViT attention blocks: "
            "use --technique gradcam"
        )
    if requested != "auto":
        return requested
    return "rollout" if has_attention else "gradcam"


def _grid(n_tokens: int, height: int, width: int) -> tuple[int, int] | None:
    """The ``(h, w)`` patch grid with ``h * w == n_tokens`` closest to the input's aspect ratio."""
    best = None
    for h in range(1, n_tokens + 1):
        if n_tokens % h:
            continue
        w = n_tokens // h
        error = abs(np.log((h / w) / (height / width)))
        if best is None or error < best[0]:
            best = (error, h, w)
    if best is None or best[0] > 0.3:
        return None
    return best[1], best[2]


def _batch(method, image: Image.Image):
    import torch

    x = method.preprocess(image).unsqueeze(0).to(method.device)
    cams = torch.zeros(1, dtype=torch.long, device=method.device) if method.needs_camids else None
    return x, cams


def attention_rollout(method, image: Image.Image) -> np.ndarray:
    """The rollout map ``[h, w]`` of ``image`` (see the module doc)."""
    import types

    import torch

    modules = _attention_modules(method.model)
    recorded: dict[int, torch.Tensor] = {}

    def recording(module):
        original = module.attend

        def attend(self, q, k, v):
            if id(self) not in recorded:
                recorded[id(self)] = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1).detach()
            return original(q, k, v)

        return types.MethodType(attend, module)

    patched = []
    try:
        for module in modules:
            module.attend = recording(module)
            patched.append(module)
        x, cams = _batch(method, image)
        with torch.no_grad():
            method.model.encode_image(x, cams)
    finally:
        for module in patched:
            del module.attend  # back to the class's method
    maps = [recorded[id(m)][0] for m in modules if id(m) in recorded]
    n = max(a.shape[-1] for a in maps)
    maps = [a for a in maps if a.shape[-1] == n]
    result = torch.eye(n)
    for attn in maps:
        a = 0.5 * attn.float().mean(dim=0).cpu() + 0.5 * torch.eye(n)
        a = a / a.sum(dim=-1, keepdim=True)
        result = a @ result
    cls = result[0, 1:].numpy()
    height, width = method.card.input_size
    grid = _grid(cls.size, height, width)
    if grid is None:
        raise ConfigError(
            f"method {method.name!r}: {cls.size} patch tokens do not form a grid of the "
            f"{height}x{width} input"
        )
    return _unit(cls.reshape(grid))


def grad_cam(method, image: Image.Image) -> np.ndarray:
    """The Grad-CAM map ``[h, w]`` of ``image`` (see the module doc)."""
    import torch

    height, width = method.card.input_size
    x, cams = _batch(method, image)
    model = method.model
    seen: list[tuple[object, tuple[int, int] | None]] = []

    def spatial(output) -> tuple[int, int] | None:
        if not isinstance(output, torch.Tensor):
            return None
        if output.dim() == 4 and output.shape[-1] * output.shape[-2] > 1:
            return int(output.shape[-2]), int(output.shape[-1])
        if output.dim() == 3 and output.shape[1] > 1:
            return _grid(int(output.shape[1]), height, width)
        return None

    def probe(module, _inputs, output):
        grid = spatial(output)
        if grid is not None:
            seen.append((module, grid))

    handles = [m.register_forward_hook(probe) for m in model.modules() if m is not model]
    try:
        with torch.no_grad():
            model.encode_image(x, cams)
    finally:
        for h in handles:
            h.remove()
    if not seen:
        raise ConfigError(f"method {method.name!r}: no layer gives a spatial feature map for Grad-CAM")
    target, grid = seen[-1]
    store: dict[str, torch.Tensor] = {}

    def keep(_module, _inputs, output):
        output.register_hook(lambda g: store.__setitem__("grad", g))
        store["act"] = output

    handle = target.register_forward_hook(keep)
    try:
        with torch.enable_grad():
            embedding = model.encode_image(x.requires_grad_(False), cams)
            embedding.float().norm(dim=-1).sum().backward()
    finally:
        handle.remove()
        model.zero_grad(set_to_none=True)
    act, grad = store["act"].detach().float(), store["grad"].detach().float()
    if act.dim() == 3:  # tokens [1, N, C] -> [1, C, h, w]
        act = act.transpose(1, 2).reshape(1, -1, *grid)
        grad = grad.transpose(1, 2).reshape(1, -1, *grid)
    weights = grad.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * act).sum(dim=1))[0].numpy()
    return _unit(cam)


def _unit(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def load_image(path: str | Path) -> Image.Image:
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except OSError as exc:
        raise DataError(f"{path}: cannot read image ({exc})") from exc


def heatmaps(method, images: Sequence[Image.Image], technique: str = "auto") -> list[Heatmap]:
    """One :class:`Heatmap` per image from a loaded method (technique per :func:`technique_for`)."""
    chosen = technique_for(method, technique)
    compute = attention_rollout if chosen == "rollout" else grad_cam
    return [Heatmap(method.name, chosen, compute(method, img)) for img in images]


def render_heatmaps(images: Sequence[Image.Image], maps: Sequence[Sequence[Heatmap]], *, alpha: float = 0.5):
    """A grid: one row per image, the original then each method's heatmap over it (DMF Figure 5).

    ``maps[m][i]`` is method ``m``'s map of image ``i``; each column is titled with the method (in its
    colour) and the technique."""
    if not maps or any(len(col) != len(images) for col in maps):
        raise ConfigError("each method needs one heatmap per image")
    ncols = 1 + len(maps)
    panel = min(0.9, PAGE_WIDTH / ncols)
    fig, axes = figure(len(images), ncols, width=panel, height=panel * 2.1)
    for r, image in enumerate(images):
        rgb = np.asarray(image.convert("RGB"))
        cells = [(None, "image")] + [(col[r], col[r].method) for col in maps]
        for c, (heat, label) in enumerate(cells):
            ax = axes[r][c]
            ax.imshow(rgb)
            if heat is not None:
                up = np.asarray(
                    Image.fromarray((heat.values * 255).astype(np.uint8)).resize(
                        (rgb.shape[1], rgb.shape[0]), Image.BILINEAR
                    ),
                    dtype=np.float64,
                )
                ax.imshow(up / 255.0, cmap="jet", alpha=alpha, vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
            if r == 0:
                if heat is None:
                    ax.set_title("image", fontsize=7)
                else:
                    ax.set_title(
                        f"{label}\n{TECHNIQUE_TITLES[heat.technique]}",
                        fontsize=6.5,
                        color=method_style(label).colour,
                    )
    fig.subplots_adjust(wspace=0.1, hspace=0.05)
    return fig


def plot_heatmaps(
    images: Sequence[Image.Image],
    maps: Sequence[Sequence[Heatmap]],
    out: Path | str,
    *,
    dpi: int | None = None,
) -> list[Path]:
    """:func:`render_heatmaps` written as ``out``.png/.svg/.pdf."""
    return save(render_heatmaps(images, maps), out, dpi=dpi)
