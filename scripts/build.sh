#!/usr/bin/env bash
# Configures (once) and builds axe with Ninja against LLVM/MLIR 22. Incremental: only what changed
# is rebuilt. BUILD_DIR (default: build) and AXE_SANITIZE=1 (ASan+UBSan, in build-asan) select
# the build tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${AXE_SANITIZE:-0}" = 1 ]; then
  build=${BUILD_DIR:-$root/build-asan}; extra=(-DAXE_ENABLE_SANITIZERS=ON -DCMAKE_BUILD_TYPE=Debug)
else
  build=${BUILD_DIR:-$root/build}; extra=(-DCMAKE_BUILD_TYPE=Release)
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" "${extra[@]}" \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit -DPython3_EXECUTABLE="$root/.venv/bin/python"
fi
ninja -C "$build" "$@"
