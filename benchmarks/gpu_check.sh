#!/usr/bin/env bash
# One prepared GPU check of every GPU target (benchmarks/gpu_check.py says what it measures).
#
#   bash benchmarks/gpu_check.sh [--dry-run] [--out DIR]
#
# On the lent GPU machine there is no package index: the packages its image lacks (pydantic and its
# parts, platformdirs, open_clip_torch, ftfy, wcwidth) travel as wheels in .whl/ (made here by
# `bash benchmarks/gpu_wheels.sh`) and are installed from there with --no-index; nothing is
# downloaded. --dry-run runs the same steps on CPU at tiny sizes (CI runs it, so the script cannot rot).
# The JSON and Markdown summaries go to --out, else $OUT (the device machine's return folder), else
# ./gpu-check-out.
set -euo pipefail
cd "$(dirname "$0")/.."
dry=()
out="${OUT:-gpu-check-out}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=(--dry-run) ;;
    --out) out="$2"; shift ;;
    *) echo "gpu_check.sh: unknown option $1 (expected --dry-run or --out DIR)" >&2; exit 2 ;;
  esac
  shift
done
py="${PYTHON:-python3}"
if compgen -G ".whl/*.whl" >/dev/null; then
  site="$(mktemp -d)/site"
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" .whl/*.whl
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
missing=$("$py" - <<'PY'
import importlib.util
need = ["torch", "torchvision", "timm", "numpy", "pandas", "pydantic", "yaml", "rich", "typer", "safetensors",
        "filelock", "platformdirs", "PIL"]
print(" ".join(n for n in need if importlib.util.find_spec(n) is None))
PY
)
if [ -n "$missing" ]; then
  echo "gpu_check.sh: missing Python packages: $missing (carry them as wheels in .whl/: bash benchmarks/gpu_wheels.sh)" >&2
  exit 2
fi
exec "$py" benchmarks/gpu_check.py "${dry[@]}" --out "$out"
