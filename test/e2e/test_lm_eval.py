"""lm-evaluation-harness end to end against `axe-run serve` on `tiny-chat`: bench/lm_eval_smoke.sh as a
test (about 40 s on 2 cores).

lm-eval's local-completions model runs the offline axe_smoke tasks (bench/lm_eval/axe_smoke): multiple
choice, i.e. loglikelihood requests (echo + logprobs over token ids on /v1/completions), and
generate_until (greedy generation with stop strings). tiny-chat answers every chat turn with one
scripted reply, so the right answers are known and every metric must be exactly 1.0. lm-eval sends
the API key from OPENAI_API_KEY, and a request it had to retry fails the test.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

from test_server import KEY, Server

ROOT = Path(__file__).resolve().parents[2]


def test_lm_eval_axe_smoke(axe_run, compiled, tmp_path):
    artifact = compiled("tiny-chat", "bf16")
    server = Server(axe_run, artifact)
    try:
        model_args = ",".join([
            "model=tiny-chat", f"base_url={server.url}/v1/completions",
            # the artifact's own tokenizer.json and tokenizer_config.json: lm-eval counts the tokens the server sees
            "tokenizer_backend=huggingface", f"tokenizer={artifact}",
            "num_concurrent=4", "max_retries=1", "tokenized_requests=True"])
        env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
                   HF_DATASETS_CACHE=str(tmp_path / "hf-datasets"), OPENAI_API_KEY=KEY)
        # From the repository root: the tasks' data_files are relative to it.
        run = subprocess.run([sys.executable, "-m", "lm_eval", "run", "--model", "local-completions",
                              "--tasks", "axe_smoke", "--include_path", "bench/lm_eval", "--model_args", model_args,
                              "--output_path", str(tmp_path / "out"), "--log_samples"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    finally:
        status = server.stop()
    assert run.returncode == 0, run.stderr[-4000:]
    assert "API request failed" not in run.stderr, run.stderr[-4000:]
    assert status == 0

    (path,) = (tmp_path / "out").glob("*/results_*.json")
    results = json.loads(path.read_text())["results"]
    assert results["axe_smoke_mc"]["acc,none"] == 1.0
    assert results["axe_smoke_mc"]["acc_norm,none"] == 1.0
    assert results["axe_smoke_gen"]["exact_match,none"] == 1.0
    # every question, every choice: 32 generations and 4 x 32 scored continuations
    samples = {t: [json.loads(line) for line in next(path.parent.glob(f"samples_{t}_*.jsonl")).open()]
               for t in ("axe_smoke_mc", "axe_smoke_gen")}
    assert len(samples["axe_smoke_gen"]) == 32
    assert sum(len(s["resps"]) for s in samples["axe_smoke_mc"]) == 128
    assert all(s["filtered_resps"] == ["The user asks about the weather"] for s in samples["axe_smoke_gen"])
