"""Parameter counts, per tower.

A tower's parameters are those autograd reaches from its embedding: one forward pass with gradients
on a blank input, ``sum().backward()``, and every parameter that received a gradient is counted.
Parameters shared by both towers (e.g. a logit scale used in both) count in each; ``total`` counts
every parameter of the network once, including heads unused at test time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def count_parameters(model) -> int:
    """Number of parameters of ``model`` (each shared tensor once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def reached_parameters(model, forward: Callable[[], Any]) -> int:
    """Parameters of ``model`` that receive a gradient from ``forward()``'s output."""
    import torch

    params = list({id(p): p for p in model.parameters()}.values())
    saved = [(p.requires_grad, p.grad) for p in params]
    try:
        for p in params:
            p.requires_grad_(True)
            p.grad = None
        with torch.enable_grad():
            out = forward()
            if isinstance(out, torch.Tensor) and out.requires_grad:
                out.float().sum().backward()
        return sum(p.numel() for p in params if p.grad is not None)
    finally:
        for p, (flag, grad) in zip(params, saved, strict=True):
            p.grad = grad
            p.requires_grad_(flag)


def tower_parameters(method, input_size: tuple[int, int] | None = None, text: str = "a person") -> dict:
    """``{"total", "image", "text"}`` parameter counts of a loaded method (``text`` None if absent)."""
    import torch

    model = method.model
    height, width = input_size or method.input_size
    image = torch.zeros(1, 3, height, width, device=method.device)
    camids = torch.zeros(1, dtype=torch.long, device=method.device) if method.needs_camids else None
    counts: dict[str, int | None] = {
        "total": count_parameters(model),
        "image": reached_parameters(model, lambda: model.encode_image(image, camids)),
        "text": None,
    }
    if method.has_text:
        tokens = method.tokenize([text]).to(method.device)
        counts["text"] = reached_parameters(model, lambda: model.encode_text(tokens))
    return counts
