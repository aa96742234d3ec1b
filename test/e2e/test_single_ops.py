"""Single ops through the CPU path: one compiled kernel of a real artifact (tiny, default FP8 map) called on chosen
inputs and compared with an independent torch reference written from the spec (shared formulas, not axe's code).

Bounds: bf16 outputs may differ from the correctly rounded reference by one bf16 ulp (2^-7 relative): the kernel
computes in f32 in its own order, so a value near a rounding boundary can go either way. f32 paths get bounds from
the f32 error of their sums, stated where used.
"""
import math

import pytest
import torch

from kernel_harness import Kernels

ULP = 2.0 ** -7  # one bf16 ulp, relative
EPS = 1e-6       # rms_norm_eps of the test models


@pytest.fixture(scope="module")
def kernels(compiled) -> Kernels:
    return Kernels(compiled("tiny", "default"))


def bf16(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.bfloat16)


def assert_bf16_close(got: torch.Tensor, ref: torch.Tensor, atol: float = 0.0):
    got, ref = got.double(), ref.double()
    err = (got - ref).abs()
    bound = ULP * ref.abs() + atol
    worst = (err - bound).argmax()
    assert (err <= bound).all(), f"{err.flatten()[worst]:.3g} > {bound.flatten()[worst]:.3g} at {worst}"


def e4m3_codes(values: torch.Tensor) -> torch.Tensor:
    return values.to(torch.float8_e4m3fn).view(torch.uint8)


def e4m3_decode(codes: torch.Tensor) -> torch.Tensor:
    return codes.view(torch.float8_e4m3fn).double()


# --- the FP8 GEMM -----------------------------------------------------------------------------------------------

def run_fp8_linear(kernels, xc, xs, wc, ws):
    k = kernels.find("axe.fp8_linear", arg0=[None, 64], arg2=[256, 64])
    out = torch.empty(xc.shape[0], 256, dtype=torch.bfloat16)
    kernels.call(k, xc, xs, wc, ws, out, workgroups=256)
    return out


def test_fp8_linear_is_exact_where_the_sums_are(kernels):
    """Integer values and power-of-two scales: every product and sum is exact in f32, so the kernel's only rounding
    is the final one to bf16, and it must equal the reference's bit for bit."""
    g = torch.Generator().manual_seed(1)
    x = torch.randint(-8, 9, (13, 64), generator=g).double()
    w = torch.randint(-8, 9, (256, 64), generator=g).double()
    xs = 2.0 ** torch.randint(-6, 4, (13,), generator=g).double()
    ws = 2.0 ** torch.randint(-6, 4, (256,), generator=g).double()
    got = run_fp8_linear(kernels, e4m3_codes(x.float()), xs.float(), e4m3_codes(w.float()), ws.float())
    ref = bf16((x @ w.T) * xs[:, None] * ws[None, :])
    assert torch.equal(got, ref)


def test_fp8_linear_from_random_codes(kernels):
    """Every finite code (NaN's 0x7f and 0xff left out), random scales. Beyond the final bf16 rounding the kernel's f32
    sum of 64 products may be off by 64 * 2^-24 of the sum of their magnitudes."""
    g = torch.Generator().manual_seed(2)
    codes = torch.tensor([c for c in range(256) if c & 0x7F != 0x7F], dtype=torch.uint8)
    xc = codes[torch.randint(0, len(codes), (9, 64), generator=g)]
    wc = codes[torch.randint(0, len(codes), (256, 64), generator=g)]
    xs = torch.rand(9, generator=g) * 0.1 + 1e-3
    ws = torch.rand(256, generator=g) * 0.01 + 1e-4
    got = run_fp8_linear(kernels, xc, xs, wc, ws)
    x, w = e4m3_decode(xc), e4m3_decode(wc)
    scale = xs.double()[:, None] * ws.double()[None, :]
    ref = (x @ w.T) * scale
    magnitude = (x.abs() @ w.abs().T) * scale
    assert_bf16_close(got, ref, atol=64 * 2.0 ** -24 * magnitude)


def test_fp8_linear_block_scaled_from_random_codes(compiled):
    """The 128x128 block scheme (tiny-fp8-block's 256x256 linear): per token, one activation scale per 128 input
    channels; one weight scale per 128x128 block. The activations arrive as f32 e4m3 values (axe.quantize's output)."""
    blocks = Kernels(compiled("tiny-fp8-block", "default"))
    k = blocks.find("axe.fp8_linear", arg0=[None, 256], arg2=[256, 256])
    g = torch.Generator().manual_seed(8)
    codes = torch.tensor([c for c in range(256) if c & 0x7F != 0x7F], dtype=torch.uint8)
    xc = codes[torch.randint(0, len(codes), (7, 256), generator=g)]
    wc = codes[torch.randint(0, len(codes), (256, 256), generator=g)]
    xs = torch.rand(7, 2, generator=g) * 0.1 + 1e-3
    ws = torch.rand(2, 2, generator=g) * 0.01 + 1e-4
    out = torch.empty(7, 256, dtype=torch.bfloat16)
    blocks.call(k, e4m3_decode(xc).float(), xs, wc, ws, out, workgroups=256)
    x, w = e4m3_decode(xc), e4m3_decode(wc)
    ref = torch.zeros(7, 256, dtype=torch.float64)
    magnitude = torch.zeros(7, 256, dtype=torch.float64)
    for kb in range(2):
        cols = slice(128 * kb, 128 * (kb + 1))
        scale = xs.double()[:, kb:kb + 1] * ws.double()[:, kb].repeat_interleave(128)[None, :]
        ref += (x[:, cols] @ w[:, cols].T) * scale
        magnitude += (x[:, cols].abs() @ w[:, cols].abs().T) * scale
    assert_bf16_close(out, ref, atol=256 * 2.0 ** -24 * magnitude)


# --- norms -----------------------------------------------------------------------------------------------------

def test_rms_norm_zero_centred_weight(kernels):
    g = torch.Generator().manual_seed(3)
    x = bf16(torch.randn(17, 64, generator=g) * 3)
    w = bf16(torch.randn(64, generator=g) * 0.5)
    out = torch.empty_like(x)
    kernels.call(kernels.find("axe.rms_norm", arg0=[None, 64]), x, w, out, workgroups=17)
    xf = x.double()
    ref = xf / torch.sqrt(xf.pow(2).mean(-1, keepdim=True) + EPS) * (1 + w.double())
    assert_bf16_close(out, ref)


def test_gated_rms_norm_raw_weight_then_silu_gate(kernels):
    g = torch.Generator().manual_seed(4)
    o = torch.randn(11, 4, 16, generator=g) * 2
    z = bf16(torch.randn(11, 4, 16, generator=g) * 2)
    w = bf16(torch.rand(16, generator=g) + 0.5)
    out = torch.empty(11, 4, 16, dtype=torch.bfloat16)
    k = kernels.find("axe.gated_rms_norm")
    kernels.call(k, o, z, w, out, workgroups=11)
    od, zd = o.double(), z.double()
    ref = od / torch.sqrt(od.pow(2).mean(-1, keepdim=True) + EPS) * w.double() * zd * torch.sigmoid(zd)
    assert_bf16_close(out, ref, atol=1e-6)


# --- partial RoPE ------------------------------------------------------------------------------------------------

def test_partial_rope_rotates_the_first_quarter_only(kernels):
    """tiny: head_dim 32, partial_rotary_factor 0.25 (8 rotated channels, pairs j and j+4), theta 1e7, text positions
    (M-RoPE reduces to 1-D RoPE). Positions up to 4095 (max_position_embeddings): the f32 angle pos * inv_freq is off
    by up to pos * 2^-24 rad (bounded here by twice that, for the rounding of inv_freq too), which moves an output by
    that much of its pair's magnitude."""
    g = torch.Generator().manual_seed(5)
    positions = torch.tensor([0, 1, 2, 7, 100, 1000, 2047, 4095], dtype=torch.int32)
    x = bf16(torch.randn(len(positions), 4, 32, generator=g))
    out = torch.empty_like(x)
    kernels.call(kernels.find("axe.rope", arg0=[None, 4, 32]), x, positions, out,
                             workgroups=len(positions))
    inv_freq = 1.0 / (1e7 ** (torch.arange(4, dtype=torch.float64) * 2 / 8))
    theta = positions.double()[:, None] * inv_freq[None, :]
    c, s = torch.cat([theta.cos()] * 2, -1)[:, None, :], torch.cat([theta.sin()] * 2, -1)[:, None, :]
    xd = x.double()
    rot = torch.cat([-xd[..., 4:8], xd[..., 0:4]], -1)
    ref = xd.clone()
    ref[..., :8] = xd[..., :8] * c + rot * s
    pair = torch.cat([xd[..., 0:4].abs() + xd[..., 4:8].abs()] * 2, -1)
    angle_err = positions.double()[:, None, None] * 2.0 ** -24 * 2
    assert torch.equal(out[..., 8:], x[..., 8:])
    assert_bf16_close(out[..., :8], ref[..., :8], atol=angle_err * pair + 1e-6)


# --- routing ---------------------------------------------------------------------------------------------------

def test_routing_softmax_top2_with_ties_keeps_the_lower_expert(kernels):
    """Softmax over the 8 experts, the 2 largest, renormalized (spec 3.8). Tied scores choose the lower expert index
    first, as HF's torch.topk does on CPU for these rows and as the kernel documents."""
    logits = torch.tensor([
        [0.0] * 8,                                      # all tied: experts 0, 1
        [1.0, 3.0, 3.0, 0.0, 3.0, -1.0, 2.0, 0.5],      # three tied for first: 1, 2
        [5.0, -2.0, 0.1, 0.1, 0.1, 4.0, 0.2, 0.3],      # distinct: 0, 5
        [-1.0, -1.0, -1.0, -1.0, 2.0, -1.0, -1.0, 2.0],  # tied pair on top: 4, 7
        [0.3, 0.2, 0.1, 0.9, 0.9, 0.0, -0.5, 0.8],      # 3, 4
    ], dtype=torch.float32)
    idx = torch.empty(len(logits), 2, dtype=torch.int32)
    weights = torch.empty(len(logits), 2, dtype=torch.float32)
    kernels.call(kernels.find("axe.moe_route"), logits, idx, weights, workgroups=len(logits))
    assert idx.tolist() == [[0, 1], [1, 2], [0, 5], [4, 7], [3, 4]]
    p = torch.softmax(logits.double(), -1)
    chosen = p.gather(1, idx.long())
    ref = chosen / chosen.sum(-1, keepdim=True)
    assert torch.allclose(weights.double(), ref, rtol=1e-6, atol=0)


# --- the gated delta rule: chunked (prefill) against recurrent (decode) and the spec's recurrence -------------------

def delta_rule_inputs(g: torch.Generator, T: int):
    """tiny's DeltaNet shapes: 2 q/k heads and 4 v heads of 16 channels."""
    return dict(q=bf16(torch.randn(T, 2, 16, generator=g)), k=bf16(torch.randn(T, 2, 16, generator=g)),
                v=bf16(torch.randn(T, 4, 16, generator=g)), b=bf16(torch.randn(T, 4, generator=g)),
                a=bf16(torch.randn(T, 4, generator=g)))


def run_delta_rule(kernels, x: dict, a_log, dt_bias, state, seq_ids, slots):
    k = kernels.find("axe.gated_delta_rule")
    out = torch.empty(x["q"].shape[0], 4, 16, dtype=torch.float32)
    kernels.call(k, x["q"], x["k"], x["v"], x["a"], x["b"], a_log, dt_bias, state,
                 torch.tensor(seq_ids, dtype=torch.int32), torch.tensor(slots, dtype=torch.int32), out, workgroups=4)
    return out


def delta_rule_reference(x: dict, a_log, dt_bias, S: torch.Tensor):
    """Spec 3.6 steps 4-7 in float64, one token at a time. S: [4 v heads, 16 k, 16 v], updated in place."""
    q, k, v = x["q"].double(), x["k"].double(), x["v"].double()
    q = q / torch.sqrt(q.pow(2).sum(-1, keepdim=True) + 1e-6) / math.sqrt(16)
    k = k / torch.sqrt(k.pow(2).sum(-1, keepdim=True) + 1e-6)
    beta = torch.sigmoid(x["b"].double())
    decay = torch.exp(-torch.exp(a_log.double()) * torch.nn.functional.softplus(x["a"].double() + dt_bias.double()))
    out = torch.empty(len(q), 4, 16, dtype=torch.float64)
    for t in range(len(q)):
        for j in range(4):
            qt, kt = q[t, j // 2], k[t, j // 2]
            S[j] *= decay[t, j]
            d = beta[t, j] * (v[t, j] - S[j].T @ kt)
            S[j] += torch.outer(kt, d)
            out[t, j] = S[j].T @ qt
    return out


def test_delta_rule_chunked_prefill_equals_recurrent_decode(kernels):
    """Two sequences in one step: 150 tokens (chunks of 64, 64 and 22) from a zero state in slot 2, then 5 tokens
    continuing a nonzero state in slot 0 (slot 1 belongs to no one and must not change). Against token-by-token
    decode steps (chunks of one: the recurrent form) and the spec's float64 recurrence; the forms differ by f32
    rounding only (spec 3.6). Measured over seeds 6-15, relative to the largest value: outputs 5.4e-7..1.7e-6
    chunked, 1.8e-7..2.8e-7 recurrent; final states 3.1e-8..1.5e-7. Bounds 1e-5 and 1e-6, six times the largest."""
    g = torch.Generator().manual_seed(6)
    a_log = bf16(torch.rand(4, generator=g) - 0.5)
    dt_bias = bf16(torch.rand(4, generator=g) - 0.5)
    x0, x1 = delta_rule_inputs(g, 150), delta_rule_inputs(g, 5)
    initial = torch.zeros(3, 4, 16, 16)
    initial[0] = torch.randn(4, 16, 16, generator=g) * 0.3
    initial[1] = torch.randn(4, 16, 16, generator=g)

    state = initial.clone()
    both = {n: torch.cat([x0[n], x1[n]]) for n in x0}
    chunked = run_delta_rule(kernels, both, a_log, dt_bias, state, [0] * 150 + [1] * 5, [2, 0])

    stepped_state = initial.clone()
    stepped = torch.cat([run_delta_rule(kernels, {n: x[n][t:t + 1] for n in x}, a_log, dt_bias, stepped_state, [0], [slot])
                         for x, slot in ((x0, 2), (x1, 0)) for t in range(len(x["q"]))])

    ref_state = initial.double().clone()
    ref = torch.cat([delta_rule_reference(x0, a_log, dt_bias, ref_state[2]),
                     delta_rule_reference(x1, a_log, dt_bias, ref_state[0])])

    assert torch.equal(state[1], initial[1]) and torch.equal(stepped_state[1], initial[1])
    scale = ref.abs().max()
    for name, got, got_state in (("chunked", chunked, state), ("recurrent", stepped, stepped_state)):
        err = (got.double() - ref).abs().max() / scale
        state_err = (got_state.double() - ref_state).abs().max() / ref_state.abs().max()
        assert err < 1e-5 and state_err < 1e-6, f"{name}: output {err:.2e}, state {state_err:.2e}"


# --- attention over a paged KV cache ---------------------------------------------------------------------------------

def test_attention_over_a_shuffled_block_table_with_three_sequences(kernels):
    """tiny: 4 query heads, 2 KV heads (GQA: heads 0-1 read KV head 0), head_dim 32, blocks of 16 positions. Three
    sequences in one step, over a shuffled block table: A continues after 20 cached positions with 3 new tokens, B
    is a fresh prefill of 37, C decodes one token after 40 cached. The cache is first filled by the cache-write kernel
    for the cached positions (an earlier step), then the step writes its own tokens and attends. Reference: spec 3.5
    in float64 from the same bf16 values (scale 1/sqrt(32), causal, softmax, then the sigmoid gate)."""
    g = torch.Generator().manual_seed(7)
    write = kernels.find("axe.kv_cache_write")
    attend = kernels.find("axe.gated_attention")
    cached = {"A": 20, "B": 0, "C": 40}
    new = {"A": 3, "B": 37, "C": 1}
    names = list(cached)
    total = {n: cached[n] + new[n] for n in names}
    K = {n: bf16(torch.randn(total[n], 2, 32, generator=g)) for n in names}
    V = {n: bf16(torch.randn(total[n], 2, 32, generator=g)) for n in names}
    MB = 4
    NB = 16
    order = torch.randperm(NB, generator=g)
    block_table = order[:len(names) * MB].reshape(len(names), MB).to(torch.int32)
    k_cache = torch.full((NB, 16, 2, 32), float("nan"), dtype=torch.bfloat16)  # an unwritten slot read is NaN
    v_cache = k_cache.clone()

    def write_step(positions_of: dict):
        rows = [(i, p) for i, n in enumerate(names) for p in positions_of[n]]
        seq_ids = torch.tensor([i for i, _ in rows], dtype=torch.int32)
        positions = torch.tensor([p for _, p in rows], dtype=torch.int32)
        k_in = torch.stack([K[names[i]][p] for i, p in rows])
        v_in = torch.stack([V[names[i]][p] for i, p in rows])
        kernels.call(write, k_in, v_in, k_cache, v_cache, positions, seq_ids, block_table, workgroups=len(rows))
        return seq_ids, positions

    write_step({n: range(cached[n]) for n in names})
    seq_ids, positions = write_step({n: range(cached[n], total[n]) for n in names})
    T = len(positions)
    q = bf16(torch.randn(T, 4, 32, generator=g))
    gate = bf16(torch.randn(T, 4, 32, generator=g))
    out = torch.empty(T, 128, dtype=torch.bfloat16)
    kernels.call(attend, q, gate, k_cache, v_cache, positions, seq_ids, block_table, out, workgroups=4)

    ref = torch.empty(T, 4, 32, dtype=torch.float64)
    bound = torch.empty(T, 4, 32, dtype=torch.float64)
    for t in range(T):
        n, p = names[seq_ids[t]], int(positions[t])
        for h in range(4):
            keys, values = K[n][:p + 1, h // 2].double(), V[n][:p + 1, h // 2].double()
            weights = torch.softmax(keys @ q[t, h].double() / math.sqrt(32), 0)
            ref[t, h] = (weights @ values) * torch.sigmoid(gate[t, h].double())
            # f32 online softmax over up to 41 positions: a few dozen f32 roundings of the largest
            # value (1e-5 is about 170 * 2^-24), on top of the one-ulp bf16 bound
            bound[t, h] = 1e-5 * values.abs().max()
    assert_bf16_close(out.reshape(T, 4, 32), ref, atol=bound)
