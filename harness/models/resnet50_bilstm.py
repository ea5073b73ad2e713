"""CMMT's ResNet-50 + BiLSTM two-branch model (``X-BrainLab/WS_Text-ReID``, ``models/model.py``).

Parameter names equal the released checkpoint's ``network`` dict after stripping ``module.``:
``image_model.*`` (ResNet-50 with torchvision's names; its unused ImageNet head ``image_model.fc``
is training-only), ``bilstm.embed.weight``, ``bilstm.bilstm.0.weight_{ih,hh}_l{0,1}[_reverse]``
(2-layer bidirectional LSTM without biases), ``conv_images``, ``conv_text`` (1x1 convs to
``feature_size``) and ``bottleneck_image`` / ``bottleneck_text`` (BatchNorm1d, eval statistics).

* image: ``bottleneck_image(conv_images(avgpool(resnet50(x))))`` (512-d);
* text: word ids -> embedding -> packed BiLSTM over the valid tokens -> ``conv_text`` applied to
  each valid token -> max over tokens -> ``bottleneck_text`` (512-d). The valid length of a row is
  its number of non-zero ids (0 is padding, as in the official ``padding_idx=0``).

Tokenisation: the official code reads pre-tokenised ids from CMPL's preprocessed pickles; no
raw-text tokenizer is released. :meth:`ResNet50BiLSTM.tokenize` therefore needs a local
vocabulary (``vocab_file``: a JSON object mapping word -> id, built from CMPL's word index) and
splits lower-cased text into words and punctuation; this is an assumption, documented as such.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from harness.errors import ConfigError
from harness.models._config import FamilyConfig, check_image_batch

FAMILY = "resnet50-bilstm"
_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


class ResNetTrunk(nn.Module):
    """torchvision ResNet with Bottleneck blocks, returning the ``layer4`` feature map."""

    def __init__(self, layers: tuple[int, int, int, int]) -> None:
        super().__init__()
        from torchvision.models.resnet import Bottleneck, ResNet

        net = ResNet(Bottleneck, list(layers))
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class TextBiLSTM(nn.Module):
    """``BiLSTM`` of the official code: ``embed`` + ``bilstm`` (a ModuleList holding one LSTM)."""

    def __init__(self, vocab_size: int, embedding_size: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_size, padding_idx=0)
        self.bilstm = nn.ModuleList(
            [nn.LSTM(embedding_size, hidden, num_layers=2, dropout=0.0, bidirectional=True, bias=False)]
        )

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        embed = self.embed(ids)
        _, idx_sort = torch.sort(lengths, dim=0, descending=True)
        _, idx_unsort = torch.sort(idx_sort, dim=0)
        packed = nn.utils.rnn.pack_padded_sequence(
            embed.index_select(0, idx_sort), lengths[idx_sort].long().cpu(), batch_first=True
        )
        out, _ = self.bilstm[0](packed)
        out = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)[0]
        return out.index_select(0, idx_unsort)


class ResNet50BiLSTM(nn.Module):
    """CMMT's image and text branches; both return BN'd 512-d embeddings."""

    def __init__(
        self,
        *,
        input_size: tuple[int, int],
        resnet_layers: tuple[int, int, int, int],
        vocab_size: int,
        embedding_size: int,
        lstm_units: int,
        feature_size: int,
        max_length: int,
        vocab_file: str | None,
        drop_keys: tuple[str, ...],
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.image_model = ResNetTrunk(resnet_layers)
        self.bilstm = TextBiLSTM(vocab_size, embedding_size, lstm_units)
        self.conv_images = nn.Conv2d(2048, feature_size, 1)
        self.conv_text = nn.Conv2d(2 * lstm_units, feature_size, 1)
        self.bottleneck_image = nn.BatchNorm1d(feature_size)
        self.bottleneck_text = nn.BatchNorm1d(feature_size)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.max_length = max_length
        self.vocab_size = vocab_size
        self.vocab_file = vocab_file
        self._vocab: dict[str, int] | None = None
        self.test_feature = "bn_proj"
        self.training_only_keys = list(drop_keys)
        self.feature_dim = feature_size
        self.text_feature_dim = feature_size
        self.needs_camids = False

    def encode_image(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        """``bottleneck_image(conv_images(avgpool(layer4)))`` (``camids`` ignored)."""
        check_image_batch(FAMILY, images, self.input_size)
        fmap = self.avgpool(self.image_model(images))
        return self.bottleneck_image(torch.flatten(self.conv_images(fmap), 1))

    def encode_text(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Max over valid tokens of ``conv_text(BiLSTM)``, then ``bottleneck_text``."""
        if token_ids.ndim != 2:
            raise ConfigError(
                f"family {FAMILY!r}: expected token ids of shape [B, L], got {list(token_ids.shape)}"
            )
        lengths = (token_ids != 0).sum(dim=1)
        if bool((lengths == 0).any()):
            raise ConfigError(f"family {FAMILY!r}: a caption has no tokens (all ids are padding 0)")
        states = self.bilstm(token_ids, lengths)
        pooled = states.new_zeros(states.shape[0], self.conv_text.out_channels)
        for i in range(states.shape[0]):
            tokens = states[i][: int(lengths[i])].unsqueeze(2).unsqueeze(2)
            pooled[i] = torch.max(self.conv_text(tokens), dim=0)[0].squeeze()
        return self.bottleneck_text(pooled)

    def _load_vocab(self) -> dict[str, int]:
        if self._vocab is not None:
            return self._vocab
        if not self.vocab_file:
            raise ConfigError(
                f"family {FAMILY!r}: text encoding needs a local vocabulary (config key 'vocab_file': a "
                "JSON object word -> id built from CMPL's preprocessed word index); none is configured, "
                "and it cannot be downloaded"
            )
        path = Path(self.vocab_file).expanduser()
        try:
            vocab = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"family {FAMILY!r}: cannot read vocabulary file {path}: {exc}") from exc
        if not isinstance(vocab, dict) or not all(isinstance(v, int) for v in vocab.values()):
            raise ConfigError(f"family {FAMILY!r}: vocabulary file {path} must map words to integer ids")
        bad = [w for w, i in vocab.items() if not 0 < i < self.vocab_size]
        if bad:
            raise ConfigError(
                f"family {FAMILY!r}: vocabulary file {path} has ids outside 1..{self.vocab_size - 1} "
                f"(0 is padding), e.g. for {bad[:5]}"
            )
        self._vocab = vocab
        return vocab

    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        """Word ids ``[B, max_length]``, zero-padded; unknown words map to ``<unk>`` if the vocab has it."""
        vocab = self._load_vocab()
        unk = vocab.get("<unk>", vocab.get("UNK"))
        rows = []
        for text in [texts] if isinstance(texts, str) else texts:
            ids = []
            for word in _WORD.findall(text.lower()):
                if word in vocab:
                    ids.append(vocab[word])
                elif unk is not None:
                    ids.append(unk)
                else:
                    raise ConfigError(
                        f"family {FAMILY!r}: word {word!r} is not in {self.vocab_file} and the vocabulary "
                        "has no '<unk>' entry"
                    )
            rows.append(ids[: self.max_length] or [unk if unk is not None else 0])
        out = torch.zeros(len(rows), self.max_length, dtype=torch.long)
        for i, ids in enumerate(rows):
            out[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return out

    def forward(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        return self.encode_image(images, camids)


def build(config: Mapping[str, Any]) -> ResNet50BiLSTM:
    """Build CMMT's model from a family config (random init, no ImageNet or embedding files)."""
    cfg = FamilyConfig(FAMILY, config)
    layers = cfg.int_list("resnet_layers", [3, 4, 6, 3], length=4)
    cfg.str("test_feature", "bn_proj", choices=("bn_proj",))
    model = ResNet50BiLSTM(
        input_size=cfg.pair("input_size"),
        resnet_layers=(layers[0], layers[1], layers[2], layers[3]),
        vocab_size=cfg.int("vocab_size", 4092, minimum=2),
        embedding_size=cfg.int("embedding_size", 768, minimum=1),
        lstm_units=cfg.int("lstm_units", 512, minimum=1),
        feature_size=cfg.int("feature_size", 512, minimum=1),
        max_length=cfg.int("max_length", 100, minimum=1),
        vocab_file=cfg.optional_str("vocab_file"),
        drop_keys=cfg.str_list("drop_keys", ()),
    )
    return model.eval()
