#!/usr/bin/env bash
# Sets up the machine, builds axe and runs the main job on the embedded default: for now, the
# compiler parses, verifies and prints the axe IR of a built-in tiny Qwen3.5-MoE example (two
# decoder layers). It grows into compile + generate as the importer and the runtime land.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" axe-opt
"$root/build/bin/axe-opt" "$root/test/Dialect/axe/decoder_layers.mlir"
