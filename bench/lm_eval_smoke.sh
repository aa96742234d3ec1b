#!/usr/bin/env bash
# lm-evaluation-harness against `axe-run serve`, end to end and offline: lm-eval's local-completions
# model runs the axe_smoke tasks (bench/lm_eval/axe_smoke: a multiple-choice task, i.e. echo +
# logprobs on /v1/completions, and a generate_until task, i.e. greedy generation with stop strings)
# on the test model tiny-chat, whose scripted reply makes both score 1.0 when the server is right.
#
#   AXE_BUILD=build                # where bin/axe-run and bin/axe-compile are (default: build); nothing is built
#   AXE_TEST_MODELS=DIR            # where tiny-chat is (default: $AXE_BUILD/test-models; made if missing)
#   AXE_LMEVAL_WORK=DIR            # artifact, server log, lm-eval output (default: build/lm_eval_smoke)
#
# Compiles tiny-chat (bf16) if its artifact is missing or older than axe-compile, starts the server
# on a free port, runs lm_eval, stops the server (SIGTERM, which must exit 0), prints the results
# table, fails unless every metric is 1.0, and records the run in bench/results/lm_eval_smoke.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${AXE_BUILD:-$root/build}
venv=$root/.venv/bin
start=$(date +%s.%N) load=$(cut -d' ' -f1 /proc/loadavg)

for tool in axe-run axe-compile; do
  [ -x "$build/bin/$tool" ] || { echo "$build/bin/$tool is missing: build it with scripts/build.sh $tool" >&2; exit 1; }
done
build=$(cd "$build" && pwd) # absolute: the run below is from the repository root
models=${AXE_TEST_MODELS:-$build/test-models}
work=${AXE_LMEVAL_WORK:-$root/build/lm_eval_smoke}
mkdir -p "$models" "$work"
models=$(cd "$models" && pwd) work=$(cd "$work" && pwd)
model=$models/tiny-chat
artifact=$work/tiny-chat.axe
[ -f "$model/config.json" ] || "$venv/python" "$root/test/models/make_test_models.py" --out "$models" --only tiny-chat
if [ ! -f "$artifact/manifest.json" ] || [ "$build/bin/axe-compile" -nt "$artifact/manifest.json" ] ||
   [ "$model/model.safetensors" -nt "$artifact/manifest.json" ]; then
  rm -rf "$artifact"
  compile_start=$(date +%s.%N)
  "$build/bin/axe-compile" "$model" -o "$artifact" --precision=bf16
  compiled=$(printf 'compiled the artifact in %.1f s' "$(echo "$(date +%s.%N) - $compile_start" | bc -l)")
else
  compiled="the artifact was already compiled"
fi

server=
stop_server() { # SIGTERM drains and exits 0; the exit status is the function's
  local pid=$server rc=0
  server=
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  return "$rc"
}
trap 'stop_server || true' EXIT
: > "$work/server.out"
"$build/bin/axe-run" serve "$artifact" --port 0 --served-model-name tiny-chat --threads 2 \
  > "$work/server.out" 2> "$work/server.err" &
server=$!
port=
for _ in $(seq 600); do # up to 60 s
  if [ "$(wc -l < "$work/server.out")" -ge 1 ]; then # a whole first line
    port=$(head -n 1 "$work/server.out" | sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p')
    [ -n "$port" ] || { echo "axe-run serve: unexpected first line:" >&2; head -n 1 "$work/server.out" >&2; exit 1; }
    break
  fi
  kill -0 "$server" 2>/dev/null || { echo "axe-run serve exited:" >&2; cat "$work/server.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "axe-run serve did not listen within 60 s" >&2; exit 1; }

# lm-eval: tasks from the repository (data_files are relative to it), no network, the tokenizer the
# artifact carries (the server's own), prompts sent as token ids (tokenized_requests=True).
cd "$root"
export HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 HF_DATASETS_CACHE=$work/hf-datasets TOKENIZERS_PARALLELISM=false
rm -rf "$work/out"
cmd=(lm_eval run --model local-completions --tasks axe_smoke --include_path bench/lm_eval
     --model_args "model=tiny-chat,base_url=http://127.0.0.1:$port/v1/completions,tokenizer_backend=huggingface,tokenizer=$artifact,num_concurrent=4,max_retries=1,tokenized_requests=True"
     --output_path "$work/out" --log_samples)
eval_start=$(date +%s.%N)
if ! "$venv/${cmd[0]}" "${cmd[@]:1}" > "$work/lm_eval.out" 2> "$work/lm_eval.log"; then
  tail -n 40 "$work/lm_eval.log" >&2
  exit 1
fi
eval_wall=$(echo "$(date +%s.%N) - $eval_start" | bc -l)
stop_server || { echo "axe-run serve did not exit 0 on SIGTERM" >&2; exit 1; }
if grep -q "API request failed" "$work/lm_eval.log"; then # a 4xx/5xx that a retry got past
  grep "API request failed" "$work/lm_eval.log" >&2
  exit 1
fi
table=$(sed -n '/^|/p' "$work/lm_eval.out")
echo "$table"

# Every metric of both tasks must be 1.0 (see bench/lm_eval/axe_smoke/axe_smoke_mc.yaml).
requests=$("$venv/python" - "$work/out" <<'EOF'
import json, sys
from pathlib import Path
(out,) = Path(sys.argv[1]).glob("*/")
(path,) = out.glob("results_*.json")
results = json.loads(path.read_text())["results"]
want = {"axe_smoke_mc": ["acc,none", "acc_norm,none"], "axe_smoke_gen": ["exact_match,none"]}
bad = [f"{t} {m} = {results.get(t, {}).get(m)}" for t, ms in want.items() for m in ms
       if results.get(t, {}).get(m) != 1.0]
if bad:
    sys.exit("expected 1.0: " + ", ".join(bad))
samples = {t: [json.loads(l) for l in next(out.glob(f"samples_{t}_*.jsonl")).open()] for t in want}
print(f"{len(samples['axe_smoke_gen'])} generate_until, "
      f"{sum(len(s['resps']) for s in samples['axe_smoke_mc'])} loglikelihood")
EOF
)

wall=$(echo "$(date +%s.%N) - $start" | bc -l)
{
  echo "# $(date -u +%F) $(uname -m), $(nproc) cores (load average $load at the start): bench/lm_eval_smoke.sh"
  echo "# lm-eval $("$venv/python" -c 'import importlib.metadata as m; print(m.version("lm_eval"))') (local-completions) against axe-run serve --threads 2, tiny-chat bf16"
  echo "# command, from the repository root (the port is the one --port 0 chose):"
  line=
  for arg in "${cmd[@]}"; do [[ $arg =~ ^[A-Za-z0-9_./:=,+-]+$ ]] && line+="$arg " || line+="'$arg' "; done
  echo "${line% }"
  echo "# requests: $requests"
  printf '# wall: lm_eval %.1f s, whole script %.1f s (%s)\n' "$eval_wall" "$wall" "$compiled"
  echo "$table"
} > "$root/bench/results/lm_eval_smoke.txt"
printf 'lm_eval %.1f s, whole script %.1f s\n' "$eval_wall" "$wall"
