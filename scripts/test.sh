#!/usr/bin/env bash
# Sets up the machine, builds axe and runs every test suite: lit (compiler), lit again on hostile
# and imported inputs with an ASan+UBSan build, GoogleTest (C++ units), pytest (test-model
# makers; end to end against transformers) and a short run of each fuzz target. Exits non-zero when
# any test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lit=/usr/lib/llvm-22/bin/lit
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
"$root/scripts/make-test-models.sh"

status=0
echo "== lit"
$lit -sv "$root/build/test" || status=1

echo "== lit under ASan+UBSan (readers and importer on hostile and real checkpoints)"
AXE_SANITIZE=1 "$root/scripts/build.sh" axe-compile axe-opt
AXE_TOOLS_DIR="$root/build-asan/bin" $lit -sv "$root/build/test" --filter 'errors|import' || status=1

echo "== GoogleTest"
ctest --test-dir "$root/build" --output-on-failure || status=1

echo "== pytest"
AXE_TEST_MODELS="$root/build/test-models" AXE_BUILD="$root/build" \
  "$root/.venv/bin/python" -m pytest -q "$root/test" || status=1

echo "== fuzz (libFuzzer, ASan+UBSan: each target briefly from its committed corpus)"
AXE_FUZZ_JOBS=$(nproc) AXE_FUZZ_PARALLEL=$(nproc) "$root/scripts/fuzz.sh" --smoke || status=1
exit $status
