"""`axe-compile --profile-sensitivity` on `text-trained`: the table's figures obey the model's structure,
and the derived policy is one axe-compile accepts, within its budget.

Structure gives exact expectations that do not depend on the training run: `text-trained` has three
Gated DeltaNet layers (0-2) and then full attention (layer 3), so a part that only layer 3 has
(attention) cannot move any recurrent state (drift exactly 0), while every DeltaNet projection must; the
lm_head comes after every layer, so it changes no route and no state."""
import json
import subprocess
from pathlib import Path

import pytest

import text_trained_model


@pytest.fixture(scope="module")
def profile(axe_compile, models, tmp_path_factory):
    out = tmp_path_factory.mktemp("profile")
    text = out / "heldout.txt"
    text.write_text(text_trained_model.eval_text())
    run = subprocess.run([str(axe_compile), str(models / "text-trained"), "--profile-sensitivity", "--text", str(text),
                          "--profile-ctx", "128", "--profile-windows", "4", "--policy-out", str(out / "policy.json"),
                          "--profile-json", str(out / "profile.json"), "-q"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    print(run.stdout)
    return out, json.loads((out / "profile.json").read_text()), run.stdout


def part(doc: dict, name: str) -> dict:
    return next(p for p in doc["parts"] if p["part"] == name and p["layer"] == "all")


def test_table_follows_the_layer_pattern(profile):
    _, doc, stdout = profile
    assert doc["windows"] == 4 and doc["ctx"] == 128
    for name in ("attention q/k/v", "attention o"):
        p = part(doc, name)
        assert p["saved_bytes"] > 0 and p["mean_kld"] > 0
        assert set(p["state_drift"]) == {"64", "256", "1024"}
        assert all(d == 0 for d in p["state_drift"].values()), p  # after every DeltaNet layer
    for name in ("DeltaNet in_proj_qkv+z", "DeltaNet in_proj_b+a", "DeltaNet out_proj", "routed experts",
                 "shared expert", "router"):
        p = part(doc, name)
        assert p["saved_bytes"] > 0 and p["mean_kld"] > 0 and 0 < p["route_flips"] < 0.5
        assert all(d > 0 for d in p["state_drift"].values()), p
    # The head comes after every layer: it changes the logits, never a route or a state.
    head = part(doc, "lm_head")
    assert head["saved_bytes"] > 0 and head["mean_kld"] > 0
    assert head["route_flips"] == 0 and all(d == 0 for d in head["state_drift"].values()), head
    assert "FP8 is not supported for the embedding" in part(doc, "embedding")["unsupported"]
    # Ranked by KLD per GB saved per token, supported parts first.
    ranked = [p["kld_per_gb"] for p in doc["parts"] if "kld_per_gb" in p]
    assert ranked == sorted(ranked)
    assert "part (FP8, rest BF16)" in stdout and "Derived policy" in stdout


def test_derived_policy_compiles_and_meets_its_budget(profile, axe_compile):
    out, doc, _ = profile
    derived = doc["derived"]
    assert derived["sum_of_parts_kld"] <= 1e-3  # the default --budget-kld
    fp8 = {r["precision"] for r in derived["policy"]["rules"]}
    assert fp8 <= {"fp8", "bf16"} and derived["weight_bytes"] <= doc["bf16_weight_bytes"]
    # The policy file is the one axe-compile --precision takes; the artifact's weights are what the
    # profile measured.
    artifact = out / "derived.axe"
    run = subprocess.run([str(axe_compile), str(Path(doc["model"])), "-o", str(artifact),
                          f"--precision={out / 'policy.json'}", "-q"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    manifest = json.loads((artifact / "manifest.json").read_text())
    weight_bytes = 0
    sizes = {"bf16": 2, "f32": 4, "f8e4m3": 1}
    for b in manifest["buffers"]:
        if b["kind"] == "weight":
            n = sizes[b["dtype"]]
            for d in b["shape"]:
                n *= d
            weight_bytes += n
    assert weight_bytes == derived["weight_bytes"]


def test_byte_budget(axe_compile, models, tmp_path):
    """--budget-gb: FP8 parts cheapest first until the weights fit."""
    budget_bytes = 5_000_000  # of 6.3 MB in BF16; the routed experts alone save 1.5 MB
    run = subprocess.run([str(axe_compile), str(models / "text-trained"), "--profile-sensitivity", "--profile-ctx",
                          "64", "--profile-windows", "2", "--budget-gb", str(budget_bytes / 1e9), "--profile-json",
                          str(tmp_path / "p.json"), "-q"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "no --text or --ids" in run.stderr  # random ids, said so
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["derived"]["weight_bytes"] <= budget_bytes


@pytest.mark.parametrize("args,message", [
    (["--budget-kld", "1e-3"], "go with --profile-sensitivity"),
    (["--profile-sensitivity", "-o", "/nonexistent/x.axe"], "goes alone"),
    (["--profile-sensitivity", "--text", "t.txt", "--ids", "i.txt"], "give --text or --ids, not both"),
    (["--profile-sensitivity", "--profile-ctx", "2"], "--profile-ctx must be at least 4"),
    (["--profile-sensitivity", "--budget-gb", "0"], "--budget-gb must be a positive number"),
])
def test_bad_options_are_refused(axe_compile, models, args, message):
    run = subprocess.run([str(axe_compile), str(models / "text-trained"), *args], capture_output=True, text=True)
    assert run.returncode == 1 and message in run.stderr, run.stderr


def test_outputs_are_never_overwritten(axe_compile, models, tmp_path):
    taken = tmp_path / "policy.json"
    taken.write_text("{}")
    run = subprocess.run([str(axe_compile), str(models / "text-trained"), "--profile-sensitivity", "--policy-out",
                          str(taken)], capture_output=True, text=True)
    assert run.returncode == 1 and "already exists" in run.stderr
    assert taken.read_text() == "{}"
