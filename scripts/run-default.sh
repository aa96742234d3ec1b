#!/usr/bin/env bash
# Sets up the machine, builds axe and runs the main job on the embedded default: transformers
# writes the tiny Qwen3.5-MoE test checkpoint, axe-compile turns it into an artifact under the
# default FP8/BF16 map (printing the precision totals), and axe-run generates from it on the CPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" axe-compile axe-run
models=${AXE_TEST_MODELS:-$root/build/test-models}
"$root/.venv/bin/python" "$root/test/models/make_test_models.py" --out "$models" --only tiny
rm -rf "$root/build/tiny.axe"
"$root/build/bin/axe-compile" "$models/tiny" --precision-report | sed -n '/^## Totals/,$p'
"$root/build/bin/axe-compile" "$models/tiny" -o "$root/build/tiny.axe"
echo "== axe-run build/tiny.axe (greedy, 32 tokens)"
"$root/build/bin/axe-run" "$root/build/tiny.axe" --prompt-ids 1,2,3,4,5,6,7,8 --max-tokens 32 --ignore-eos
