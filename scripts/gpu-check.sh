#!/usr/bin/env bash
# The FP8 linear kernels on a Hopper GPU (<= 8 minutes on an H200, from a clean tree): builds
# axe-opt, the mgpu* runtime and the checker; compiles the four Qwen3.5 linear shapes of
# test/lowering/nvvm/fp8_linear_sm90a.mlir to sm_90a (TMA + wgmma e4m3) and links their host code
# into a library; runs it on fresh random data against the CPU quantization and a float64
# reference (axe-gpu-check states the bounds), times it, and compares torch._scaled_mm (cuBLASLt,
# same scales) when a CUDA torch is importable. The table goes to bench/results/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
llvm=/usr/lib/llvm-22/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$root/scripts/build.sh" axe-opt axe_cuda_runtime axe-gpu-check
"$root/build/bin/axe-opt" "$root/test/lowering/nvvm/fp8_linear_sm90a.mlir" \
  --axe-lower-fp8-linear-to-nvvm="chip=sm_90a" --axe-lower-to-nvvm="chip=sm_90a format=bin" \
  -o "$work/fp8.mlir"
"$llvm/mlir-translate" --mlir-to-llvmir "$work/fp8.mlir" -o "$work/fp8.ll"
"$llvm/llc" -O3 -relocation-model=pic -filetype=obj "$work/fp8.ll" -o "$work/fp8.o"
cc -shared -o "$work/libfp8_linear.so" "$work/fp8.o" -L"$root/build/lib" -laxe_cuda_runtime \
  -Wl,-rpath,"$root/build/lib"

mkdir -p "$root/bench/results"
out="$root/bench/results/gpu_check_$(date -u +%F).md"
status=0
"$root/build/bin/axe-gpu-check" "$work/libfp8_linear.so" --out "$out" || status=$?

# The peer in the same run: torch._scaled_mm on the same shapes, per-token x per-channel scales.
py=$(command -v python3 || true)
[ -x "$root/.venv/bin/python" ] && py="$root/.venv/bin/python"
if [ -n "$py" ] && "$py" -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  "$py" - "$out" <<'PY'
import sys, torch
rows = ["", "## torch._scaled_mm (cuBLASLt), same shapes and scales", "",
        "| N x K | M | time (us) | TFLOP/s |", "|---|---:|---:|---:|"]
for n, k in [(8192, 2048), (512, 2048), (2048, 512), (2048, 4096)]:
    w = (torch.randn(n, k, device="cuda") * 0.02).to(torch.float8_e4m3fn)
    ws = torch.rand(1, n, device="cuda") + 0.5
    for m in [1, 16, 128, 4096]:
        mp = max(16, m)  # cuBLASLt FP8 wants M a multiple of 16
        x = torch.randn(mp, k, device="cuda").to(torch.float8_e4m3fn)
        xs = torch.rand(mp, 1, device="cuda") + 0.5
        f = lambda: torch._scaled_mm(x, w.t(), scale_a=xs, scale_b=ws, out_dtype=torch.bfloat16)
        for _ in range(3): f()
        torch.cuda.synchronize(); start, end = torch.cuda.Event(True), torch.cuda.Event(True)
        start.record()
        for _ in range(50): f()
        end.record(); torch.cuda.synchronize()
        us = start.elapsed_time(end) * 1000 / 50
        rows.append(f"| {n}x{k} | {m} | {us:.1f} | {2 * mp * n * k / us / 1e6:.1f} |")
print("\n".join(rows)); open(sys.argv[1], "a").write("\n".join(rows) + "\n")
PY
else
  echo "torch with CUDA not importable here: no peer comparison" | tee -a "$out"
fi
echo "table: $out"
exit $status
