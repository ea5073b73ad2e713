"""The family registry is lazy and lists every family."""

from __future__ import annotations

import os
import subprocess
import sys

from harness.models import FAMILIES

EXPECTED = {
    "clip-vit",
    "clip",
    "transreid-vit",
    "pat-vit",
    "dmf-vit",
    "solider-swin",
    "resnet50-bilstm",
    "hsv-hist",
    "attr-match",
}


def test_all_families_registered() -> None:
    assert set(FAMILIES.names()) == EXPECTED
    assert FAMILIES.canonical("clip-text") == "clip"
    assert FAMILIES.canonical("solider_swin") == "solider-swin"


def test_importing_the_registry_does_not_import_torch() -> None:
    code = "import sys, harness.models; print('torch' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
