//===- AxeAttrs.td - attributes of the axe dialect -----------*- tablegen -*-===//

#ifndef AXE_ATTRS_TD
#define AXE_ATTRS_TD

include "dialects/axe/AxeBase.td"
include "mlir/IR/EnumAttr.td"

// The role of a weight: what the op that owns it computes in the model (a linear layer, the
// experts, the embedding lookup, the LM head). Precision policies match on it (DESIGN.md §2), so
// each role is one row of the precision map or a part of one.
def Axe_Role : I32EnumAttr<"Role", "what a linear layer computes in the model", [
  // Full (gated) attention, spec §3.5.
  I32EnumAttrCase<"attn_q", 0>,          // q_proj: query and output gate, per-head interleaved
  I32EnumAttrCase<"attn_k", 1>,
  I32EnumAttrCase<"attn_v", 2>,
  I32EnumAttrCase<"attn_o", 3>,
  // Gated DeltaNet (linear attention), spec §3.6.
  I32EnumAttrCase<"linear_attn_qkv", 4>, // in_proj_qkv, feeds the causal conv
  I32EnumAttrCase<"linear_attn_z", 5>,   // in_proj_z, the output-norm gate
  I32EnumAttrCase<"linear_attn_b", 6>,   // in_proj_b, beta logits
  I32EnumAttrCase<"linear_attn_a", 7>,   // in_proj_a, decay input
  I32EnumAttrCase<"linear_attn_out", 8>, // out_proj
  // Sparse MoE block, spec §3.8.
  I32EnumAttrCase<"router", 9>,              // mlp.gate: expert logits
  I32EnumAttrCase<"shared_expert_gate", 10>, // mlp.shared_expert_gate: one logit per token
  I32EnumAttrCase<"shared_gate", 11>,        // shared_expert.gate_proj
  I32EnumAttrCase<"shared_up", 12>,          // shared_expert.up_proj
  I32EnumAttrCase<"shared_down", 13>,        // shared_expert.down_proj
  I32EnumAttrCase<"expert_gate_up", 14>,     // routed experts, gate and up halves
  I32EnumAttrCase<"expert_down", 15>,        // routed experts, down
  // Output.
  I32EnumAttrCase<"lm_head", 16>,
  // Input: the token embedding table (a lookup, not a linear layer).
  I32EnumAttrCase<"embedding", 17>
]> {
  let cppNamespace = "::mlir::axe";
  let genSpecializedAttr = 0;
}

def Axe_RoleAttr : EnumAttr<Axe_Dialect, Axe_Role, "role"> {
  let assemblyFormat = "`<` $value `>`";
}

// How the artifact writer derives a param from its checkpoint tensor(s), when the precision
// passes changed its storage. Both a weight and its scales name the same source tensor.
def Axe_Encoding : I32EnumAttr<"Encoding", "how a param is derived from its checkpoint tensor", [
  I32EnumAttrCase<"fp8_channel", 0>,       // e4m3 values, one scale per output row
  I32EnumAttrCase<"fp8_channel_scale", 1>, // those f32 row scales: max|row| / 448
  I32EnumAttrCase<"fp8_block", 2>,         // e4m3 values, one scale per 128x128 block
  I32EnumAttrCase<"fp8_block_scale", 3>    // those f32 block scales: max|block| / 448
]> {
  let cppNamespace = "::mlir::axe";
  let genSpecializedAttr = 0;
}

def Axe_EncodingAttr : EnumAttr<Axe_Dialect, Axe_Encoding, "encoding"> {
  let assemblyFormat = "`<` $value `>`";
}

// The precision a weight is stored and multiplied in, decided by axe-assign-precision and recorded
// on the op that owns the weight as `axe.precision` (next to `axe.precision_rule`, the reason).
def Axe_Precision : I32EnumAttr<"Precision", "the storage precision of a weight", [
  I32EnumAttrCase<"fp8", 0>,  // e4m3 values with f32 scales
  I32EnumAttrCase<"bf16", 1>,
  I32EnumAttrCase<"f32", 2>
]> {
  let cppNamespace = "::mlir::axe";
  let genSpecializedAttr = 0;
}

def Axe_PrecisionAttr : EnumAttr<Axe_Dialect, Axe_Precision, "precision"> {
  let assemblyFormat = "`<` $value `>`";
}

// What an argument or result of the step function (`forward_step`) is. Dispatch formation takes
// the buffer kind from it; the KV-cache and state sizes are read off it. Set by the importer as
// `axe.step_value`, next to `axe.dims`: the symbol (T, S, R, MB, NB, P) that sizes each dynamic
// dimension, in order.
def Axe_StepValue : I32EnumAttr<"StepValue", "an argument or result of the step function", [
  I32EnumAttrCase<"input", 0>,           // batch metadata the runtime writes before each step
  I32EnumAttrCase<"kv_cache", 1>,        // a paged K or V cache [NB, block, Hkv, d]
  I32EnumAttrCase<"conv_state", 2>,      // a conv state pool [P, K-1, C]
  I32EnumAttrCase<"recurrent_state", 3>, // a DeltaNet state pool [P, Hv, dk, dv]
  I32EnumAttrCase<"output", 4>           // the logits [R, V]
]> {
  let cppNamespace = "::mlir::axe";
  let genSpecializedAttr = 0;
}

def Axe_StepValueAttr : EnumAttr<Axe_Dialect, Axe_StepValue, "step_value"> {
  let assemblyFormat = "`<` $value `>`";
}

// The sizes a step is run at (docs/artifact.md): tokens T, sequences S, logit rows R, block-table
// width MB, KV blocks NB, state slots P. The dispatch-level step program names them with
// `axe.step_symbol`; `axe.dims` spells them by these names.
def Axe_StepSymbol : I32EnumAttr<"StepSymbol", "a size the step is run at", [
  I32EnumAttrCase<"T", 0>,
  I32EnumAttrCase<"S", 1>,
  I32EnumAttrCase<"R", 2>,
  I32EnumAttrCase<"MB", 3>,
  I32EnumAttrCase<"NB", 4>,
  I32EnumAttrCase<"P", 5>
]> {
  let cppNamespace = "::mlir::axe";
  let genSpecializedAttr = 0;
}

def Axe_StepSymbolAttr : EnumAttr<Axe_Dialect, Axe_StepSymbol, "symbol"> {
  let assemblyFormat = "`<` $value `>`";
}

// Who owns a buffer of the step program and when it holds what (docs/artifact.md).
def Axe_BufferKind : I32EnumAttr<"BufferKind", "the kind of a step program's buffer", [
  I32EnumAttrCase<"input", 0>,  // written by the runtime before each step
  I32EnumAttrCase<"weight", 1>, // a tensor of weights.safetensors, read-only
  I32EnumAttrCase<"state", 2>,  // a KV cache or state pool, kept across steps
  I32EnumAttrCase<"temp", 3>,   // an intermediate of one step
  I32EnumAttrCase<"output", 4>  // the logits, read by the runtime after the step
]> {
  let cppNamespace = "::mlir::axe";
  let genSpecializedAttr = 0;
}

def Axe_BufferKindAttr : EnumAttr<Axe_Dialect, Axe_BufferKind, "buffer_kind"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // AXE_ATTRS_TD
