#!/usr/bin/env bash
# Sets up the machine, builds axe and runs every test suite: lit (compiler), GoogleTest (C++ units)
# and pytest (end to end against transformers). Exits non-zero when any test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"

status=0
echo "== lit"
/usr/lib/llvm-22/bin/lit -sv "$root/build/test" || status=1
echo "== GoogleTest"
ctest --test-dir "$root/build" --output-on-failure || status=1
if [ -d "$root/test/e2e" ]; then
  echo "== pytest"
  "$root/.venv/bin/python" -m pytest -q "$root/test/e2e" || status=1
fi
exit $status
