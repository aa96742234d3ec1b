#!/usr/bin/env bash
# What a user sees compiling a multi-GB checkpoint, and what Ctrl-C leaves: compiles the ~3 GB
# 'large' test model (made if needed) with stderr to a log (plain progress lines and the summary),
# then starts the compile again, sends SIGINT once the weights are being written, and lists the
# output's parent directory, which must be empty. The record goes to
# bench/results/compile_feedback.txt. (For the one-line terminal display, run axe-compile yourself.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
models=${AXE_TEST_MODELS:-$root/build/test-models}
"$root/.venv/bin/python" "$root/test/models/make_test_models.py" --out "$models" --only large
parent=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$parent" "$log"' EXIT
"$root/build/bin/axe-compile" "$models/large" -o "$parent/large.axe" 2> "$log"
rm -rf "$parent/large.axe"

set -m  # job control: a background job of a script otherwise starts with SIGINT ignored
"$root/build/bin/axe-compile" "$models/large" -o "$parent/large.axe" 2> /dev/null &
pid=$!
for _ in $(seq 6000); do  # a hang guard: at most 10 minutes
  f=$(ls -d "$parent"/large.axe.tmp-*/weights.safetensors.tmp 2> /dev/null || true)
  [ -n "$f" ] && [ "$(stat -c %s "$f")" -gt $((256 << 20)) ] && break
  sleep 0.1
done
during=$(ls -A "$parent")
kill -INT "$pid"
status=0; wait "$pid" || status=$?
after=$(ls -A "$parent")
mkdir -p "$root/bench/results"
{
  echo "# $(date -u +%F) $(uname -m), $(nproc) cores; axe-compile large -o large.axe 2> log"
  cat "$log"
  echo "# SIGINT while writing the weights: exit status $status (130 = died of SIGINT)"
  echo "# ls -A before the signal: $during"
  echo "# ls -A after: ${after:-(empty)}"
} | tee "$root/bench/results/compile_feedback.txt"
[ "$status" = 130 ] && [ -z "$after" ]
