#!/usr/bin/env bash
# The FP8 linear kernels on a Hopper GPU, in two halves, because the GPU machine has CUDA and
# PyTorch but no LLVM/MLIR:
#
#   scripts/gpu-check.sh --prepare [DIR]   here (no GPU needed; CI runs it): builds axe-opt, the
#       mgpu* runtime and the checker; compiles the four Qwen3.5 linear shapes of
#       test/lowering/nvvm/fp8_linear_sm90a.mlir to sm_90a (TMA + wgmma e4m3, cubin inside the
#       host library) and stages everything the run needs in DIR (default build/gpu-check, at
#       most 64 MiB): the checker, its libraries (rpath $ORIGIN), the PTX, this script.
#   DIR/gpu-check.sh --run DIR OUT         on the GPU machine, from DIR alone (a few minutes):
#       compute-sanitizer memcheck over a small run; the full check on fresh random data against
#       the CPU quantization and a float64 reference (axe-gpu-check states the bounds), timed;
#       torch._scaled_mm (cuBLASLt, same shapes and scales) as the peer; ncu kernel durations
#       where ncu can read the GPU. Writes table.md and the logs to OUT; exits non-zero when a
#       check fails.
set -euo pipefail

prepare() {
  local root dir llvm work
  root=$(cd "$(dirname "$0")/.." && pwd)
  dir=${1:-$root/build/gpu-check}
  llvm=/usr/lib/llvm-22/bin
  "$root/scripts/build.sh" axe-opt axe_cuda_runtime axe-gpu-check
  rm -rf "$dir" && mkdir -p "$dir"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  "$root/build/bin/axe-opt" "$root/test/lowering/nvvm/fp8_linear_sm90a.mlir" \
    --axe-lower-fp8-linear-to-nvvm="chip=sm_90a" --axe-lower-to-nvvm="chip=sm_90a format=isa" \
    -o "$work/fp8-isa.mlir"
  # The PTX as ptxas reads it, for reading and for cuobjdump there.
  "$root/.venv/bin/python" - "$work/fp8-isa.mlir" "$dir/fp8_linear.ptx" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
ptx = re.search(r'assembly = "([^"]*)"', text).group(1)
open(sys.argv[2], "w").write(re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), ptx))
PY
  "$root/build/bin/axe-opt" "$root/test/lowering/nvvm/fp8_linear_sm90a.mlir" \
    --axe-lower-fp8-linear-to-nvvm="chip=sm_90a" --axe-lower-to-nvvm="chip=sm_90a format=bin" \
    -o "$work/fp8.mlir"
  "$llvm/mlir-translate" --mlir-to-llvmir "$work/fp8.mlir" -o "$work/fp8.ll"
  "$llvm/llc" -O3 -relocation-model=pic -filetype=obj "$work/fp8.ll" -o "$work/fp8.o"
  cp "$root/build/lib/libaxe_cuda_runtime.so" "$root/build/bin/axe-gpu-check" "$dir/"
  cc -shared -o "$dir/libfp8_linear.so" "$work/fp8.o" -L"$dir" -laxe_cuda_runtime \
    -Wl,-rpath,'$ORIGIN'
  cp "$root/scripts/gpu-check.sh" "$dir/"
  git -C "$root" describe --always --dirty >"$dir/COMMIT" 2>/dev/null || echo unknown >"$dir/COMMIT"
  local bytes
  bytes=$(du -sb "$dir" | cut -f1)
  if [ "$bytes" -gt $((64 * 1024 * 1024)) ]; then
    echo "gpu-check: $dir is $bytes bytes, over the 64 MiB a device run carries" >&2
    exit 1
  fi
  echo "gpu-check: prepared $dir ($((bytes / 1024)) KiB, $(cat "$dir/COMMIT")); on the GPU machine:"
  echo "  $dir/gpu-check.sh --run $dir OUT"
}

run() {
  local dir=$1 out=$2 status=0
  mkdir -p "$out"
  dir=$(cd "$dir" && pwd)
  {
    echo "# FP8 linear kernels (axe, sm_90a): GPU check"
    echo
    echo "- date: $(date -u +%F), build: $(cat "$dir/COMMIT")"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader |
      sed 's/^/- card: /' || echo "- card: nvidia-smi failed"
    echo
  } >"$out/table.md"

  echo "== compute-sanitizer memcheck (two shapes, M = 1 and 77)"
  if command -v compute-sanitizer >/dev/null; then
    if compute-sanitizer --tool memcheck --error-exitcode 3 "$dir/axe-gpu-check" \
        "$dir/libfp8_linear.so" --quick >"$out/memcheck.log" 2>&1; then
      echo "- compute-sanitizer memcheck: clean ($(grep -c '^|' "$out/memcheck.log") runs)" >>"$out/table.md"
    else
      status=1
      echo "- compute-sanitizer memcheck: FAILED (memcheck.log)" >>"$out/table.md"
    fi
    tail -n 5 "$out/memcheck.log"
  else
    echo "- compute-sanitizer: not on this machine" >>"$out/table.md"
  fi

  echo "== the check"
  "$dir/axe-gpu-check" "$dir/libfp8_linear.so" --out "$out/axe.md" 2>&1 | tee "$out/check.log" ||
    status=1
  { echo; cat "$out/axe.md" 2>/dev/null || echo "(the check wrote no table)"; } >>"$out/table.md"

  echo "== kernel durations (ncu)"
  if command -v ncu >/dev/null &&
      timeout 120 ncu --clock-control none --metrics gpu__time_duration.sum --csv \
        --log-file "$out/ncu.csv" "$dir/axe-gpu-check" "$dir/libfp8_linear.so" --quick \
        >"$out/ncu.log" 2>&1; then
    { echo; echo "## Kernel durations (ncu, --quick run)"; echo
      python3 - "$out/ncu.csv" <<'PY'
import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
head, body = rows[0], rows[1:]
k, v, u = head.index("Kernel Name"), head.index("Metric Value"), head.index("Metric Unit")
print("| kernel | duration |\n|---|---:|")
for r in body:
    print(f"| {r[k]} | {r[v]} {r[u]} |")
PY
    } >>"$out/table.md" || true
  else
    echo "- ncu: unavailable or failed (ncu.log)" >>"$out/table.md"
  fi

  echo "== the peer: torch._scaled_mm"
  if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
    python3 - >>"$out/table.md" <<'PY' || status=1
import torch
print("\n## torch._scaled_mm (cuBLASLt), same shapes, per-token x per-channel scales, bf16 out\n")
print("CUDA-event timed, median of 50 calls after 3 warm-ups; the weight set rotates over\n"
      "enough copies to exceed the 60 MB L2 where one is smaller.\n")
print("| N x K | M | time (us) | TFLOP/s | weight GB/s |\n|---|---:|---:|---:|---:|")
for n, k in [(8192, 2048), (512, 2048), (2048, 512), (2048, 4096)]:
    copies = max(1, (128 << 20) // (n * k))
    ws = [(torch.randn(n, k, device="cuda") * 0.02).to(torch.float8_e4m3fn) for _ in range(copies)]
    wscale = torch.rand(1, n, device="cuda") + 0.5
    for m in [1, 16, 77, 128, 4096]:
        mp = (m + 15) // 16 * 16  # cuBLASLt FP8 wants M a multiple of 16
        x = torch.randn(mp, k, device="cuda").to(torch.float8_e4m3fn)
        xs = torch.rand(mp, 1, device="cuda") + 0.5
        f = lambda w: torch._scaled_mm(x, w.t(), scale_a=xs, scale_b=wscale, out_dtype=torch.bfloat16)
        for i in range(3): f(ws[i % copies])
        times = []
        for i in range(50):
            a, b = torch.cuda.Event(True), torch.cuda.Event(True)
            a.record(); f(ws[i % copies]); b.record(); torch.cuda.synchronize()
            times.append(a.elapsed_time(b) * 1000)
        us = sorted(times)[len(times) // 2]
        print(f"| {n}x{k} | {m} | {us:.1f} | {2 * m * n * k / us / 1e6:.1f} | {n * k / us / 1e3:.0f} |")
PY
  else
    echo "- torch with CUDA not importable: no peer comparison" >>"$out/table.md"
  fi
  echo "== table ($out/table.md)"
  cat "$out/table.md"
  return $status
}

case "${1:-}" in
  --prepare) shift; prepare "$@" ;;
  --run)
    [ $# -eq 3 ] || { echo "usage: gpu-check.sh --run DIR OUT" >&2; exit 2; }
    run "$2" "$3" ;;
  *) echo "usage: scripts/gpu-check.sh --prepare [DIR] | --run DIR OUT" >&2; exit 2 ;;
esac
