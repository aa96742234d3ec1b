#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz (clang-22, ASan+UBSan, in build-fuzz) and runs them.
#
#   scripts/fuzz.sh --smoke                   each target for AXE_FUZZ_SMOKE_SECONDS (default 20) from
#                                             the committed corpus; exits 1 on any finding (CI)
#   scripts/fuzz.sh --time SECONDS [TARGET...]  a long run of each target (default: all); the
#                                             corpus grows in build-fuzz/corpus/TARGET
#   scripts/fuzz.sh --build                   only builds
#
# A finding (crash, sanitizer report, timeout, out-of-memory) is saved under
# build-fuzz/findings/TARGET/ and reproduced with: build-fuzz/bin/TARGET FILE. Environment:
# AXE_FUZZ_JOBS (ninja's -j, default 1), AXE_FUZZ_PARALLEL (targets run at once, default 1),
# AXE_TEST_MODELS (where make-test-models.sh wrote the test tokenizer, default build/test-models),
# BUILD_DIR (default build-fuzz). See docs/fuzzing.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-fuzz}
seeds=$root/test/fuzz/corpus
all_targets=(fuzz-safetensors fuzz-config fuzz-manifest fuzz-tokenizer fuzz-chat-format
             fuzz-reasoning fuzz-tool-call fuzz-api-request)

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
mode=${1:-}; [ -n "$mode" ] || usage; shift
seconds=${AXE_FUZZ_SMOKE_SECONDS:-20}
case $mode in
  --smoke|--build) [ $# -eq 0 ] || usage ;;
  --time) [ $# -ge 1 ] || usage; seconds=$1; shift ;;
  *) usage ;;
esac
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t' (known: ${all_targets[*]})" >&2; exit 2; }
done

if [ ! -f "$build/build.ninja" ]; then
  CC=clang-22 CXX=clang++-22 cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAXE_ENABLE_FUZZERS=ON -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE="$root/.venv/bin/python" >/dev/null
fi
ninja -C "$build" -j "${AXE_FUZZ_JOBS:-1}" "${targets[@]}"
[ "$mode" != --build ] || exit 0

export AXE_FUZZ_TOKENIZER=${AXE_FUZZ_TOKENIZER:-${AXE_TEST_MODELS:-$root/build/test-models}/qwen3.5-tokenizer/tokenizer.json}

# One target: its log is $build/findings/TARGET.log, its exit status $build/findings/TARGET.status.
run_target() {
  local t=$1 corpus findings=$build/findings/$1 dict=()
  mkdir -p "$findings"
  if [ "$mode" = --smoke ]; then
    corpus=$(mktemp -d)  # the new inputs of a smoke run are not kept
  else
    corpus=$build/corpus/$t
    mkdir -p "$corpus"
  fi
  [ -f "$seeds/$t.dict" ] && dict=(-dict="$seeds/$t.dict")
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a runaway allocation is a finding.
  local rc=0
  "$build/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/" "${dict[@]}" "$corpus" "$seeds/$t" >"$build/findings/$t.log" 2>&1 || rc=$?
  [ "$mode" != --smoke ] || rm -rf "$corpus"
  echo $rc >"$build/findings/$t.status"
}

# AXE_FUZZ_PARALLEL targets at a time (default 1); each runs on one core.
parallel=${AXE_FUZZ_PARALLEL:-1}
for t in "${targets[@]}"; do
  echo "== $t: ${seconds} s (log: $build/findings/$t.log)"
  run_target "$t" &
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
done
wait

status=0
for t in "${targets[@]}"; do
  log=$build/findings/$t.log
  if [ "$(cat "$build/findings/$t.status")" = 0 ]; then
    echo "$t: $(grep -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/ +/ /g')"
  else
    status=1
    echo "== $t FAILED"
    tail -40 "$log"
    echo "fuzz.sh: $t found a problem; the input is in $build/findings/$t/ (reproduce: $build/bin/$t FILE)"
  fi
done
exit $status
