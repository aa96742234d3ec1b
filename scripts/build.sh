#!/usr/bin/env bash
# Configures (once) and builds axe with Ninja against LLVM/MLIR 22. Incremental: only what changed
# is rebuilt. BUILD_DIR (default: build) and AXE_SANITIZE=1 (ASan+UBSan, in build-asan) select
# the build tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${AXE_SANITIZE:-0}" = 1 ]; then
  # -O1, ASan's usual level: asserts stay on, and the checked suite runs in a fraction of -O0's
  # time: at -O0 CI ran past its 90 minutes inside this build's pytest; at -O1 that stage takes 8 min.
  build=${BUILD_DIR:-$root/build-asan}
  extra=(-DAXE_ENABLE_SANITIZERS=ON -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1")
else
  build=${BUILD_DIR:-$root/build}; extra=(-DCMAKE_BUILD_TYPE=Release)
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" "${extra[@]}" \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit -DPython3_EXECUTABLE="$root/.venv/bin/python"
fi
ninja -C "$build" "$@"
