#!/usr/bin/env bash
# Downloads, here, the wheels that benchmarks/gpu_check.sh installs on the GPU machine (Python 3.12,
# x86-64, no package index there) into .whl/ (git-ignored). Versions follow constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .whl
pin() { grep -i "^$1==" constraints.txt | head -n 1 || true; }
for spec in "$(pin pydantic)" pydantic-core annotated-types typing-inspection "$(pin platformdirs)"; do
  [ -n "$spec" ] || continue
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform any -d .whl "$spec"
done
ls -1 .whl
