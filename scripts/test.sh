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

status=0
# Runs the three suites against the tools of build tree $1.
suites() {
  local build=$1
  echo "== lit ($build)"
  AXE_TOOLS_DIR="$root/$build/bin" $lit -sv "$root/build/test" || status=1
  echo "== GoogleTest ($build)"
  ctest --test-dir "$root/$build" --output-on-failure || status=1
  echo "== pytest ($build)"
  AXE_TEST_MODELS="$root/build/test-models" AXE_BUILD="$root/$build" \
    "$root/.venv/bin/python" -m pytest -q "$root/test" || status=1
}

suites build

echo "== fuzz (libFuzzer, ASan+UBSan: each target briefly from its committed corpus)"
AXE_FUZZ_JOBS=$(nproc) AXE_FUZZ_PARALLEL=$(nproc) "$root/scripts/fuzz.sh" --smoke || status=1

echo "== the whole suite under ASan+UBSan"
AXE_SANITIZE=1 "$root/scripts/build.sh"
# Any finding aborts the process that made it (-fno-sanitize-recover), so its test fails.
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
suites build-asan
exit $status
