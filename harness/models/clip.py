"""Two-tower CLIP (image + text) in the OpenAI parameter layout.

Used by IRRA and DGCMIA (``anosorae/IRRA@cfc2378:model/clip_model.py``: non-square image grid,
checkpoint keys under ``base_model.``) and by the zero-shot ``clip`` baseline (open_clip's
QuickGELU models share this layout and add ``logit_scale``). Computation:

* image: the :class:`~harness.models.clip_vit.CLIPVisionTower` (``visual.*``); embedding =
  ``(ln_post(tokens) @ proj)[:, 0]`` (``test_feature: proj``) or ``ln_post(CLS)`` (``cls``);
* text: ``token_embedding`` + ``positional_embedding`` -> causal ``transformer`` -> ``ln_final``
  -> ``@ text_projection`` on all tokens -> the row at the EOT token (``argmax`` of the ids);
* ``precision: fp16`` applies IRRA's ``convert_weights`` at build time (conv/linear/attention
  weights, ``proj`` and ``text_projection`` in half; LayerNorms stay fp32 and compute in fp32),
  so loading a checkpoint copies values into the same dtypes as the official model;
* with ``precision: fp16`` autocast is disabled inside ``encode_*`` (the official code runs the
  half weights directly), so a caller's autocast cannot change the arithmetic;
* ``output_fp32`` (default true) casts embeddings with ``.float()`` as IRRA's ``encode_image`` /
  ``encode_text`` do; DGCMIA returns fp16 features (``output_fp32: false``).

Tokenisation uses open_clip's bundled OpenAI BPE tokenizer (same vocabulary and cleaning as
OpenAI's ``SimpleTokenizer``): ``[SOT] + bpe + [EOT]`` zero-padded to ``context_length``; longer
captions are truncated to ``context_length`` with EOT forced last (IRRA's ``truncate=True``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from harness.errors import ConfigError
from harness.models._config import FamilyConfig, check_image_batch
from harness.models.clip_vit import CLIPVisionTower, LayerNorm, Transformer

FAMILY = "clip"


def convert_weights_fp16(model: nn.Module) -> None:
    """IRRA's ``convert_weights``: half precision for conv/linear/attention weights and projections."""

    def _convert(layer: nn.Module) -> None:
        if isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            layer.weight.data = layer.weight.data.half()
            if layer.bias is not None:
                layer.bias.data = layer.bias.data.half()
        if isinstance(layer, nn.MultiheadAttention):
            for attr in [
                "in_proj_weight",
                "q_proj_weight",
                "k_proj_weight",
                "v_proj_weight",
                "in_proj_bias",
                "bias_k",
                "bias_v",
            ]:
                tensor = getattr(layer, attr)
                if tensor is not None:
                    tensor.data = tensor.data.half()
        for name in ["text_projection", "proj"]:
            attr = getattr(layer, name, None)
            if isinstance(attr, torch.Tensor):
                attr.data = attr.data.half()

    model.apply(_convert)


class CLIPModel(nn.Module):
    """OpenAI-layout CLIP with both towers; ``encode_image`` / ``encode_text`` give test embeddings."""

    def __init__(
        self,
        *,
        input_size: tuple[int, int],
        patch_size: int,
        stride_size: int,
        vision_width: int,
        vision_layers: int,
        vision_heads: int,
        embed_dim: int,
        context_length: int,
        vocab_size: int,
        text_width: int,
        text_layers: int,
        text_heads: int,
        logit_scale: bool,
        need_weights: bool,
        test_feature: str,
        output_fp32: bool,
        drop_keys: tuple[str, ...],
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.context_length = context_length
        self.visual = CLIPVisionTower(
            input_size,
            patch_size,
            stride_size,
            vision_width,
            vision_layers,
            vision_heads,
            embed_dim,
            need_weights,
        )
        self.transformer = Transformer(
            text_width,
            text_layers,
            text_heads,
            attn_mask=self._causal_mask(context_length),
            need_weights=need_weights,
        )
        self.vocab_size = vocab_size
        self.token_embedding = nn.Embedding(vocab_size, text_width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, text_width))
        self.ln_final = LayerNorm(text_width)
        self.text_projection = nn.Parameter(torch.empty(text_width, embed_dim))
        if logit_scale:
            self.logit_scale = nn.Parameter(torch.ones([]) * 4.6052)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        nn.init.normal_(self.text_projection, std=text_width**-0.5)
        self.test_feature = test_feature
        self.output_fp32 = output_fp32
        self.native_fp16 = False
        self.training_only_keys = list(drop_keys)
        self.feature_dim = embed_dim if test_feature == "proj" else vision_width
        self.text_feature_dim = embed_dim
        self.needs_camids = False
        self.mask_token_id: int | None = None  # the card's ``mask_token_id`` (set by ``build``)

    @staticmethod
    def _causal_mask(length: int) -> torch.Tensor:
        mask = torch.empty(length, length)
        mask.fill_(float("-inf"))
        return mask.triu_(1)

    @property
    def mask_token(self) -> str | None:
        """The text this family's tokenizer turns into exactly ``[mask_token_id]``, else None.

        IRRA's masked language modelling (``anosorae/IRRA:datasets/bases.py``) replaces tokens with
        ``<|mask|>``, id 49405 of IRRA's ``SimpleTokenizer``, which drops the last BPE merge
        (``jekyll</w>``) to make room for it (the vocabulary stays 49,408). open_clip's tokenizer
        has no ``<|mask|>``: its id 49405 is that merge, so the word ``jekyll`` is the text that
        reaches IRRA's mask embedding. Cards without ``mask_token_id`` (zero-shot CLIP has no mask
        token) give None, and query masking uses its documented fallback.
        """
        if self.mask_token_id is None:
            return None
        tokenizer = _tokenizer(self.context_length)
        piece = tokenizer.decoder.get(self.mask_token_id, "")
        if not piece.endswith("</w>"):
            return None
        text = piece.removesuffix("</w>")
        return text if tokenizer.encode(text) == [self.mask_token_id] else None

    @property
    def dtype(self) -> torch.dtype:
        return self.visual.conv1.weight.dtype

    def _out(self, x: torch.Tensor) -> torch.Tensor:
        return x.float() if self.output_fp32 else x

    def _no_autocast(self) -> torch.autocast:
        """IRRA/DGCMIA run their fp16 weights without autocast; keep that arithmetic exactly."""
        device = "cuda" if self.visual.conv1.weight.is_cuda else "cpu"
        return torch.autocast(device_type=device, enabled=not self.native_fp16)

    def encode_image(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        """Image embedding (``camids`` ignored); before L2 normalisation."""
        check_image_batch(FAMILY, images, self.input_size)
        with self._no_autocast():
            feats, feats_proj = self.visual.tokens(images.type(self.dtype))
        return self._out(feats_proj[:, 0] if self.test_feature == "proj" else feats[:, 0])

    def encode_text(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Text embedding at the EOT position (``argmax`` of the ids) after ``text_projection``."""
        if token_ids.ndim != 2 or token_ids.shape[1] != self.context_length:
            raise ConfigError(
                f"family {FAMILY!r}: expected token ids of shape [B, {self.context_length}], "
                f"got {list(token_ids.shape)}"
            )
        with self._no_autocast():
            x = self.token_embedding(token_ids).type(self.dtype)
            x = x + self.positional_embedding.type(self.dtype)
            x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
            x = self.ln_final(x).type(self.dtype)
            x = x @ self.text_projection
        return self._out(x[torch.arange(x.shape[0]), token_ids.argmax(dim=-1)])

    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        """OpenAI BPE token ids ``[B, context_length]`` (truncate, EOT forced last)."""
        return tokenize(texts, self.context_length, self.vocab_size)

    def forward(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        return self.encode_image(images, camids)


def tokenize(texts: Sequence[str], context_length: int = 77, vocab_size: int = 49408) -> torch.Tensor:
    """Tokenise with open_clip's bundled OpenAI BPE vocabulary (no download needed)."""
    if isinstance(texts, str):
        texts = [texts]
    tokenizer = _tokenizer(context_length)
    ids = tokenizer(list(texts), context_length=context_length)
    if int(ids.max()) >= vocab_size:
        raise ConfigError(
            f"family {FAMILY!r}: the OpenAI BPE tokenizer produced id {int(ids.max())}, but the model's "
            f"vocab_size is {vocab_size}; use the OpenAI vocabulary size 49408"
        )
    return ids


_TOKENIZERS: dict[int, Any] = {}


def _tokenizer(context_length: int) -> Any:
    from open_clip.tokenizer import SimpleTokenizer

    if context_length not in _TOKENIZERS:
        _TOKENIZERS[context_length] = SimpleTokenizer(context_length=context_length)
    return _TOKENIZERS[context_length]


def build(config: Mapping[str, Any]) -> CLIPModel:
    """Build the two-tower CLIP from a family config (random init, no download)."""
    cfg = FamilyConfig(FAMILY, config)
    patch = cfg.int("patch_size", 16, minimum=1)
    precision = cfg.str("precision", "fp32", choices=("fp32", "fp16"))
    model = CLIPModel(
        input_size=cfg.pair("input_size"),
        patch_size=patch,
        stride_size=cfg.int("stride_size", patch, minimum=1),
        vision_width=cfg.int("width", 768, minimum=1),
        vision_layers=cfg.int("layers", 12, minimum=1),
        vision_heads=cfg.int("heads", 12, minimum=1),
        embed_dim=cfg.int("output_dim", 512, minimum=1),
        context_length=cfg.int("context_length", 77, minimum=2),
        vocab_size=cfg.int("vocab_size", 49408, minimum=3),
        text_width=cfg.int("text_width", 512, minimum=1),
        text_layers=cfg.int("text_layers", 12, minimum=1),
        text_heads=cfg.int("text_heads", 8, minimum=1),
        logit_scale=cfg.bool("logit_scale", False),
        need_weights=cfg.bool("attn_need_weights", False),
        test_feature=cfg.str("test_feature", "proj", choices=("proj", "cls")),
        output_fp32=cfg.bool("output_fp32", True),
        drop_keys=cfg.str_list("drop_keys", ()),
    )
    if config.get("mask_token_id") is not None:
        model.mask_token_id = cfg.int("mask_token_id", minimum=0)
    if precision == "fp16":
        convert_weights_fp16(model)
        model.native_fp16 = True
    return model.eval()
