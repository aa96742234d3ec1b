#!/usr/bin/env bash
# axe on a Hopper GPU, in two halves, because the GPU machine has CUDA and PyTorch but no
# LLVM/MLIR:
#
#   scripts/gpu-check.sh --prepare [DIR]   here (no GPU needed; CI runs it) stages in DIR (default
#       build/gpu-check, at most 64 MiB) everything the run needs:
#       - fp8: the four Qwen3.5 linear shapes of test/lowering/nvvm/fp8_linear_sm90a.mlir compiled
#         to sm_90a (TMA + wgmma e4m3, cubin inside the host library), the mgpu* runtime and
#         axe-gpu-check (rpath $ORIGIN), the PTX;
#       - model: axe-run and the libraries it needs (bin/), tiny-trained compiled with
#         --target cpu,sm_90a under the f32, bf16 and default maps (BF16 KV cache) and the default
#         map with an FP8 KV cache, the checkpoint, token ids in its language, and each
#         artifact's CPU logits on them (axe-run eval --save-logits);
#       - decode: the Qwen3.5-35B-A3B config cut to its first 4 layers (3 Gated DeltaNet, 1 gated
#         attention: every kind of layer at the real widths) compiled with --synthetic-weights, so
#         the weights (5 GB) are made by axe-run at load and only the kernels travel.
#   DIR/gpu-check.sh --run DIR OUT [PART...]   on the GPU machine, from DIR alone (a few minutes);
#       PARTs: fp8, model, decode (default all).
#       - fp8: compute-sanitizer memcheck over a small run; the full check on fresh random data
#         against the CPU quantization and a float64 reference (axe-gpu-check states the bounds),
#         timed; torch._scaled_mm (cuBLASLt, same shapes and scales) as the peer; ncu kernel
#         durations where ncu can read the GPU.
#       - model: each artifact on --device cuda against its own CPU logits (f32: max |diff| <= 1e-3
#         of max |logit|; the others: mean KL <= 1e-3 and top-1 >= 97 %, the CPU tests' bounds),
#         the f32 artifact against transformers on the same GPU, greedy tokens equal to the CPU's,
#         and compute-sanitizer memcheck over one prefill and one decode step.
#       - decode: axe-run bench on --device cuda at batch 1, 8 and 64 (one-token prompts, 16
#         tokens each, every dispatch timed with CUDA events): time per layer, the 40-layer model
#         extrapolated, the HBM roofline (4.8 TB/s), and each kernel family against torch on the
#         same shapes (scripts/gpu_check_decode.py).
#       Writes table.md and the logs to OUT; exits non-zero when a check fails.
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
  cp "$root/scripts/gpu-check.sh" "$root/scripts/gpu_check_decode.py" "$dir/"
  prepare_model "$root" "$dir"
  prepare_decode "$root" "$dir"
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

# The model-level part of --prepare: artifacts with both targets, ids, CPU logits, axe-run.
prepare_model() {
  local root=$1 dir=$2 models py a
  models=${AXE_TEST_MODELS:-$root/build/test-models}
  py=$root/.venv/bin/python
  "$root/scripts/build.sh" axe-compile axe-run
  "$py" "$root/test/models/make_test_models.py" --out "$models" --only tiny-trained
  mkdir -p "$dir/bin" "$dir/artifacts" "$dir/ref" "$dir/models"
  cp "$root/build/bin/axe-run" "$dir/bin/"
  # The shared libraries axe-run needs beyond the C/C++ runtime, for a machine that may lack them.
  ldd "$root/build/bin/axe-run" | awk '$3 ~ /^\// {print $3}' |
    grep -v -E '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' | xargs -r cp -L -t "$dir/bin/"
  cp -r "$models/tiny-trained" "$dir/models/"
  cp "$root/tools/reference-logits/reference_logits.py" "$dir/"
  # 4 windows of 64 tokens in the language tiny-trained learned: eval runs them as 4 sequences
  # in one step, which exercises the paged KV cache with several block tables.
  PYTHONPATH="$root/test/models" "$py" -c "
import numpy as np, sys
from synthetic_language import Language
ids = Language(512).sample(4, 64, np.random.default_rng(7)).reshape(-1)
open(sys.argv[1], 'w').write(' '.join(map(str, ids)) + '\n')" "$dir/ref/ids.txt"
  for a in f32:f32: bf16:bf16: default:default: default-fp8kv:default:fp8; do
    IFS=: read -r name policy kv <<<"$a"
    "$root/build/bin/axe-compile" "$models/tiny-trained" --precision="$policy" ${kv:+--kv-cache=$kv} \
      --target cpu,sm_90a -o "$dir/artifacts/$name.axe" 2>"$dir/artifacts/$name.log"
    "$root/build/bin/axe-run" eval "$dir/artifacts/$name.axe" --reference "$dir/artifacts/$name.axe" \
      --ids "$dir/ref/ids.txt" --ctx 64 --save-logits "$dir/ref/$name-cpu.safetensors" >/dev/null
  done
}

# The decode part of --prepare: the 35B config's first four layers, synthetic weights.
prepare_decode() {
  local root=$1 dir=$2 full=$1/test/models/data/qwen3.5-35b-a3b.config.json
  cp "$full" "$dir/models/"
  "$root/.venv/bin/python" - "$full" "$dir/models/qwen3.5-35b-a3b-4-layers.config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
text = config["text_config"]
text["num_hidden_layers"] = 4
text["layer_types"] = text["layer_types"][:4]
assert sorted(set(text["layer_types"])) == ["full_attention", "linear_attention"]
json.dump(config, open(sys.argv[2], "w"), indent=1)
PY
  "$root/build/bin/axe-compile" --config-only "$dir/models/qwen3.5-35b-a3b-4-layers.config.json" \
    --synthetic-weights 7 --target cpu,sm_90a --cpu-targets x86-64-v3 -o "$dir/artifacts/synthetic-35b.axe" \
    2>"$dir/artifacts/synthetic-35b.log"
}

# The decode part of --run: batch 1, 8 and 64 at the 35B widths, and the torch peers.
run_decode() {
  local dir=$1 out=$2 device=${AXE_GPU_CHECK_DEVICE:-cuda} py=${AXE_GPU_CHECK_PYTHON:-python3} status=0 work
  local log="$out/decode.log" runs=() batches=${AXE_GPU_CHECK_BATCHES:-1 8 64} tokens=16 b
  work=$(mktemp -d)
  echo "== decode at the 35B widths on --device $device (batches $batches)" | tee -a "$log"
  for b in $batches; do
    # One-token prompts: every step is a decode step of b sequences; 16 tokens each.
    if timeout 180 env LD_LIBRARY_PATH="$dir/bin" "$dir/bin/axe-run" bench "$dir/artifacts/synthetic-35b.axe" \
         --device "$device" -p 0 -n 0 -c "$b" --serve-prompt 1 --serve-tokens $tokens --rounds 1 \
         --max-model-len 64 --max-num-seqs "$b" --format json --profile-json "$work/profile-$b.json" \
         >"$work/bench-$b.json" 2>>"$log"; then
      runs+=(--run "$b:$work/profile-$b.json:$work/bench-$b.json")
      cp "$work/profile-$b.json" "$out/decode-profile-$b.json"
    else
      echo "- decode at batch $b: FAILED or timed out (decode.log)" >>"$out/table.md"; status=1
    fi
  done
  local peers=(--peers --device "$device")
  [ "$device" = cuda ] || peers=(--peers --device cpu)
  if [ ${#runs[@]} -gt 0 ] && ! $py "$dir/gpu_check_decode.py" --artifact "$dir/artifacts/synthetic-35b.axe" \
       --full-config "$dir/models/qwen3.5-35b-a3b.config.json" "${runs[@]}" "${peers[@]}" \
       --context $((tokens / 2)) >>"$out/table.md" 2>>"$log"; then
    echo "- decode report: FAILED (decode.log)" >>"$out/table.md"; status=1
  fi
  rm -rf "$work"
  return $status
}

# The model-level part of --run. AXE_GPU_CHECK_DEVICE=cpu runs it on the CPU (to test this script
# where there is no GPU).
run_model() {
  local dir=$1 out=$2 device=${AXE_GPU_CHECK_DEVICE:-cuda} py=${AXE_GPU_CHECK_PYTHON:-python3} status=0 work name
  local log="$out/model.log"
  work=$(mktemp -d)
  axe() { LD_LIBRARY_PATH="$dir/bin" "$dir/bin/axe-run" "$@"; }
  echo "== tiny-trained on --device $device against its CPU logits" | tee -a "$log"
  { echo; echo "## tiny-trained, axe-run --device $device against the same artifact on the CPU"; echo
    echo "4 windows of 64 tokens in one step (4 sequences, paged KV cache), every position compared;"
    echo "KL and top-1 over positions 1..62 of each window. Bounds: f32 max |diff| <= 1e-3 max |logit|;"
    echo "the others mean KL <= 1e-3 nats and top-1 >= 97 %."; echo
    echo "| artifact | max abs diff / max abs logit | mean KL | max KL | top-1 | result |"
    echo "|---|---:|---:|---:|---:|---|"; } >>"$out/table.md"
  for name in f32 bf16 default default-fp8kv; do
    if ! axe eval "$dir/artifacts/$name.axe" --device "$device" --reference-logits "$dir/ref/$name-cpu.safetensors" \
        --ids "$dir/ref/ids.txt" --score-from 1 --json "$work/$name.json" --save-logits "$work/$name.safetensors" \
        >>"$log" 2>&1; then
      echo "| $name | | | | | FAILED to run (model.log) |" >>"$out/table.md"; status=1; continue
    fi
    $py - "$name" "$dir/ref/$name-cpu.safetensors" "$work/$name.safetensors" "$work/$name.json" \
        >>"$out/table.md" <<'PY' || status=1
import json, sys
import numpy as np
from safetensors.numpy import load_file
name, cpu, gpu, figures = sys.argv[1:]
a, b = load_file(cpu)["logits"], load_file(gpu)["logits"]
rel = float(np.abs(a - b).max() / np.abs(a).max()) if np.isfinite(b).all() else float("inf")
j = json.load(open(figures))
kl, klmax, top1 = j["kld"]["mean"], j["kld"]["max"], j["top1"]
ok = rel <= 1e-3 if name == "f32" else (kl <= 1e-3 and top1 >= 0.97)
print(f"| {name} | {rel:.2e} | {kl:.2e} | {klmax:.2e} | {100 * top1:.2f} % | {'pass' if ok else 'FAIL'} |")
sys.exit(0 if ok else 1)
PY
  done

  echo "== f32 against transformers on the same GPU" | tee -a "$log"
  local torch_device=$device
  [ "$device" = cuda ] || torch_device=cpu
  if $py "$dir/reference_logits.py" "$dir/models/tiny-trained" --ids "$dir/ref/ids.txt" --ctx 64 \
       --device "$torch_device" -o "$work/hf.safetensors" >>"$log" 2>&1; then
    $py - "$work/hf.safetensors" "$work/f32.safetensors" >>"$out/table.md" <<'PY' || status=1
import sys
import numpy as np
from safetensors.numpy import load_file
a, b = load_file(sys.argv[1])["logits"], load_file(sys.argv[2])["logits"]
rel = float(np.abs(a - b).max() / np.abs(a).max()) if np.isfinite(b).all() else float("inf")
print(f"\n- f32 artifact against transformers (fp32, torch on the same device), every position: "
      f"max |diff| / max |logit| = {rel:.2e} (bound 1e-3): {'pass' if rel <= 1e-3 else 'FAIL'}")
sys.exit(0 if rel <= 1e-3 else 1)
PY
  else
    echo "- transformers reference: failed (model.log)" >>"$out/table.md"; status=1
  fi

  echo "== greedy generation, $device against cpu" | tee -a "$log"
  local prompt
  prompt=$(head -c 200 "$dir/ref/ids.txt" | awk '{for (i = 1; i <= 16; ++i) printf "%s%s", (i > 1 ? "," : ""), $i}')
  for name in f32 default; do
    local on_device on_cpu
    on_device=$(axe "$dir/artifacts/$name.axe" --device "$device" --prompt-ids "$prompt" --max-tokens 32 2>>"$log" | head -1)
    on_cpu=$(axe "$dir/artifacts/$name.axe" --device cpu --prompt-ids "$prompt" --max-tokens 32 2>>"$log" | head -1)
    axe "$dir/artifacts/$name.axe" --device "$device" --prompt-ids "$prompt" --max-tokens 32 >>"$log" 2>&1 || true
    if [ -n "$on_device" ] && [ "$on_device" = "$on_cpu" ]; then
      echo "- $name: 32 greedy tokens on $device equal the CPU's" >>"$out/table.md"
    else
      echo "- $name: greedy tokens DIFFER ($device: '$on_device'; cpu: '$on_cpu')" >>"$out/table.md"
      [ "$name" = f32 ] && status=1
    fi
  done

  if [ "$device" = cuda ] && command -v compute-sanitizer >/dev/null; then
    echo "== compute-sanitizer memcheck, one prefill and one decode step" | tee -a "$log"
    if compute-sanitizer --tool memcheck --error-exitcode 3 env LD_LIBRARY_PATH="$dir/bin" "$dir/bin/axe-run" \
         "$dir/artifacts/default.axe" --device cuda --prompt-ids "$prompt" --max-tokens 2 >>"$log" 2>&1; then
      echo "- compute-sanitizer memcheck (default map, prefill + decode): clean" >>"$out/table.md"
    else
      echo "- compute-sanitizer memcheck (default map, prefill + decode): FAILED (model.log)" >>"$out/table.md"
      status=1
    fi
  fi
  rm -rf "$work"
  return $status
}

run() {
  local dir=$1 out=$2 status=0
  shift 2
  local parts=("$@")
  [ ${#parts[@]} -gt 0 ] || parts=(fp8 model decode)
  mkdir -p "$out"
  dir=$(cd "$dir" && pwd)
  {
    echo "# axe on the GPU: check"
    echo
    echo "- date: $(date -u +%F), build: $(cat "$dir/COMMIT")"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader |
      sed 's/^/- card: /' || echo "- card: nvidia-smi failed"
    echo
  } >"$out/table.md"

  if [[ " ${parts[*]} " == *" model "* ]]; then
    run_model "$dir" "$out" || status=1
  fi
  if [[ " ${parts[*]} " == *" decode "* ]]; then
    run_decode "$dir" "$out" || status=1
  fi
  if [[ " ${parts[*]} " != *" fp8 "* ]]; then
    echo "== table ($out/table.md)"
    cat "$out/table.md"
    return $status
  fi

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
    [ $# -ge 3 ] || { echo "usage: gpu-check.sh --run DIR OUT [fp8] [model] [decode]" >&2; exit 2; }
    shift; run "$@" ;;
  *) echo "usage: scripts/gpu-check.sh --prepare [DIR] | --run DIR OUT [fp8] [model] [decode]" >&2; exit 2 ;;
esac
