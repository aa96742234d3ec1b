//===- Passes.td - axe passes ---------------------------------*- tablegen -*-===//
//
// The precision pipeline (DESIGN.md §1): assign a precision to every weight, rewrite FP8
// linears into quantize · FP8 matmul · dequantize, then fuse. Keep alphabetical.
//
//===----------------------------------------------------------------------===//

#ifndef AXE_PASSES_TD
#define AXE_PASSES_TD

include "mlir/Pass/PassBase.td"

def AssignPrecisionPass : Pass<"axe-assign-precision", "::mlir::ModuleOp"> {
  let summary = "Decide the storage precision of every weight from a policy, and record why";
  let description = [{
    Every op that owns a weight (`axe.linear` by its role, `axe.moe_experts` as expert_gate_up
    and expert_down, `axe.embed` as embedding, `axe.logits` as lm_head) gets a decision from the
    policy: the first rule matching its role and its weight's checkpoint name, else the policy's
    default. The op records it as `axe.precision` ("fp8", "bf16", "f32") and
    `axe.precision_rule` (the policy, the rule and its reason).

    1. Fused shards (a layer's q/k/v; in_proj_qkv/z; in_proj_b/a; the shared expert's gate/up; a
       layer's routed experts) must get one precision: a conflicting policy is an error naming
       both tensors (vLLM refuses mixed shards, spec §5.4).
    2. BF16 and f32 decisions retype the weight's param; FP8 decisions are carried out by
       `axe-quantize`. Weights the checkpoint already stores in FP8 stay FP8 (with a warning if
       the policy asked otherwise).
    3. A policy with f32 activations (the built-in `f32`) retypes every bf16 activation, cache
       and state of the step to f32.

    Policies: `default` (DESIGN.md §2), `bf16`, `f32`, or a JSON file
    (models/policies/example.json documents the format).
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"default\"",
           "default, bf16, f32, or the path of a JSON policy">
  ];
  let dependentDialects = ["::mlir::axe::AxeDialect"];
}

def FuseQuantGemmPass : Pass<"axe-fuse-quant-gemm", "::mlir::ModuleOp"> {
  let summary = "Fuse quantize · FP8 matmul · dequantize, and quantization into its producer";
  let description = [{
    Rewrites, each only when types, scales and uses match:

    1. `dequantize(linear(q, w8), s, ws)` with q and s from one per-token quantization, and the
       accumulator used once → `fp8_linear(q scaled s, w8, ws)`.
    2. `quantize(rms_norm(x))` (per token, the norm used only there) → `rms_norm_quantize`: the
       quantization moves into the norm's epilogue, and the normalised row never goes to memory
       in bf16.
    3. `quantize(silu_mul(g, u))` likewise → `silu_mul_quantize`.
    4. An `fp8_linear` whose pre-quantized input comes from a per-token `quantize` used by it
       alone, of a value that no producer can quantize → `fp8_linear(x)`, which quantizes in its
       prologue.

    Routed experts are already one grouped `axe.moe_experts` per layer (the importer writes
    them so); FP8 experts quantize their activations inside that op.
  }];
  let dependentDialects = ["::mlir::axe::AxeDialect"];
}

def QuantizePass : Pass<"axe-quantize", "::mlir::ModuleOp"> {
  let summary = "Rewrite FP8 linears into quantize · FP8 matmul · dequantize";
  let description = [{
    For every op with `axe.precision = #axe.precision<fp8>` whose weight is still a float:

    * `scheme=channel` (DESIGN.md §2): the weight becomes an FP8 param with per-output-channel
      scales (`encoding <fp8_channel>` / `<fp8_channel_scale>`); an `axe.linear` becomes
      `axe.quantize` (per token; one per activation, shared by q/k/v) → `axe.linear` (f8 × f8 →
      f32) → `axe.dequantize` (× token scale × channel scale → the original type).
    * `scheme=block` (spec §5.3, Qwen's FP8 layout): 128×128 weight blocks with 1×128 activation
      groups; there is no unfused form of a block-scaled matmul, so a linear becomes
      `axe.fp8_linear {weight_block = [128, 128]}` directly. K must be a multiple of 128.

    FP8 `axe.moe_experts` get FP8 weights and scales of either scheme. BF16 and f32 linears are
    untouched.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", /*default=*/"\"channel\"",
           "channel (per-channel weight scales, per-token activations) or block (128x128)">
  ];
  let dependentDialects = ["::mlir::axe::AxeDialect"];
}

#endif // AXE_PASSES_TD
