//===- AxeOps.td - ops of the axe dialect --------------------*- tablegen -*-===//
//
// One op per concept of shared/spec/qwen3_5_moe.md §3. Each description names the spec section
// it implements; each verifier rule has a name that its error message quotes.
//
//===----------------------------------------------------------------------===//

#ifndef AXE_OPS_TD
#define AXE_OPS_TD

include "dialects/axe/AxeBase.td"
include "dialects/axe/AxeAttrs.td"
include "dialects/axe/AxeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Operand and result constraints stay broad (ranked tensors); the verifiers in AxeOps.cpp check
// the spec's shape and dtype rules so that every failure names the rule it broke.

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Axe_ParamOp : Axe_Op<"param"> {
  let summary = "an external weight: a checkpoint tensor by name, shape and dtype";
  let description = [{
    Refers to a tensor of the checkpoint (or of the artifact) by name. The IR never holds weight
    data: the artifact writer streams the named tensor out of the checkpoint and converts it to the
    result's element type as the precision decisions say.

    `parts` is for tensors that the checkpoint stores in pieces (per-expert layouts): the value is
    the row-major concatenation of the named parts, in order. The element count must be the
    checkpoint's; the element type is converted (bf16 → f32, [N, 1] scales → [N]).

    `encoding` marks a param that the precision passes derived from the checkpoint tensor:
    its FP8 values or its scales, per output row (`fp8_channel*`, scales [shape without the last
    dimension]) or per 128 x 128 block of the last two dimensions (`fp8_block*`).

    Rules: `param.name` (non-empty name and parts), `param.static_shape`, `param.dtype` (bf16,
    f16, f32, f8E4M3FN or a signless integer), `param.encoding` (f8E4M3FN values, f32 scales).

    ```mlir
    %w = axe.param "model.language_model.layers.3.self_attn.k_proj.weight" : tensor<512x2048xbf16>
    %gu = axe.param "layers.0.mlp.experts.gate_up" parts ["layers.0.mlp.experts.0.gate_proj.weight",
            "layers.0.mlp.experts.0.up_proj.weight"] : tensor<1x1024x2048xbf16>
    %w8 = axe.param "k_proj.weight" encoding <fp8_channel> : tensor<512x2048xf8E4M3FN>
    %ws = axe.param "k_proj.weight" encoding <fp8_channel_scale> : tensor<512xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, OptionalAttr<StrArrayAttr>:$parts,
                       OptionalAttr<Axe_EncodingAttr>:$encoding);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $name (`parts` $parts^)? (`encoding` $encoding^)? attr-dict `:` type($result)
  }];
  let builders = [
    // A plain checkpoint tensor.
    OpBuilder<(ins "::mlir::Type":$result, "::llvm::StringRef":$name), [{
      build($_builder, $_state, result, $_builder.getStringAttr(name), ::mlir::ArrayAttr(),
            ::mlir::axe::EncodingAttr());
    }]>
  ];
}

//===----------------------------------------------------------------------===//
// Embedding, norms, elementwise
//===----------------------------------------------------------------------===//

def Axe_EmbedOp : Axe_Op<"embed",
    [DeclareOpInterfaceMethods<Axe_WeightOwnerOpInterface>]> {
  let summary = "token embedding lookup (spec §3.2)";
  let description = [{
    `result[t, :] = table[ids[t], :]`, converted to the result's element type (bf16, or f32
    under the f32 policy). No scaling. Ids outside `[0, V)` are an error at run time.

    Rules: `embed.ids` (rank-1 integer), `embed.table` (rank 2), `embed.result` (float [T, D]).

    ```mlir
    %h = axe.embed %ids, %table : tensor<?xi32>, tensor<248320x2048xbf16> -> tensor<?x2048xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$ids, AnyRankedTensor:$table);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$ids `,` $table attr-dict `:` type($ids) `,` type($table) `->` type($result)";
}

def Axe_RmsNormOp : Axe_Op<"rms_norm"> {
  let summary = "RMSNorm over the last dimension, optionally zero-centred (spec §3.3)";
  let description = [{
    `y = x · rsqrt(mean(x²) + eps) · s` over the last dimension, computed in f32, where
    `s = 1 + w` with `zero_centered` (the main norms, q/k norms) and `s = w` without it.
    The result has the input's shape; its element type may differ (bf16 → bf16 or f32).

    Rules: `rms_norm.input` (ranked float), `rms_norm.weight` (rank 1, size of the last input
    dimension), `rms_norm.result` (input's shape, float), `rms_norm.eps` (> 0).

    ```mlir
    %y = axe.rms_norm %x, %w {eps = 1.0e-6 : f32, zero_centered}
           : tensor<?x2048xbf16>, tensor<2048xbf16> -> tensor<?x2048xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight, F32Attr:$eps,
                       UnitAttr:$zero_centered);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
}

def Axe_GatedRmsNormOp : Axe_Op<"gated_rms_norm"> {
  let summary = "RMSNorm then SiLU gate, raw weight (spec §3.3, GDN output norm)";
  let description = [{
    Per vector over the last dimension: `y = x · rsqrt(mean(x²) + eps) · w · silu(gate)`, with the
    raw weight `w` (not `1 + w`), normalised before gating, in f32.

    Rules: `gated_rms_norm.input` (ranked float), `gated_rms_norm.gate` (same shape as the input),
    `gated_rms_norm.weight` (rank 1, last input dimension), `gated_rms_norm.result`,
    `gated_rms_norm.eps`.

    ```mlir
    %y = axe.gated_rms_norm %o, %z, %w {eps = 1.0e-6 : f32}
           : tensor<?x32x128xf32>, tensor<?x32x128xbf16>, tensor<128xf32> -> tensor<?x32x128xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$gate, AnyRankedTensor:$weight,
                       F32Attr:$eps);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $gate `,` $weight attr-dict `:` type($input) `,` type($gate) `,` type($weight)
    `->` type($result)
  }];
}

def Axe_SiluMulOp : Axe_Op<"silu_mul"> {
  let summary = "SwiGLU activation: silu(gate) · up";
  let description = [{
    Elementwise `silu(gate) · up` in f32, cast to the result type (spec §3.8 SWIGLU).

    Rules: `silu_mul.shapes` (gate, up and result have one shape), `silu_mul.dtype` (floats).

    ```mlir
    %h = axe.silu_mul %g, %u : tensor<?x512xbf16>, tensor<?x512xbf16> -> tensor<?x512xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$gate, AnyRankedTensor:$up);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($gate) `,` type($up) `->` type($result)";
}

def Axe_RmsNormQuantizeOp : Axe_Op<"rms_norm_quantize"> {
  let summary = "RMSNorm with per-token FP8 quantization of its output (a GEMM prologue)";
  let description = [{
    `axe.quantize(axe.rms_norm(x, w))` in one op, made by `axe-fuse-quant-gemm` when the norm
    feeds only FP8 linears: the normalised row never goes to memory in bf16.

    Rules: those of `rms_norm` (`rms_norm_quantize.input` [T, K] float,
    `rms_norm_quantize.weight`, `rms_norm_quantize.eps`) and of a per-token `quantize`
    (`rms_norm_quantize.result` f8E4M3FN [T, K], `rms_norm_quantize.scale` f32 [T]).

    ```mlir
    %q, %s = axe.rms_norm_quantize %x, %w {eps = 1.0e-6 : f32, zero_centered}
               : tensor<?x2048xbf16>, tensor<2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight, F32Attr:$eps,
                       UnitAttr:$zero_centered);
  let results = (outs AnyRankedTensor:$result, AnyRankedTensor:$scale);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result) `,`
    type($scale)
  }];
}

def Axe_SiluMulQuantizeOp : Axe_Op<"silu_mul_quantize"> {
  let summary = "SwiGLU with per-token FP8 quantization of its output (a GEMM prologue)";
  let description = [{
    `axe.quantize(axe.silu_mul(gate, up))` in one op, made by `axe-fuse-quant-gemm` when the
    product feeds only an FP8 linear.

    Rules: `silu_mul_quantize.input` (gate and up float [T, K] of one shape),
    `silu_mul_quantize.result` (f8E4M3FN [T, K]), `silu_mul_quantize.scale` (f32 [T]).

    ```mlir
    %q, %s = axe.silu_mul_quantize %g, %u
               : tensor<?x512xbf16>, tensor<?x512xbf16> -> tensor<?x512xf8E4M3FN>, tensor<?xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$gate, AnyRankedTensor:$up);
  let results = (outs AnyRankedTensor:$result, AnyRankedTensor:$scale);
  let assemblyFormat = [{
    $gate `,` $up attr-dict `:` type($gate) `,` type($up) `->` type($result) `,` type($scale)
  }];
}

def Axe_SigmoidGateOp : Axe_Op<"sigmoid_gate"> {
  let summary = "x · sigmoid(gate), the gate per element or one per row";
  let description = [{
    `y = x · sigmoid(gate)` in f32. `gate` has the input's shape (elementwise) or `[T, 1]` (one
    scalar per token, as the shared-expert gate of spec §3.8).

    Rules: `sigmoid_gate.input` (rank 2 float), `sigmoid_gate.gate` ([T, N] or [T, 1]),
    `sigmoid_gate.result`.

    ```mlir
    %s = axe.sigmoid_gate %shared, %logit : tensor<?x2048xbf16>, tensor<?x1xbf16> -> tensor<?x2048xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$gate);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $gate attr-dict `:` type($input) `,` type($gate) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Linear layers and FP8 quantization
//===----------------------------------------------------------------------===//

def Axe_LinearOp : Axe_Op<"linear",
    [DeclareOpInterfaceMethods<Axe_WeightOwnerOpInterface>]> {
  let summary = "y = x · Wᵀ with W stored [out, in] (spec §3.1); carries the layer's role";
  let description = [{
    A linear layer without bias. Accumulation is f32. With float operands (bf16, f16, f32) the
    result is any float type. With f8E4M3FN operands (both) this is the bare FP8 matmul that
    `axe-quantize` produces between `axe.quantize` and `axe.dequantize`, and its result is the f32
    accumulator. The role is what precision policies match on.

    Rules: `linear.input` (rank 2), `linear.weight` (rank 2, [N, K]), `linear.k_match`,
    `linear.result` ([T, N], float), `linear.dtype` (f8 operands come in pairs and give f32).

    ```mlir
    %k = axe.linear %x, %w {role = #axe.role<attn_k>}
           : tensor<?x2048xbf16>, tensor<512x2048xbf16> -> tensor<?x512xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight, Axe_RoleAttr:$role);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
}

def Axe_QuantizeOp : Axe_Op<"quantize"> {
  let summary = "dynamic FP8 E4M3 quantization per token or per 1×G group";
  let description = [{
    Per token t (and per group g of `group_size` channels when given, spec §5.3):
    `s = max(amax(x[t, g]), eps) / 448`, `q = e4m3_rne(clamp(x / s, ±448))`. Clamping comes
    before the cast so every target agrees bit for bit (the cast is not saturating everywhere).
    Scales are f32: `[T]` per token, `[T, K / group_size]` per group.

    Rules: `quantize.input` (rank-2 float), `quantize.result` (f8E4M3FN of the input's shape),
    `quantize.scale` (f32 of the granularity's shape), `quantize.group_size` (positive, divides K).

    ```mlir
    %q, %s = axe.quantize %x : tensor<?x2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?xf32>
    %qg, %sg = axe.quantize %x {group_size = 128 : i64}
                 : tensor<?x2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, OptionalAttr<I64Attr>:$group_size);
  let results = (outs AnyRankedTensor:$result, AnyRankedTensor:$scale);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result) `,` type($scale)
  }];
}

def Axe_DequantizeOp : Axe_Op<"dequantize"> {
  let summary = "scale an FP8 matmul's f32 accumulator by token and channel scales";
  let description = [{
    `y[t, n] = acc[t, n] · act_scale[t] · weight_scale[n]`, cast to the result type (bf16 in
    the default map). The per-channel scheme of DESIGN.md §2.

    Rules: `dequantize.acc` (rank-2 f32), `dequantize.act_scale` (f32 [T]),
    `dequantize.weight_scale` (f32 [N]), `dequantize.result` ([T, N] float).

    ```mlir
    %y = axe.dequantize %acc, %st, %sw
           : tensor<?x512xf32>, tensor<?xf32>, tensor<512xf32> -> tensor<?x512xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$acc, AnyRankedTensor:$act_scale,
                       AnyRankedTensor:$weight_scale);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $acc `,` $act_scale `,` $weight_scale attr-dict `:` type($acc) `,` type($act_scale) `,`
    type($weight_scale) `->` type($result)
  }];
}

def Axe_Fp8LinearOp : Axe_Op<"fp8_linear",
    [DeclareOpInterfaceMethods<Axe_WeightOwnerOpInterface>]> {
  let summary = "fused quantize · FP8 GEMM · dequantize";
  let description = [{
    One FP8 linear layer, what `axe-fuse-quant-gemm` makes of quantize → linear → dequantize.

    * Per-channel scheme (DESIGN.md §2): `weight_scale` is f32 `[N]`; the activation is
      quantized per token.
    * Block scheme (spec §5.3, Qwen FP8 checkpoints): `weight_block = [bn, bk]` and
      `weight_scale` is f32 `[ceil(N/bn), ceil(K/bk)]`; the activation is quantized per token and
      per `bk`-channel group, and each K-block's partial sum is scaled before accumulation.

    The input is either a float tensor, quantized inside the op, or an already quantized
    f8E4M3FN tensor followed by `scaled %s` (its scales), when a producer (rms_norm, silu_mul)
    quantized it in its epilogue. Accumulation is f32; the result is a float (bf16 by default).

    Rules: `fp8_linear.input` (rank 2), `fp8_linear.weight` (f8E4M3FN [N, K]),
    `fp8_linear.k_match`, `fp8_linear.weight_scale`, `fp8_linear.weight_block`,
    `fp8_linear.input_scale` (present exactly when the input is f8, with the granularity's shape),
    `fp8_linear.result` ([T, N] float).

    ```mlir
    %q = axe.fp8_linear %x, %w8, %ws {role = #axe.role<attn_q>}
           : (tensor<?x2048xbf16>, tensor<8192x2048xf8E4M3FN>, tensor<8192xf32>) -> tensor<?x8192xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Optional<AnyRankedTensor>:$input_scale,
                       AnyRankedTensor:$weight, AnyRankedTensor:$weight_scale,
                       Axe_RoleAttr:$role, OptionalAttr<DenseI64ArrayAttr>:$weight_block);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`scaled` $input_scale^)? `,` $weight `,` $weight_scale attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Axe_RopeOp : Axe_Op<"rope"> {
  let summary = "partial rotary position embedding, rotate-half (NeoX) style (spec §3.5)";
  let description = [{
    Rotates the first `rotary_dim` channels of every head; the rest pass through. Channel
    `j < rotary_dim/2` pairs with `j + rotary_dim/2` at frequency
    `inv_freq[j] = theta^(-2j/rotary_dim)`, angle `position · inv_freq[j]`, computed in f32.
    (Interleaved M-RoPE equals this for text tokens.)

    Rules: `rope.input` (rank 3 [T, H, d], float), `rope.positions` (integer [T]),
    `rope.rotary_dim` (even, 0 < r ≤ d), `rope.theta` (> 0), `rope.result` (input's type).

    ```mlir
    %q = axe.rope %x, %pos {rotary_dim = 64 : i64, theta = 1.0e7 : f64}
           : tensor<?x16x256xbf16>, tensor<?xi32> -> tensor<?x16x256xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$positions,
                       I64Attr:$rotary_dim, F64Attr:$theta);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $positions attr-dict `:` type($input) `,` type($positions) `->` type($result)
  }];
}

def Axe_GatedAttentionOp : Axe_Op<"gated_attention",
    [DeclareOpInterfaceMethods<Axe_StateUpdateOpInterface>]> {
  let summary = "causal GQA attention over a paged KV cache, with a sigmoid output gate (spec §3.5)";
  let description = [{
    For a flat batch of T tokens from S sequences. Token t belongs to sequence `seq_ids[t]` and
    sits at `positions[t]` in it; its K and V (already normed and rotated) are written to the
    cache at that position, through the sequence's row of `block_table` (block
    `block_table[s, p / B]`, slot `p mod B`, B the block size). Then query head h attends, with
    scale `scale` (default 1/sqrt(d)) and softmax in f32, to every cached position `≤ p` of its
    own sequence through KV head `h / (H / Hkv)`. The output is multiplied elementwise by
    `sigmoid(gate)` and flattened to `[T, H·d]`.

    The cache operands are the caches before the step; the op returns them updated.

    Rules: `attention.q` ([T, H, d] float), `attention.kv` ([T, Hkv, d]),
    `attention.gqa` (H divisible by Hkv), `attention.gate` (q's shape),
    `attention.cache` ([blocks, B, Hkv, d], bf16, f32 or f8E4M3FN, K and V alike),
    `attention.metadata` (integer positions [T] and seq_ids [T], i32 block table [S, M]),
    `attention.result` ([T, H·d] float, caches returned with their types), `attention.scale` (> 0).

    ```mlir
    %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc),
        positions %pos, seqs %seq, blocks %bt
      : (tensor<?x16x256xbf16>, tensor<?x2x256xbf16>, tensor<?x2x256xbf16>, tensor<?x16x256xbf16>,
         tensor<?x16x2x256xbf16>, tensor<?x16x2x256xbf16>, tensor<?xi32>, tensor<?xi32>,
         tensor<?x?xi32>) -> (tensor<?x4096xbf16>, tensor<?x16x2x256xbf16>, tensor<?x16x2x256xbf16>)
    ```
  }];
  let arguments = (ins AnyRankedTensor:$q, AnyRankedTensor:$k, AnyRankedTensor:$v,
                       AnyRankedTensor:$gate, AnyRankedTensor:$k_cache, AnyRankedTensor:$v_cache,
                       AnyRankedTensor:$positions, AnyRankedTensor:$seq_ids,
                       AnyRankedTensor:$block_table, OptionalAttr<F32Attr>:$scale);
  let results = (outs AnyRankedTensor:$result, AnyRankedTensor:$new_k_cache,
                      AnyRankedTensor:$new_v_cache);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` `gate` $gate `,` `cache` `(` $k_cache `,` $v_cache `)` `,`
    `positions` $positions `,` `seqs` $seq_ids `,` `blocks` $block_table attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Gated DeltaNet (linear attention)
//===----------------------------------------------------------------------===//

def Axe_CausalConv1dOp : Axe_Op<"causal_conv1d",
    [DeclareOpInterfaceMethods<Axe_StateUpdateOpInterface>]> {
  let summary = "depthwise causal conv1d over tokens, then SiLU, with a per-sequence conv state (spec §3.6 step 2)";
  let description = [{
    `y[t, c] = silu(Σ_{j<K} w[c, 0, j] · x[t-K+1+j, c])` over the tokens of t's own sequence;
    positions before the batch come from the sequence's conv state, which holds the last K-1
    inputs (zeros for a new sequence). Sequence `seq_ids[t]` uses pool slot
    `state_slots[seq_ids[t]]`. Returns the outputs and the updated state pool.

    Rules: `conv.input` ([T, C] float), `conv.weight` ([C, 1, K]), `conv.state` ([P, K-1, C]),
    `conv.metadata` (integer seq_ids [T] and state_slots [S]), `conv.result` (input's shape,
    state returned with its type).

    ```mlir
    %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots
      : (tensor<?x8192xbf16>, tensor<8192x1x4xbf16>, tensor<?x3x8192xbf16>, tensor<?xi32>,
         tensor<?xi32>) -> (tensor<?x8192xbf16>, tensor<?x3x8192xbf16>)
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight, AnyRankedTensor:$state,
                       AnyRankedTensor:$seq_ids, AnyRankedTensor:$state_slots);
  let results = (outs AnyRankedTensor:$result, AnyRankedTensor:$new_state);
  let assemblyFormat = [{
    $input `,` $weight `,` `state` $state `,` `seqs` $seq_ids `,` `slots` $state_slots attr-dict
    `:` functional-type(operands, results)
  }];
}

def Axe_GatedDeltaRuleOp : Axe_Op<"gated_delta_rule",
    [DeclareOpInterfaceMethods<Axe_StateUpdateOpInterface>]> {
  let summary = "gated delta rule with its gates, q/k L2 norm and recurrent state (spec §3.6 steps 4-7)";
  let description = [{
    Per token t of sequence s (state slot `state_slots[s]`) and value head j (q/k head
    `j / (Hv / Hk)`), all in f32:

    ```
    beta = sigmoid(b[t,j]);  g = -exp(a_log[j]) · softplus(a[t,j] + dt_bias[j])
    q = l2norm(q) · scale;   k = l2norm(k)          (eps 1e-6 inside the sqrt; scale = 1/sqrt(dk))
    S = exp(g) · S;  S += outer(k, beta · (v - Sᵀk));  o[t,j] = Sᵀ q
    ```

    The state is f32 `[P, Hv, dk, dv]`. Recurrent (decode) and chunked (prefill) evaluation are
    lowering choices with the same semantics. Returns the output and the updated state pool.

    Rules: `gdn.qk` ([T, Hk, dk] float, q and k alike), `gdn.v` ([T, Hv, dv]),
    `gdn.heads` (Hv divisible by Hk), `gdn.gates` (a and b [T, Hv]), `gdn.decay` (a_log and
    dt_bias [Hv]), `gdn.state` (f32 [P, Hv, dk, dv]), `gdn.metadata`, `gdn.result`
    ([T, Hv, dv] float, state returned with its type), `gdn.scale` (> 0).

    ```mlir
    %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s,
        seqs %seq, slots %slots
      : (tensor<?x16x128xbf16>, tensor<?x16x128xbf16>, tensor<?x32x128xbf16>, tensor<?x32xbf16>,
         tensor<?x32xbf16>, tensor<32xf32>, tensor<32xf32>, tensor<?x32x128x128xf32>,
         tensor<?xi32>, tensor<?xi32>) -> (tensor<?x32x128xf32>, tensor<?x32x128x128xf32>)
    ```
  }];
  let arguments = (ins AnyRankedTensor:$q, AnyRankedTensor:$k, AnyRankedTensor:$v,
                       AnyRankedTensor:$a, AnyRankedTensor:$b, AnyRankedTensor:$a_log,
                       AnyRankedTensor:$dt_bias, AnyRankedTensor:$state,
                       AnyRankedTensor:$seq_ids, AnyRankedTensor:$state_slots,
                       OptionalAttr<F32Attr>:$scale);
  let results = (outs AnyRankedTensor:$result, AnyRankedTensor:$new_state);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` `gates` `(` $a `,` $b `)` `,` `decay` `(` $a_log `,` $dt_bias `)` `,`
    `state` $state `,` `seqs` $seq_ids `,` `slots` $state_slots attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

def Axe_MoeRouteOp : Axe_Op<"moe_route"> {
  let summary = "softmax over all experts → top-k → optional renormalisation (spec §3.8)";
  let description = [{
    `p = softmax(logits)` in f32 over all E experts, then the k largest probabilities and their
    expert ids; with `renormalize` the k weights are divided by their sum (Qwen3.5 always does).

    Rules: `route.logits` ([T, E] float), `route.top_k` (0 < k ≤ E), `route.result` (i32 ids
    and f32 weights, both [T, k]).

    ```mlir
    %ids, %w = axe.moe_route %logits {top_k = 8 : i64, renormalize}
                 : tensor<?x256xf32> -> tensor<?x8xi32>, tensor<?x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$logits, I64Attr:$top_k, UnitAttr:$renormalize);
  let results = (outs AnyRankedTensor:$expert_ids, AnyRankedTensor:$expert_weights);
  let assemblyFormat = [{
    $logits attr-dict `:` type($logits) `->` type($expert_ids) `,` type($expert_weights)
  }];
}

def Axe_MoeExpertsOp : Axe_Op<"moe_experts",
    [AttrSizedOperandSegments, DeclareOpInterfaceMethods<Axe_WeightOwnerOpInterface>]> {
  let summary = "grouped SwiGLU experts, weighted sum over each token's routed experts (spec §3.8)";
  let description = [{
    `y[t] = Σ_i weights[t,i] · down[e] · (silu(gate[e] · x[t]) ⊙ (up[e] · x[t]))` with
    `e = ids[t,i]`, where `gate_up[e]` holds the gate rows first, then the up rows (the fused
    checkpoint layout [E, 2I, H]) and `down` is [E, H, I]. With f8E4M3FN weights, `scaled %s`
    gives each weight's f32 scales and activations are quantized dynamically, as in
    `axe.fp8_linear`: per channel ([E, 2I] and [E, H]) with per-token activations, or with
    `weight_block = [bn, bk]` per block ([E, 2I/bn, H/bk] and [E, H/bn, I/bk]) with 1 x bk
    activation groups.

    Rules: `experts.input` ([T, H] float), `experts.routing` (i32 ids and f32 weights, [T, k]),
    `experts.gate_up` ([E, 2I, H]), `experts.down` ([E, H, I], same E and I),
    `experts.dtype` (bf16/f16/f32 or f8E4M3FN, one kind for both), `experts.scales` (present
    exactly for f8 weights, f32 of the right shape), `experts.weight_block` (two positive sizes
    dividing I and H, f8 weights only), `experts.result` (input's shape, float).

    ```mlir
    %r = axe.moe_experts %x, %ids, %w, %gu, %dn
      : (tensor<?x2048xbf16>, tensor<?x8xi32>, tensor<?x8xf32>, tensor<256x1024x2048xbf16>,
         tensor<256x2048x512xbf16>) -> tensor<?x2048xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$expert_ids,
                       AnyRankedTensor:$expert_weights, AnyRankedTensor:$gate_up,
                       Optional<AnyRankedTensor>:$gate_up_scale, AnyRankedTensor:$down,
                       Optional<AnyRankedTensor>:$down_scale,
                       OptionalAttr<DenseI64ArrayAttr>:$weight_block);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $expert_ids `,` $expert_weights `,` $gate_up (`scaled` $gate_up_scale^)? `,`
    $down (`scaled` $down_scale^)? attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Output
//===----------------------------------------------------------------------===//

def Axe_LogitsOp : Axe_Op<"logits",
    [DeclareOpInterfaceMethods<Axe_WeightOwnerOpInterface>]> {
  let summary = "LM head on selected token rows, f32 logits (spec §3.9)";
  let description = [{
    `logits[r, :] = hidden[rows[r], :] · Wᵀ` with f32 accumulation and result. Only the rows
    that need sampling (the last token of each sequence, or every token for a logit dump) are
    projected, which keeps a long prefill from computing [T, V].

    An FP8 head (weight-only: the hidden rows stay in their float type) carries its scales:
    per output row (`[V]`) or per 128x128 block (`[ceil(V/128), D/128]`, D a multiple of 128);
    `logits[r, v] = sum over K blocks of (hidden[rows[r]] · W8[v]) over the block × scale`.

    Rules: `logits.hidden` ([T, D] float), `logits.weight` ([V, D], float, or f8E4M3FN with a
    scale), `logits.scale` (f32 [V] or [ceil(V/128), D/128], only with an FP8 head),
    `logits.rows` (integer [R]), `logits.result` (f32 [R, V]).

    ```mlir
    %l = axe.logits %h, %w, rows %r
           : tensor<?x2048xbf16>, tensor<248320x2048xbf16>, tensor<?xi32> -> tensor<?x248320xf32>
    %l8 = axe.logits %h, %w8 scale %s, rows %r
           : tensor<?x2048xbf16>, tensor<248320x2048xf8E4M3FN> scale tensor<248320xf32>, tensor<?xi32>
           -> tensor<?x248320xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$hidden, AnyRankedTensor:$weight,
                       Optional<AnyRankedTensor>:$weight_scale, AnyRankedTensor:$rows);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $hidden `,` $weight (`scale` $weight_scale^)? `,` `rows` $rows attr-dict `:` type($hidden) `,`
    type($weight) (`scale` type($weight_scale)^)? `,` type($rows) `->` type($result)
  }];
}

include "dialects/axe/AxeStepProgramOps.td"

#endif // AXE_OPS_TD
