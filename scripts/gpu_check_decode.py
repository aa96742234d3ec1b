#!/usr/bin/env python3
"""Decode on a synthetic artifact with a large model's real widths: time per layer, the whole
model extrapolated from it, the memory roofline, and each kernel family against torch.

The artifact (axe-compile --config-only CONFIG --synthetic-weights SEED, a config cut to a few
layers) holds every kind of layer of the model at its real widths; axe-run makes its weights at
load, so nothing large travels. For each batch size B, `axe-run bench -c B --serve-prompt 1
--profile-json` runs B sequences in lockstep (a one-token prompt is a decode step at position 0)
and times every dispatch of every step. This script:

  - assigns each dispatch to the layer whose weights it reads (or to the dispatch before it: the
    residual adds, routing, attention without weights of its own), and the embedding, final norm
    and logits to "outside the layers";
  - takes the mean kernel time per step of each layer kind (linear_attention, full_attention),
    and extrapolates to the full model's layer pattern (--full-config);
  - sets beside it the memory roofline of one step: the bytes a step must read (every weight of
    the layers and the logits; of the routed experts only those B tokens touch, expected
    E * (1 - (1 - k/E)^B) under uniform routing; the recurrent states read and written; the KV
    cache) divided by --bandwidth;
  - with --peers, times torch on the same shapes on the same device (CUDA events, median of 50
    after warm-up; weights rotated over enough copies to exceed 128 MB, so no call is served
    from L2): bf16 linears as torch matmul, FP8 linears as torch._scaled_mm (per-token x
    per-channel scales), routed experts as one _scaled_mm over the touched experts' weights (the
    same bytes), gated attention as SDPA with GQA.

Writes a markdown section to stdout.
"""
import argparse
import json
import re
import statistics
import sys

DTYPE_BYTES = {"bf16": 2, "f16": 2, "f32": 4, "f8e4m3": 1, "i32": 4, "i64": 8}


def numel(shape, symbols):
    n = 1
    for d in shape:
        n *= symbols.get(d, 0) if isinstance(d, str) else d
    return n


class Program:
    """The artifact's manifest, with each program entry assigned to a layer."""

    def __init__(self, manifest):
        self.m = manifest
        self.buffers = {b["id"]: b for b in manifest["buffers"]}
        self.kernels = manifest["kernels"]
        self.entry_layer = []
        current = "outside"
        for e in manifest["program"]:
            layers = set()
            has_weight = False
            for a in e["args"]:
                b = self.buffers[a["buffer"]]
                if b["kind"] != "weight":
                    continue
                has_weight = True
                found = re.search(r"layers\.(\d+)\.", b["name"])
                layers.add(int(found.group(1)) if found else "outside")
            if has_weight:
                if len(layers) != 1:
                    raise SystemExit(f"gpu_check_decode: a dispatch reads weights of {sorted(map(str, layers))}")
                current = layers.pop()
            self.entry_layer.append(current)
        self.layer_kind = {}
        for b in manifest["buffers"]:
            found = re.search(r"layers\.(\d+)\.(linear_attn|self_attn)\.", b["name"])
            if found:
                kind = "linear_attention" if found.group(2) == "linear_attn" else "full_attention"
                self.layer_kind[int(found.group(1))] = kind

    def op(self, entry):
        return self.kernels[self.m["program"][entry]["kernel"]]["op"]

    def weight_args(self, entry):
        return [self.buffers[a["buffer"]] for a in self.m["program"][entry]["args"]
                if self.buffers[a["buffer"]]["kind"] == "weight"]


def expected_experts(batch, experts, top_k):
    return experts * (1 - (1 - top_k / experts) ** batch)


def roofline_bytes(prog, config, batch, context):
    """Bytes one decode step of `batch` sequences must move, by layer kind and outside."""
    experts, top_k = config["num_experts"], config["num_experts_per_tok"]
    touched = expected_experts(batch, experts, top_k) / experts
    out = {"outside": 0.0}
    for b in prog.m["buffers"]:
        found = re.search(r"layers\.(\d+)\.", b["name"])
        key = prog.layer_kind.get(int(found.group(1))) if found else "outside"
        if key is None:
            continue
        size = DTYPE_BYTES[b["dtype"]]
        if b["kind"] == "weight":
            n = numel(b["shape"], {}) * size
            if ".mlp.experts." in b["name"]:
                n *= touched
            elif "embed_tokens" in b["name"]:
                n = batch * b["shape"][1] * size  # only the rows of the step's tokens
        elif b["kind"] == "state" and b["shape"][0] == "P":
            n = 2 * batch * numel(b["shape"][1:], {}) * size  # read and written
        elif b["kind"] == "state" and b["shape"][0] == "NB":
            per_token = numel(b["shape"][2:], {}) * size  # [NB, block, heads, dim]
            n = batch * context * per_token
        else:
            continue
        out[key] = out.get(key, 0.0) + n
    # Per layer of each kind: the sums above are over the artifact's layers of that kind.
    count = {}
    for kind in prog.layer_kind.values():
        count[kind] = count.get(kind, 0) + 1
    return {k: (v / count[k] if k in count else v) for k, v in out.items()}


def per_step(profile):
    calls = max(p["calls"] for p in profile["program"])
    return [p["seconds"] / calls if calls else 0.0 for p in profile["program"]], calls


def layer_times(prog, entry_seconds):
    by_layer = {}
    for entry, seconds in enumerate(entry_seconds):
        layer = prog.entry_layer[entry]
        by_layer[layer] = by_layer.get(layer, 0.0) + seconds
    kinds = {}
    for layer, seconds in by_layer.items():
        if layer == "outside":
            continue
        kinds.setdefault(prog.layer_kind[layer], []).append(seconds)
    return by_layer.get("outside", 0.0), {k: statistics.mean(v) for k, v in kinds.items()}


# ---- torch peers ---------------------------------------------------------------------------

class Peers:
    def __init__(self, device):
        import torch
        self.torch = torch
        self.device = device

    def time(self, fn, copies):
        torch = self.torch
        for i in range(3):
            fn(i % copies)
        times = []
        for i in range(50):
            if self.device == "cuda":
                a, b = torch.cuda.Event(True), torch.cuda.Event(True)
                a.record()
                fn(i % copies)
                b.record()
                torch.cuda.synchronize()
                times.append(a.elapsed_time(b) * 1e3)
            else:
                import time
                t = time.perf_counter()
                fn(i % copies)
                times.append((time.perf_counter() - t) * 1e6)
        return statistics.median(times)

    def copies(self, nbytes):
        return max(1, -(-(128 << 20) // max(nbytes, 1)))

    def linear_bf16(self, m, n, k):
        torch = self.torch
        c = self.copies(n * k * 2)
        ws = [torch.randn(n, k, device=self.device, dtype=torch.bfloat16) * 0.02 for _ in range(c)]
        x = torch.randn(m, k, device=self.device, dtype=torch.bfloat16)
        return self.time(lambda i: torch.nn.functional.linear(x, ws[i]), c)

    def linear_fp8(self, m, n, k):
        torch = self.torch
        if self.device != "cuda":
            return None  # _scaled_mm needs a GPU
        c = self.copies(n * k)
        mp = (m + 15) // 16 * 16
        ws = [(torch.randn(n, k, device="cuda") * 0.02).to(torch.float8_e4m3fn) for _ in range(c)]
        wscale = torch.rand(1, n, device="cuda") + 0.5
        x = torch.randn(mp, k, device="cuda").to(torch.float8_e4m3fn)
        xs = torch.rand(mp, 1, device="cuda") + 0.5
        return self.time(lambda i: torch._scaled_mm(x, ws[i].t(), scale_a=xs, scale_b=wscale,
                                                    out_dtype=torch.bfloat16), c)

    def attention(self, batch, heads, kv_heads, dim, context):
        torch = self.torch
        q = torch.randn(batch, heads, 1, dim, device=self.device, dtype=torch.bfloat16)
        k = torch.randn(batch, kv_heads, context, dim, device=self.device, dtype=torch.bfloat16)
        v = torch.randn_like(k)
        f = torch.nn.functional.scaled_dot_product_attention
        return self.time(lambda i: f(q, k, v, enable_gqa=True), 1)


def peer_rows(prog, config, batch, context, entry_seconds, peers):
    """One row per (kernel family, shape) in the layers: axe's mean time per call, torch's."""
    rows = {}
    for entry, seconds in enumerate(entry_seconds):
        if prog.entry_layer[entry] == "outside" and prog.op(entry) != "axe.logits":
            continue
        op = prog.op(entry)
        weights = prog.weight_args(entry)
        big = [w for w in weights if len(w["shape"]) >= 2]
        shape = tuple(big[0]["shape"]) if big else ()
        key = (op, shape, big[0]["dtype"] if big else "")
        r = rows.setdefault(key, {"seconds": [], "names": set()})
        r["seconds"].append(seconds)
        if big:
            r["names"].add(re.sub(r"layers\.\d+\.", "", big[0]["name"].split("#")[0].replace("model.language_model.", "")))
    out = []
    experts, top_k = config["num_experts"], config["num_experts_per_tok"]
    touched = max(1, round(expected_experts(batch, experts, top_k)))
    for (op, shape, dtype), r in sorted(rows.items(), key=lambda kv: -sum(kv[1]["seconds"])):
        axe_us = statistics.mean(r["seconds"]) * 1e6
        peer, what = None, ""
        if peers is not None:
            if op in ("axe.linear", "axe.logits") and dtype == "bf16" and len(shape) == 2 and shape[0] >= 64:
                peer, what = peers.linear_bf16(batch, shape[0], shape[1]), "torch bf16 linear"
            elif op in ("axe.fp8_linear", "axe.logits") and dtype == "f8e4m3" and len(shape) == 2:
                peer, what = peers.linear_fp8(batch, shape[0], shape[1]), "torch._scaled_mm"
            elif op == "axe.moe_experts" and len(shape) == 3:
                peer = peers.linear_fp8(batch, touched * shape[1], shape[2])
                what = f"torch._scaled_mm over {touched} experts' rows"
            elif op == "axe.gated_attention":
                peer = peers.attention(batch, config["num_attention_heads"], config["num_key_value_heads"],
                                       config["head_dim"], context)
                what = f"SDPA (GQA, context {context})"
        names = ", ".join(sorted(r["names"]))[:48]
        shape_s = "x".join(map(str, shape)) + (f" {dtype}" if dtype else "")
        peer_s = f"{peer:.1f}" if peer is not None else "-"
        ratio = f"{axe_us / peer:.1f}" if peer else "-"
        out.append(f"| {op.removeprefix('axe.')} | {shape_s} | {names} | {len(r['seconds'])} | {axe_us:.1f} | "
                   f"{peer_s} | {ratio} | {what} |")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--artifact", required=True, help="the synthetic artifact (its manifest.json is read)")
    ap.add_argument("--full-config", required=True, help="config.json of the whole model (its layer pattern)")
    ap.add_argument("--run", action="append", required=True, metavar="B:PROFILE.json:BENCH.json",
                    help="one batch size: axe-run bench --profile-json and --format json outputs")
    ap.add_argument("--bandwidth", type=float, default=4.8e12, help="memory bandwidth, bytes/s (H200: 4.8e12)")
    ap.add_argument("--device", default="cuda", help="torch device of the peers (cuda, cpu)")
    ap.add_argument("--peers", action="store_true", help="time torch on the same shapes")
    ap.add_argument("--context", type=int, default=8, help="mean context length of the timed steps")
    args = ap.parse_args()

    manifest = json.load(open(args.artifact + "/manifest.json"))
    full = json.load(open(args.full_config))
    config = full.get("text_config", full)
    pattern = config.get("layer_types") or [
        "full_attention" if (i + 1) % config["full_attention_interval"] == 0 else "linear_attention"
        for i in range(config["num_hidden_layers"])]
    full_count = {k: pattern.count(k) for k in set(pattern)}
    prog = Program(manifest)
    have = {}
    for kind in prog.layer_kind.values():
        have[kind] = have.get(kind, 0) + 1
    missing = set(full_count) - set(have)
    if missing:
        raise SystemExit(f"gpu_check_decode: the artifact has no {sorted(missing)} layer to time")

    peers = Peers(args.device) if args.peers else None
    print(f"\n## Decode at the model's real widths (synthetic weights, {len(prog.layer_kind)} layers timed, "
          f"extrapolated to {len(pattern)}: {', '.join(f'{v} {k}' for k, v in sorted(full_count.items()))})\n")
    print("Per step: the kernels' time by layer (each dispatch timed on the device: CUDA events on a GPU); `wall` is the "
          "bench's median inter-token latency (launches and copies included). The roofline step "
          f"reads what the step must (see gpu_check_decode.py) at {args.bandwidth / 1e12:.2f} TB/s.\n")
    kinds = sorted(full_count)
    print("| batch | wall ms/step | kernels ms/step | " + " | ".join(f"{k} ms/layer" for k in kinds) +
          " | outside ms | full model ms/step (extrapolated) | tok/s | roofline ms/step | of roofline |")
    print("|---:|---:|---:|" + "---:|" * len(kinds) + "---:|---:|---:|---:|---:|")
    details = []
    for run in args.run:
        batch_s, profile_path, bench_path = run.split(":")
        batch = int(batch_s)
        profile = json.load(open(profile_path))
        bench = json.load(open(bench_path))
        serve = [r for r in bench["results"] if r["test"] == "serve"]
        wall_ms = serve[0]["itl_ms"][0] if serve else float("nan")
        seconds, steps = per_step(profile)
        outside, per_kind = layer_times(prog, seconds)
        full_s = outside + sum(full_count[k] * per_kind[k] for k in kinds)
        roof = roofline_bytes(prog, config, batch, args.context)
        roof_s = (roof.get("outside", 0) + sum(full_count[k] * roof.get(k, 0) for k in kinds)) / args.bandwidth
        print(f"| {batch} | {wall_ms:.4g} | {sum(seconds) * 1e3:.4g} | " +
              " | ".join(f"{per_kind[k] * 1e3:.4g}" for k in kinds) +
              f" | {outside * 1e3:.4g} | {full_s * 1e3:.4g} | {batch / full_s:.4g} | {roof_s * 1e3:.4g} | "
              f"{100 * roof_s / full_s:.3g} % |")
        details.append((batch, seconds, steps))
    for batch, seconds, steps in details:
        print(f"\n### Kernel families at batch {batch} ({steps} steps), axe against torch on the same shapes\n")
        print("| family | weight | weights | dispatches/step | axe us/call | torch us | axe/torch | torch op |")
        print("|---|---|---|---:|---:|---:|---:|---|")
        for line in peer_rows(prog, config, batch, args.context, seconds, peers):
            print(line)


if __name__ == "__main__":
    sys.exit(main())
