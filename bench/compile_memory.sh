#!/usr/bin/env bash
# Peak memory of compiling a multi-GB checkpoint into an artifact: the writer streams tensor by
# tensor, so the peak must not grow with the model (goal: below 1.5 GB RSS). Makes the ~3 GB
# 'large' test model if needed, compiles it under the default FP8 map with /usr/bin/time -v and
# prints one line; the full record goes to bench/results/compile_memory.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
models=${AXE_TEST_MODELS:-$root/build/test-models}
"$root/.venv/bin/python" "$root/test/models/make_test_models.py" --out "$models" --only large
out=$(mktemp -d)/large.axe
log=$(mktemp)
/usr/bin/time -v "$root/build/bin/axe-compile" "$models/large" -o "$out" 2> "$log"
peak_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$log")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
ckpt=$(du -sb "$models/large" | cut -f1)
art=$(du -sb "$out" | cut -f1)
mkdir -p "$root/bench/results"
line=$(printf 'compile large (%.2f GB checkpoint -> %.2f GB artifact): peak RSS %.0f MB, wall %s' \
  "$(echo "$ckpt / 1000000000" | bc -l)" "$(echo "$art / 1000000000" | bc -l)" "$(echo "$peak_kb / 1024" | bc -l)" "$wall")
echo "$line"
{ echo "# $(date -u +%F) $(uname -m), $(nproc) cores"; echo "$line"; cat "$log"; } > "$root/bench/results/compile_memory.txt"
rm -rf "$(dirname "$out")" "$log"
[ "$peak_kb" -lt $((1536 * 1024)) ] || { echo "peak RSS above 1.5 GB" >&2; exit 1; }
