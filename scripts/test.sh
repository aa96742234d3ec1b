#!/usr/bin/env bash
# Sets up the machine, builds axe and runs every test suite: lit (compiler), GoogleTest (C++
# units) and pytest (test-model makers; end to end against transformers); a short run of each
# fuzz target; then the whole suite again with an ASan+UBSan build of every tool and test. Exits
# non-zero when any test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lit=/usr/lib/llvm-22/bin/lit
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
"$root/scripts/make-test-models.sh"

logs="$root/build/test-logs"
mkdir -p "$logs"
failed=()
# Runs one suite, its output to the terminal and to $logs/NAME.log; a failure is remembered so
# the end of the output (all a CI page may show) says which suite failed and how.
run_suite() {
  local name=$1; shift
  echo "== $name"
  if "$@" 2>&1 | tee "$logs/$name.log"; then :; else failed+=("$name"); fi
}

# Runs the three suites against the tools of build tree $1.
suites() {
  local build=$1
  run_suite "lit-$build" env AXE_TOOLS_DIR="$root/$build/bin" $lit -sv "$root/build/test"
  run_suite "gtest-$build" ctest --test-dir "$root/$build" --output-on-failure
  run_suite "pytest-$build" env AXE_TEST_MODELS="$root/build/test-models" AXE_BUILD="$root/$build" \
    "$root/.venv/bin/python" -m pytest -q -rfE "$root/test"
}

suites build

# The GPU check's folder is built here (no GPU needed) so that it cannot rot unnoticed.
run_suite gpu-check-prepare "$root/scripts/gpu-check.sh" --prepare

# libFuzzer, ASan+UBSan: each target briefly from its committed corpus.
run_suite fuzz env AXE_FUZZ_JOBS="$(nproc)" AXE_FUZZ_PARALLEL="$(nproc)" "$root/scripts/fuzz.sh" --smoke

echo "== the whole suite under ASan+UBSan"
# A failed build is a failed suite: the summary below still names the Release failures.
if AXE_SANITIZE=1 "$root/scripts/build.sh" 2>&1 | tee "$logs/build-asan.log"; then
  # Any finding aborts the process that made it (-fno-sanitize-recover), so its test fails.
  export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
  suites build-asan
else
  failed+=("build-asan")
fi

if [ ${#failed[@]} -eq 0 ]; then
  echo "== all suites passed"
  exit 0
fi
for name in "${failed[@]}"; do
  echo "== $name FAILED; the end of its output (all of it: $logs/$name.log):"
  tail -n 60 "$logs/$name.log"
done
echo "== failed suites: ${failed[*]}"
exit 1
