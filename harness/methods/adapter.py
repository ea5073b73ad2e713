"""The generic method adapter: a family's network plus the method's own preprocessing.

This is the object :func:`harness.load_method` returns and the embedding engine drives:

* ``preprocess(pil_image) -> Tensor[3, H, W]``: exactly what the method's official test transform
  returns for one image (RGB conversion, resize to ``input_size`` with the card's interpolation,
  ``[0, 1]`` scaling, then mean/std or per-image instance normalisation), i.e. torchvision's
  ``Resize`` + ``ToTensor`` + ``Normalize`` / ``nn.InstanceNorm2d(3, affine=False)`` on PIL input;
* ``encode_image(batch, camids=None) -> Tensor[B, D]``: the test-time embedding of a batch of
  ``preprocess`` outputs (no further input normalisation), before any L2 normalisation;
* for text methods ``tokenize(texts)`` and ``encode_text(texts)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import ConfigError

if TYPE_CHECKING:
    import torch
    from PIL import Image

    from harness.methods.card import MethodCard
    from harness.methods.sie import SieInfo

_RESAMPLE = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3}  # PIL.Image.Resampling values
_DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


@dataclass
class WeightsInfo:
    """Where the weights came from: a checkpoint (with its sha256), random init, or none needed."""

    kind: str  # "checkpoint" | "random-init" | "weights-free"
    path: str | None = None
    sha256: str | None = None
    load_report: dict[str, Any] = field(default_factory=dict)

    @property
    def reportable(self) -> bool:
        return self.kind != "random-init"


class MethodAdapter:
    """A loaded method: ``card`` + network + weights information, on one device."""

    def __init__(
        self,
        card: MethodCard,
        model: torch.nn.Module,
        *,
        variant: str | None,
        weights: WeightsInfo,
        device: torch.device,
        dtype: str | None = None,
        family_config: dict[str, Any] | None = None,
        sie: SieInfo | None = None,
    ) -> None:
        self.card = card
        self.model = model
        self.variant = card.resolve_variant(variant)
        self.weights = weights
        self._family_config = family_config
        self._sie = sie
        self._sie_known = family_config is not None
        self.device = device
        self.dtype = dtype or card.precision
        if self.dtype not in _DTYPES:
            raise ConfigError(f"--dtype must be one of {', '.join(_DTYPES)}, got {self.dtype!r}")

    # -- metadata -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.card.name

    @property
    def input_size(self) -> tuple[int, int]:
        return self.card.input_size

    @property
    def needs_camids(self) -> bool:
        """Whether the network uses camera ids (SIE); variants may differ from the card's default."""
        return bool(getattr(self.model, "needs_camids", self.card.needs_camids))

    @property
    def sie(self) -> SieInfo | None:
        """The camera count of the SIE embedding and its source (None: the variant has no SIE).

        Set by ``load_method``; a network-less adapter (the engine's identity probe) reads it from
        the checkpoint's shapes, or from the card for random-init weights."""
        if not self._sie_known:
            from harness.errors import CheckpointError
            from harness.methods.sie import resolve_sie

            path = self.weights.path if self.weights.kind == "checkpoint" else None
            try:
                _, self._sie = resolve_sie(self.card, self.card.family_config_for(self.variant), path)
            except CheckpointError:  # e.g. a trusted pickle: the loaded adapter will know
                self._sie = None
            self._sie_known = True
        return self._sie

    @property
    def has_text(self) -> bool:
        return "text" in self.card.modalities

    def preprocess_config(self) -> dict[str, Any]:
        """Everything the test transform depends on (part of the embedding cache key)."""
        return {
            "input_size": list(self.card.input_size),
            "interpolation": self.card.interpolation,
            "mean": list(self.card.mean) if self.card.mean else None,
            "std": list(self.card.std) if self.card.std else None,
            "normalization": self.normalization,
        }

    @property
    def normalization(self) -> str:
        """The card's ``normalization``: ``mean-std`` (the card's mean/std, if any) or ``instance``
        (per-image, per-channel standardisation as ``nn.InstanceNorm2d(3, affine=False)``: biased
        variance, eps 1e-5), applied here and never inside the network."""
        return self.card.normalization

    def identity(self) -> dict[str, Any]:
        """What identifies this method's embeddings (recorded in results, hashed by the cache)."""
        return {
            "name": self.card.name,
            "variant": self.variant,
            "adapter_version": self.card.adapter_version,
            "checkpoint_sha256": self.weights.sha256,
            "weights": self.weights.kind,
            "test_feature": self.card.test_feature,
            "dtype": self.dtype,
            "preprocess": self.preprocess_config(),
            **self._random_init_sie(),
        }

    def _random_init_sie(self) -> dict[str, Any]:
        """A checkpoint's hash fixes its SIE size; a random-init network's comes from the card."""
        if self.weights.kind != "random-init":
            return {}
        sie = self.sie
        return {"sie_cameras": sie.cameras} if sie is not None else {}

    # -- the test-time pipeline -----------------------------------------------------------------
    def preprocess(self, image: Image.Image) -> torch.Tensor:
        """One PIL image -> the ``float32`` tensor ``[3, H, W]`` the method's official test transform
        returns, and the input :meth:`encode_image` takes (the network adds no normalisation).

        ``convert("RGB")`` (grey replicated, alpha dropped) -> torchvision ``Resize((H, W))`` with the
        card's interpolation -> ``ToTensor`` -> ``Normalize(mean, std)`` (``mean-std``) or
        ``nn.InstanceNorm2d(3, affine=False)`` (``instance``: CMDG, CLIP-FGDI)."""
        import torch
        import torch.nn.functional as F

        height, width = self.card.input_size
        rgb = image.convert("RGB")
        if rgb.size != (width, height):
            rgb = rgb.resize((width, height), resample=_RESAMPLE[self.card.interpolation])
        array = np.asarray(rgb, dtype=np.uint8)
        tensor = torch.from_numpy(array.transpose(2, 0, 1).copy()).float().div(255)
        if self.normalization == "instance":  # exactly nn.InstanceNorm2d(3, affine=False) on [3, H, W]
            return F.instance_norm(tensor.unsqueeze(0), eps=1e-5).squeeze(0)
        if self.card.mean is not None:
            mean = torch.tensor(self.card.mean, dtype=torch.float32).view(3, 1, 1)
            std = torch.tensor(self.card.std or (1.0, 1.0, 1.0), dtype=torch.float32).view(3, 1, 1)
            tensor = (tensor - mean) / std
        return tensor

    def _autocast(self):
        import contextlib

        import torch

        if self.dtype == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=getattr(torch, _DTYPES[self.dtype]))

    def encode_image(self, batch: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        """Embeddings ``[B, D]`` (float32) of a preprocessed batch."""
        import torch

        if self.needs_camids and camids is None:
            raise ConfigError(f"method {self.name!r} needs camera ids for its camera embedding (SIE)")
        if self.needs_camids and len(camids):
            from harness.methods.sie import check_test_cameras

            check_test_cameras(self.name, self.sie, int(camids.max()))
        with torch.inference_mode(), self._autocast():
            batch = batch.to(self.device, non_blocking=True)
            cams = camids.to(self.device) if camids is not None else None
            features = self.model.encode_image(batch, cams)
        return features.float()

    def tokenize(self, texts: list[str]) -> torch.Tensor:
        if not self.has_text:
            raise ConfigError(f"method {self.name!r} has no text encoder")
        return self.model.tokenize(texts)

    def encode_text(self, texts: list[str]) -> torch.Tensor:
        """Text embeddings ``[B, D]`` (float32) of raw captions."""
        import torch

        tokens = self.tokenize(texts)
        with torch.inference_mode(), self._autocast():
            features = self.model.encode_text(tokens.to(self.device))
        return features.float()
