//===- AxeAttrs.td - attributes of the axe dialect -----------*- tablegen -*-===//

#ifndef AXE_ATTRS_TD
#define AXE_ATTRS_TD

include "dialects/axe/AxeBase.td"
include "mlir/IR/EnumAttr.td"

// The role of a linear layer: what it computes in the model. Precision policies match on it
// (DESIGN.md §2), so each role is one row of the precision map or a part of one.
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
  I32EnumAttrCase<"lm_head", 16>
]> {
  let cppNamespace = "::mlir::axe";
  let genSpecializedAttr = 0;
}

def Axe_RoleAttr : EnumAttr<Axe_Dialect, Axe_Role, "role"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // AXE_ATTRS_TD
