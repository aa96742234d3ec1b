// axe-assign-precision under the built-in policies and JSON policies.
// RUN: axe-opt %s --split-input-file --axe-assign-precision | FileCheck %s --check-prefix=DEFAULT
// RUN: axe-opt %s --split-input-file --axe-assign-precision=policy=bf16 | FileCheck %s --check-prefix=BF16
// RUN: axe-opt %s --split-input-file --axe-assign-precision=policy=f32 | FileCheck %s --check-prefix=F32
// RUN: axe-opt %s --split-input-file --axe-assign-precision=policy=%S/Inputs/custom-policy.json | FileCheck %s --check-prefix=CUSTOM

func.func @layer(%ids: tensor<?xi32>, %rows: tensor<?xi32>, %x: tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x16xbf16>, tensor<?x16xbf16>, tensor<?x64xbf16>, tensor<?x8xf32>, tensor<?x64xbf16>, tensor<?x32xbf16>, tensor<?x100xf32>) {
  %emb = axe.param "model.embed_tokens.weight" : tensor<100x64xbf16>
  %h = axe.embed %ids, %emb : tensor<?xi32>, tensor<100x64xbf16> -> tensor<?x64xbf16>
  %wq = axe.param "model.layers.3.self_attn.q_proj.weight" : tensor<64x64xbf16>
  %wk = axe.param "model.layers.3.self_attn.k_proj.weight" : tensor<16x64xbf16>
  %wv = axe.param "model.layers.3.self_attn.v_proj.weight" : tensor<16x64xbf16>
  %q = axe.linear %x, %wq {role = #axe.role<attn_q>} : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
  %k = axe.linear %x, %wk {role = #axe.role<attn_k>} : tensor<?x64xbf16>, tensor<16x64xbf16> -> tensor<?x16xbf16>
  %v = axe.linear %x, %wv {role = #axe.role<attn_v>} : tensor<?x64xbf16>, tensor<16x64xbf16> -> tensor<?x16xbf16>
  %wz = axe.param "model.layers.0.linear_attn.in_proj_z.weight" : tensor<64x64xbf16>
  %z = axe.linear %x, %wz {role = #axe.role<linear_attn_z>} : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
  %wr = axe.param "model.layers.3.mlp.gate.weight" : tensor<8x64xbf16>
  %r = axe.linear %x, %wr {role = #axe.role<router>} : tensor<?x64xbf16>, tensor<8x64xbf16> -> tensor<?x8xf32>
  %i, %w = axe.moe_route %r {top_k = 2 : i64, renormalize} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  %gu = axe.param "model.layers.3.mlp.experts.gate_up_proj" : tensor<8x64x64xbf16>
  %dn = axe.param "model.layers.3.mlp.experts.down_proj" : tensor<8x64x32xbf16>
  %e = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x64x64xbf16>, tensor<8x64x32xbf16>) -> tensor<?x64xbf16>
  %wsg = axe.param "model.layers.3.mlp.shared_expert.gate_proj.weight" : tensor<32x64xbf16>
  %sg = axe.linear %x, %wsg {role = #axe.role<shared_gate>} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xbf16>
  %head = axe.param "lm_head.weight" : tensor<100x64xbf16>
  %l = axe.logits %x, %head, rows %rows : tensor<?x64xbf16>, tensor<100x64xbf16>, tensor<?xi32> -> tensor<?x100xf32>
  return %h, %q, %k, %v, %z, %r, %e, %sg, %l : tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x16xbf16>, tensor<?x16xbf16>, tensor<?x64xbf16>, tensor<?x8xf32>, tensor<?x64xbf16>, tensor<?x32xbf16>, tensor<?x100xf32>
}

// DESIGN.md §2: attention and routed experts FP8, everything else BF16, each with its reason.
// DEFAULT-LABEL: func.func @layer
// DEFAULT: axe.embed {{.+}} {axe.precision = #axe.precision<bf16>, axe.precision_rule = "axe-default rule 7: token embeddings: a lookup, nothing saved, a fixed error floor on every token"}
// DEFAULT: {axe.precision = #axe.precision<fp8>, axe.precision_rule = "axe-default rule 1: full-attention projections: the bulk of attention bandwidth, tolerant", role = #axe.role<attn_q>}
// DEFAULT: {axe.precision = #axe.precision<fp8>, {{.+}} role = #axe.role<attn_k>}
// DEFAULT: {axe.precision = #axe.precision<fp8>, {{.+}} role = #axe.role<attn_v>}
// DEFAULT: {axe.precision = #axe.precision<bf16>, axe.precision_rule = "axe-default rule 3: Gated DeltaNet: {{.+}}", role = #axe.role<linear_attn_z>}
// DEFAULT: {axe.precision = #axe.precision<bf16>, axe.precision_rule = "axe-default rule 4: router: {{.+}}", role = #axe.role<router>}
// DEFAULT: axe.moe_experts {{.+}} {axe.precision = #axe.precision<fp8>, axe.precision_rule = "axe-default rule 2: routed experts: the overwhelming majority of parameters"}
// DEFAULT: {axe.precision = #axe.precision<bf16>, axe.precision_rule = "axe-default rule 6: shared expert: {{.+}}", role = #axe.role<shared_gate>}
// DEFAULT: axe.logits {{.+}} {axe.precision = #axe.precision<bf16>, axe.precision_rule = "axe-default rule 8: LM head: {{.+}}"}
// Decisions only: the FP8 rewrite is axe-quantize's.
// DEFAULT-NOT: f8E4M3FN

// BF16-LABEL: func.func @layer
// BF16-COUNT-9: axe.precision = #axe.precision<bf16>, axe.precision_rule = "bf16 default: every weight BF16 (reference for the FP8 map)"
// BF16-NOT: "fp8"

// The f32 verification policy: every weight and every activation f32.
// F32-LABEL: func.func @layer(%{{.+}}: tensor<?xi32>, %{{.+}}: tensor<?xi32>, %{{.+}}: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x16xf32>,
// F32: axe.param "model.embed_tokens.weight" : tensor<100x64xf32>
// F32: axe.embed {{.+}} -> tensor<?x64xf32>
// F32: axe.param "model.layers.3.self_attn.q_proj.weight" : tensor<64x64xf32>
// F32: axe.linear {{.+}} {axe.precision = #axe.precision<f32>, axe.precision_rule = "f32 default: everything f32 (verification: isolates math from precision)", role = #axe.role<attn_q>} : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
// F32: axe.moe_experts {{.+}} tensor<8x64x64xf32>, tensor<8x64x32xf32>) -> tensor<?x64xf32>
// F32-NOT: bf16

// A user policy: first match wins, by role and by name pattern; an f32 head.
// CUSTOM-LABEL: func.func @layer
// CUSTOM: {axe.precision = #axe.precision<fp8>, axe.precision_rule = "custom rule 3: as the default map", role = #axe.role<attn_q>}
// CUSTOM: {axe.precision = #axe.precision<bf16>, axe.precision_rule = "custom default: the rest", role = #axe.role<linear_attn_z>}
// CUSTOM: {axe.precision = #axe.precision<fp8>, axe.precision_rule = "custom rule 2: shared expert in FP8", role = #axe.role<shared_gate>}
// CUSTOM: axe.param "lm_head.weight" : tensor<100x64xf32>
// CUSTOM: axe.logits {{.+}} {axe.precision = #axe.precision<f32>, axe.precision_rule = "custom rule 4: an f32 head"}

// -----

// Layer 0 matches the custom policy's name rule: its q/k/v stay BF16 together.
func.func @layer0(%x: tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x16xbf16>) {
  %wq = axe.param "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xbf16>
  %wk = axe.param "model.layers.0.self_attn.k_proj.weight" : tensor<16x64xbf16>
  %q = axe.linear %x, %wq {role = #axe.role<attn_q>} : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
  %k = axe.linear %x, %wk {role = #axe.role<attn_k>} : tensor<?x64xbf16>, tensor<16x64xbf16> -> tensor<?x16xbf16>
  return %q, %k : tensor<?x64xbf16>, tensor<?x16xbf16>
}
// CUSTOM-LABEL: func.func @layer0
// CUSTOM: {axe.precision = #axe.precision<bf16>, axe.precision_rule = "custom rule 1: layer 0 attention stays BF16", role = #axe.role<attn_q>}
// CUSTOM: {axe.precision = #axe.precision<bf16>, axe.precision_rule = "custom rule 1: layer 0 attention stays BF16", role = #axe.role<attn_k>}
// DEFAULT-LABEL: func.func @layer0
// BF16-LABEL: func.func @layer0
// F32-LABEL: func.func @layer0
