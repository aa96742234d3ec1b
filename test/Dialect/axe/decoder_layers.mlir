// Two decoder layers of a tiny Qwen3.5-MoE (hidden 64; attention 4 heads, 2 KV heads, head_dim 16,
// rotary 8; GatedDeltaNet 2 key heads, 4 value heads, dims 16, conv 4; 8 experts, top-2, I = 32)
// at the level the importer writes: a linear-attention layer, then a full-attention layer, each
// followed by the sparse MoE block (spec §3.4-3.8). It must verify and round-trip.
// RUN: axe-opt %s | axe-opt | FileCheck %s

// CHECK-LABEL: func.func @two_layers
// CHECK: axe.causal_conv1d
// CHECK: axe.gated_delta_rule
// CHECK: axe.gated_rms_norm
// CHECK: axe.moe_route
// CHECK: axe.moe_experts
// CHECK: axe.rope
// CHECK: axe.gated_attention
// CHECK: axe.moe_experts
// CHECK: return
func.func @two_layers(%h0: tensor<?x64xbf16>, %positions: tensor<?xi32>, %seq_ids: tensor<?xi32>,
                      %state_slots: tensor<?xi32>, %block_table: tensor<?x?xi32>,
                      %conv_state: tensor<?x3x128xbf16>, %rec_state: tensor<?x4x16x16xf32>,
                      %k_cache: tensor<?x16x2x16xbf16>, %v_cache: tensor<?x16x2x16xbf16>)
    -> (tensor<?x64xbf16>, tensor<?x3x128xbf16>, tensor<?x4x16x16xf32>,
        tensor<?x16x2x16xbf16>, tensor<?x16x2x16xbf16>) {
  %c0 = arith.constant 0 : index
  %T = tensor.dim %h0, %c0 : tensor<?x64xbf16>

  // ---- layer 0: Gated DeltaNet -------------------------------------------------------------
  %ln0 = axe.param "model.language_model.layers.0.input_layernorm.weight" : tensor<64xbf16>
  %a0 = axe.rms_norm %h0, %ln0 {eps = 1.0e-6 : f32, zero_centered} : tensor<?x64xbf16>, tensor<64xbf16> -> tensor<?x64xbf16>
  %w_qkv = axe.param "model.language_model.layers.0.linear_attn.in_proj_qkv.weight" : tensor<128x64xbf16>
  %w_z = axe.param "model.language_model.layers.0.linear_attn.in_proj_z.weight" : tensor<64x64xbf16>
  %w_b = axe.param "model.language_model.layers.0.linear_attn.in_proj_b.weight" : tensor<4x64xbf16>
  %w_a = axe.param "model.language_model.layers.0.linear_attn.in_proj_a.weight" : tensor<4x64xbf16>
  %qkv = axe.linear %a0, %w_qkv {role = #axe.role<linear_attn_qkv>} : tensor<?x64xbf16>, tensor<128x64xbf16> -> tensor<?x128xbf16>
  %z = axe.linear %a0, %w_z {role = #axe.role<linear_attn_z>} : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
  %bl = axe.linear %a0, %w_b {role = #axe.role<linear_attn_b>} : tensor<?x64xbf16>, tensor<4x64xbf16> -> tensor<?x4xbf16>
  %al = axe.linear %a0, %w_a {role = #axe.role<linear_attn_a>} : tensor<?x64xbf16>, tensor<4x64xbf16> -> tensor<?x4xbf16>
  %w_conv = axe.param "model.language_model.layers.0.linear_attn.conv1d.weight" : tensor<128x1x4xbf16>
  %y, %conv_state1 = axe.causal_conv1d %qkv, %w_conv, state %conv_state, seqs %seq_ids, slots %state_slots
    : (tensor<?x128xbf16>, tensor<128x1x4xbf16>, tensor<?x3x128xbf16>, tensor<?xi32>, tensor<?xi32>)
    -> (tensor<?x128xbf16>, tensor<?x3x128xbf16>)
  %q2 = tensor.extract_slice %y[0, 0] [%T, 32] [1, 1] : tensor<?x128xbf16> to tensor<?x32xbf16>
  %k2 = tensor.extract_slice %y[0, 32] [%T, 32] [1, 1] : tensor<?x128xbf16> to tensor<?x32xbf16>
  %v2 = tensor.extract_slice %y[0, 64] [%T, 64] [1, 1] : tensor<?x128xbf16> to tensor<?x64xbf16>
  %q3 = tensor.expand_shape %q2 [[0], [1, 2]] output_shape [%T, 2, 16] : tensor<?x32xbf16> into tensor<?x2x16xbf16>
  %k3 = tensor.expand_shape %k2 [[0], [1, 2]] output_shape [%T, 2, 16] : tensor<?x32xbf16> into tensor<?x2x16xbf16>
  %v3 = tensor.expand_shape %v2 [[0], [1, 2]] output_shape [%T, 4, 16] : tensor<?x64xbf16> into tensor<?x4x16xbf16>
  %a_log = axe.param "model.language_model.layers.0.linear_attn.A_log" : tensor<4xf32>
  %dt_bias = axe.param "model.language_model.layers.0.linear_attn.dt_bias" : tensor<4xbf16>
  %o, %rec_state1 = axe.gated_delta_rule %q3, %k3, %v3, gates(%al, %bl), decay(%a_log, %dt_bias),
      state %rec_state, seqs %seq_ids, slots %state_slots
    : (tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x4x16xbf16>, tensor<?x4xbf16>, tensor<?x4xbf16>,
       tensor<4xf32>, tensor<4xbf16>, tensor<?x4x16x16xf32>, tensor<?xi32>, tensor<?xi32>)
    -> (tensor<?x4x16xf32>, tensor<?x4x16x16xf32>)
  %z3 = tensor.expand_shape %z [[0], [1, 2]] output_shape [%T, 4, 16] : tensor<?x64xbf16> into tensor<?x4x16xbf16>
  %w_norm = axe.param "model.language_model.layers.0.linear_attn.norm.weight" : tensor<16xbf16>
  %on = axe.gated_rms_norm %o, %z3, %w_norm {eps = 1.0e-6 : f32} : tensor<?x4x16xf32>, tensor<?x4x16xbf16>, tensor<16xbf16> -> tensor<?x4x16xbf16>
  %o2 = tensor.collapse_shape %on [[0], [1, 2]] : tensor<?x4x16xbf16> into tensor<?x64xbf16>
  %w_out = axe.param "model.language_model.layers.0.linear_attn.out_proj.weight" : tensor<64x64xbf16>
  %m0 = axe.linear %o2, %w_out {role = #axe.role<linear_attn_out>} : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
  %h1 = arith.addf %h0, %m0 : tensor<?x64xbf16>

  // ---- layer 0: sparse MoE -----------------------------------------------------------------
  %pln0 = axe.param "model.language_model.layers.0.post_attention_layernorm.weight" : tensor<64xbf16>
  %b0 = axe.rms_norm %h1, %pln0 {eps = 1.0e-6 : f32, zero_centered} : tensor<?x64xbf16>, tensor<64xbf16> -> tensor<?x64xbf16>
  %w_router = axe.param "model.language_model.layers.0.mlp.gate.weight" : tensor<8x64xbf16>
  %logits0 = axe.linear %b0, %w_router {role = #axe.role<router>} : tensor<?x64xbf16>, tensor<8x64xbf16> -> tensor<?x8xf32>
  %ids0, %wts0 = axe.moe_route %logits0 {top_k = 2 : i64, renormalize} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  %gu0 = axe.param "model.language_model.layers.0.mlp.experts.gate_up_proj" : tensor<8x64x64xbf16>
  %dn0 = axe.param "model.language_model.layers.0.mlp.experts.down_proj" : tensor<8x64x32xbf16>
  %r0 = axe.moe_experts %b0, %ids0, %wts0, %gu0, %dn0
    : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x64x64xbf16>, tensor<8x64x32xbf16>) -> tensor<?x64xbf16>
  %w_sg = axe.param "model.language_model.layers.0.mlp.shared_expert.gate_proj.weight" : tensor<32x64xbf16>
  %w_su = axe.param "model.language_model.layers.0.mlp.shared_expert.up_proj.weight" : tensor<32x64xbf16>
  %w_sd = axe.param "model.language_model.layers.0.mlp.shared_expert.down_proj.weight" : tensor<64x32xbf16>
  %w_seg = axe.param "model.language_model.layers.0.mlp.shared_expert_gate.weight" : tensor<1x64xbf16>
  %sg = axe.linear %b0, %w_sg {role = #axe.role<shared_gate>} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xbf16>
  %su = axe.linear %b0, %w_su {role = #axe.role<shared_up>} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xbf16>
  %sh = axe.silu_mul %sg, %su : tensor<?x32xbf16>, tensor<?x32xbf16> -> tensor<?x32xbf16>
  %sd = axe.linear %sh, %w_sd {role = #axe.role<shared_down>} : tensor<?x32xbf16>, tensor<64x32xbf16> -> tensor<?x64xbf16>
  %seg = axe.linear %b0, %w_seg {role = #axe.role<shared_expert_gate>} : tensor<?x64xbf16>, tensor<1x64xbf16> -> tensor<?x1xbf16>
  %shared0 = axe.sigmoid_gate %sd, %seg : tensor<?x64xbf16>, tensor<?x1xbf16> -> tensor<?x64xbf16>
  %moe0 = arith.addf %r0, %shared0 : tensor<?x64xbf16>
  %h2 = arith.addf %h1, %moe0 : tensor<?x64xbf16>

  // ---- layer 1: gated full attention -------------------------------------------------------
  %ln1 = axe.param "model.language_model.layers.1.input_layernorm.weight" : tensor<64xbf16>
  %a1 = axe.rms_norm %h2, %ln1 {eps = 1.0e-6 : f32, zero_centered} : tensor<?x64xbf16>, tensor<64xbf16> -> tensor<?x64xbf16>
  %w_q = axe.param "model.language_model.layers.1.self_attn.q_proj.weight" : tensor<128x64xbf16>
  %w_k = axe.param "model.language_model.layers.1.self_attn.k_proj.weight" : tensor<32x64xbf16>
  %w_v = axe.param "model.language_model.layers.1.self_attn.v_proj.weight" : tensor<32x64xbf16>
  %qg = axe.linear %a1, %w_q {role = #axe.role<attn_q>} : tensor<?x64xbf16>, tensor<128x64xbf16> -> tensor<?x128xbf16>
  %k = axe.linear %a1, %w_k {role = #axe.role<attn_k>} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xbf16>
  %v = axe.linear %a1, %w_v {role = #axe.role<attn_v>} : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xbf16>
  // Per head: 16 query channels, then 16 gate channels (spec §3.5).
  %qg3 = tensor.expand_shape %qg [[0], [1, 2]] output_shape [%T, 4, 32] : tensor<?x128xbf16> into tensor<?x4x32xbf16>
  %q = tensor.extract_slice %qg3[0, 0, 0] [%T, 4, 16] [1, 1, 1] : tensor<?x4x32xbf16> to tensor<?x4x16xbf16>
  %gate = tensor.extract_slice %qg3[0, 0, 16] [%T, 4, 16] [1, 1, 1] : tensor<?x4x32xbf16> to tensor<?x4x16xbf16>
  %k3a = tensor.expand_shape %k [[0], [1, 2]] output_shape [%T, 2, 16] : tensor<?x32xbf16> into tensor<?x2x16xbf16>
  %v3a = tensor.expand_shape %v [[0], [1, 2]] output_shape [%T, 2, 16] : tensor<?x32xbf16> into tensor<?x2x16xbf16>
  %w_qn = axe.param "model.language_model.layers.1.self_attn.q_norm.weight" : tensor<16xbf16>
  %w_kn = axe.param "model.language_model.layers.1.self_attn.k_norm.weight" : tensor<16xbf16>
  %qn = axe.rms_norm %q, %w_qn {eps = 1.0e-6 : f32, zero_centered} : tensor<?x4x16xbf16>, tensor<16xbf16> -> tensor<?x4x16xbf16>
  %kn = axe.rms_norm %k3a, %w_kn {eps = 1.0e-6 : f32, zero_centered} : tensor<?x2x16xbf16>, tensor<16xbf16> -> tensor<?x2x16xbf16>
  %qr = axe.rope %qn, %positions {rotary_dim = 8 : i64, theta = 1.0e7 : f64} : tensor<?x4x16xbf16>, tensor<?xi32> -> tensor<?x4x16xbf16>
  %kr = axe.rope %kn, %positions {rotary_dim = 8 : i64, theta = 1.0e7 : f64} : tensor<?x2x16xbf16>, tensor<?xi32> -> tensor<?x2x16xbf16>
  %attn, %k_cache1, %v_cache1 = axe.gated_attention %qr, %kr, %v3a, gate %gate, cache(%k_cache, %v_cache),
      positions %positions, seqs %seq_ids, blocks %block_table
    : (tensor<?x4x16xbf16>, tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x4x16xbf16>,
       tensor<?x16x2x16xbf16>, tensor<?x16x2x16xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x?xi32>)
    -> (tensor<?x64xbf16>, tensor<?x16x2x16xbf16>, tensor<?x16x2x16xbf16>)
  %w_o = axe.param "model.language_model.layers.1.self_attn.o_proj.weight" : tensor<64x64xbf16>
  %m1 = axe.linear %attn, %w_o {role = #axe.role<attn_o>} : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
  %h3 = arith.addf %h2, %m1 : tensor<?x64xbf16>

  // ---- layer 1: sparse MoE (routed experts only, for brevity) ------------------------------
  %pln1 = axe.param "model.language_model.layers.1.post_attention_layernorm.weight" : tensor<64xbf16>
  %b1 = axe.rms_norm %h3, %pln1 {eps = 1.0e-6 : f32, zero_centered} : tensor<?x64xbf16>, tensor<64xbf16> -> tensor<?x64xbf16>
  %w_router1 = axe.param "model.language_model.layers.1.mlp.gate.weight" : tensor<8x64xbf16>
  %logits1 = axe.linear %b1, %w_router1 {role = #axe.role<router>} : tensor<?x64xbf16>, tensor<8x64xbf16> -> tensor<?x8xf32>
  %ids1, %wts1 = axe.moe_route %logits1 {top_k = 2 : i64, renormalize} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  %gu1 = axe.param "model.language_model.layers.1.mlp.experts.gate_up_proj" : tensor<8x64x64xbf16>
  %dn1 = axe.param "model.language_model.layers.1.mlp.experts.down_proj" : tensor<8x64x32xbf16>
  %r1 = axe.moe_experts %b1, %ids1, %wts1, %gu1, %dn1
    : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x64x64xbf16>, tensor<8x64x32xbf16>) -> tensor<?x64xbf16>
  %h4 = arith.addf %h3, %r1 : tensor<?x64xbf16>
  return %h4, %conv_state1, %rec_state1, %k_cache1, %v_cache1
    : tensor<?x64xbf16>, tensor<?x3x128xbf16>, tensor<?x4x16x16xf32>, tensor<?x16x2x16xbf16>, tensor<?x16x2x16xbf16>
}
