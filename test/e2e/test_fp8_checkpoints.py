"""Pre-quantized FP8 checkpoints run end to end (spec §5.2, §5.3): axe compiled on the checkpoint
gives exactly the logits of axe compiled on the BF16 model it was made from, quantizing the same
layers itself with the same scheme. The checkpoint's e4m3 codes and scales (written by
test/models/fp8_checkpoints.py, independently of axe) then equal axe's own, and the importer's
per-expert stacking and scale layout feed the kernels the same operands, so any difference is a
bug, not rounding.
"""
import json
import subprocess

import numpy as np
import pytest

from test_cpu_parity import prompt_ids, run_axe

ATTENTION_AND_EXPERTS = ["attn_q", "attn_k", "attn_v", "attn_o", "expert_gate_up", "expert_down"]
SHARED_EXPERT = ["shared_gate", "shared_up", "shared_down"]
LINEAR_ATTENTION = ["linear_attn_qkv", "linear_attn_z", "linear_attn_out"]

CASES = {
    # llm-compressor's recipe ignores `mlp.shared_expert$`, which names no Linear: the shared
    # expert is quantized, the linear attention is not.
    "tiny-fp8-channel": ("tiny", "channel", ATTENTION_AND_EXPERTS + SHARED_EXPERT),
    # The "fp8" block method keeps only the router, the gates, in_proj_a/b and the head in BF16.
    "tiny-fp8-block": ("tiny-block-base", "block", ATTENTION_AND_EXPERTS + SHARED_EXPERT + LINEAR_ATTENTION),
}


@pytest.mark.parametrize("checkpoint", sorted(CASES))
def test_checkpoint_equals_axes_own_quantization(axe_compile, axe_run, models, tmp_path, checkpoint):
    base, scheme, roles = CASES[checkpoint]
    policy = tmp_path / "same-layers.json"
    policy.write_text(json.dumps({
        "name": f"{checkpoint}-layers", "description": "the layers the checkpoint quantized",
        "rules": [{"roles": roles, "precision": "fp8", "why": "quantized in the checkpoint"}],
        "default": {"precision": "bf16", "why": "BF16 in the checkpoint"}}))
    logits = {}
    for name, model, args in [("checkpoint", checkpoint, []),
                              ("axe", base, [f"--precision={policy}", "--quant-scheme", scheme])]:
        artifact = tmp_path / f"{name}.axe"
        subprocess.run([str(axe_compile), str(models / model), "-o", str(artifact), *args],
                       check=True, capture_output=True, text=True)
        _, logits[name] = run_axe(axe_run, artifact, prompt_ids(512, 64, 3), 16, tmp_path)
    assert logits["checkpoint"].shape == logits["axe"].shape
    diff = np.abs(logits["checkpoint"] - logits["axe"]).max()
    print(f"{checkpoint} vs {base} quantized by axe ({scheme}), 64 prefill + 16 decode positions: max |diff| {diff}")
    assert diff == 0.0
