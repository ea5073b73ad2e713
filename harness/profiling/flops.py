"""FLOPs at the aten level with ``torch.utils.flop_counter.FlopCounterMode``.

Convention: **FLOPs, one multiply-add = 2 FLOPs** (the counter's convention: a ``[M, K] @ [K, N]``
matmul is ``2 M K N``); halve for MACs. Counted: convolutions, matmuls (``mm``/``addmm``/``bmm``/
``baddbmm``) and attention. Bias additions, normalisation, activations and softmax are not counted
(they are a few percent of a ViT/ResNet forward). PyTorch's registry has no formula for the CPU
flash-attention kernel (``_scaled_dot_product_flash_attention_for_cpu``) nor the overridable fused
one, so ``F.scaled_dot_product_attention`` on CPU would count zero for attention; they are added
here with the registry's own SDPA formula so that CPU and GPU counts agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

COUNTER = "torch.utils.flop_counter.FlopCounterMode"
CONVENTION = "FLOPs (1 multiply-add = 2 FLOPs); conv, matmul and attention only"


def _sdpa_formula(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    from torch.utils.flop_counter import sdpa_flop_count

    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _extra_formulas() -> dict[Any, Callable]:
    import torch

    ops = ("_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_fused_attention_overrideable")
    return {getattr(torch.ops.aten, name): _sdpa_formula for name in ops if hasattr(torch.ops.aten, name)}


@dataclass
class FlopCount:
    """FLOPs of one call and how they were counted."""

    total: int
    by_op: dict[str, int] = field(default_factory=dict)
    counter: str = COUNTER
    convention: str = CONVENTION
    input: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "flops": self.total,
            "gflops": self.total / 1e9,
            "by_op": self.by_op,
            "counter": self.counter,
            "convention": self.convention,
            "input": self.input,
        }


def count_flops(fn: Callable[[], Any], *, input_desc: str = "") -> FlopCount:
    """FLOPs of calling ``fn()`` once (run it under ``inference_mode`` yourself if wanted)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False, custom_mapping=_extra_formulas()) as counter, torch.inference_mode():
        fn()
    by_op = {
        str(op).removeprefix("aten."): int(n) for op, n in counter.get_flop_counts().get("Global", {}).items()
    }
    return FlopCount(total=int(counter.get_total_flops()), by_op=by_op, input=input_desc)
