// axe-assign-precision: a policy that splits fused shards is an error naming both tensors.
// Fused shards (a layer's q/k/v) with different precisions: the error names both tensors.
// RUN: axe-opt %s --split-input-file --axe-assign-precision=policy=%S/Inputs/conflict-policy.json --verify-diagnostics
func.func @conflict(%x: tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x16xbf16>) {
  %wq = axe.param "model.layers.3.self_attn.q_proj.weight" : tensor<64x64xbf16>
  %wk = axe.param "model.layers.3.self_attn.k_proj.weight" : tensor<16x64xbf16>
  %q = axe.linear %x, %wq {role = #axe.role<attn_q>} : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
  // expected-error@+1 {{rule 'precision.fused_shards': 'model.layers.3.self_attn.q_proj.weight' (fp8, conflict rule 2: q and v in FP8) and 'model.layers.3.self_attn.k_proj.weight' (bf16, conflict rule 1: k alone in BF16) are fused shards (q/k/v projections) and need one precision}}
  %k = axe.linear %x, %wk {role = #axe.role<attn_k>} : tensor<?x64xbf16>, tensor<16x64xbf16> -> tensor<?x16xbf16>
  return %q, %k : tensor<?x64xbf16>, tensor<?x16xbf16>
}

// -----

// The same q and k in different layers are not fused: no error. The layer is the one the importer
// records in each op's location (axe::layerLoc), not a pattern of the checkpoint name.
func.func @different_layers(%x: tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x16xbf16>) {
  %wq = axe.param "model.layers.3.self_attn.q_proj.weight" : tensor<64x64xbf16>
  %wk = axe.param "model.layers.7.self_attn.k_proj.weight" : tensor<16x64xbf16>
  %q = axe.linear %x, %wq {role = #axe.role<attn_q>} : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16> loc(fused<3 : i64>["layers.3"])
  %k = axe.linear %x, %wk {role = #axe.role<attn_k>} : tensor<?x64xbf16>, tensor<16x64xbf16> -> tensor<?x16xbf16> loc(fused<7 : i64>["layers.7"])
  return %q, %k : tensor<?x64xbf16>, tensor<?x16xbf16>
}

