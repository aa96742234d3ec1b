// Round trip of every axe op: parse, print, parse again (also in generic form).
// RUN: axe-opt %s --split-input-file | axe-opt --split-input-file | FileCheck %s
// RUN: axe-opt %s --split-input-file --mlir-print-op-generic | axe-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @param
func.func @param() -> (tensor<512x2048xbf16>, tensor<2x1024x64xbf16>, tensor<64xf8E4M3FN>) {
  // CHECK: axe.param "model.language_model.layers.3.self_attn.k_proj.weight" : tensor<512x2048xbf16>
  %w = axe.param "model.language_model.layers.3.self_attn.k_proj.weight" : tensor<512x2048xbf16>
  // CHECK: axe.param "layers.0.mlp.experts.gate_up" parts ["e0.gate", "e0.up", "e1.gate", "e1.up"] : tensor<2x1024x64xbf16>
  %gu = axe.param "layers.0.mlp.experts.gate_up" parts ["e0.gate", "e0.up", "e1.gate", "e1.up"] : tensor<2x1024x64xbf16>
  // CHECK: axe.param "x" : tensor<64xf8E4M3FN>
  %f = axe.param "x" : tensor<64xf8E4M3FN>
  return %w, %gu, %f : tensor<512x2048xbf16>, tensor<2x1024x64xbf16>, tensor<64xf8E4M3FN>
}

// -----

// CHECK-LABEL: func.func @embed
// CHECK-SAME: (%[[IDS:.+]]: tensor<?xi32>, %[[TABLE:.+]]: tensor<1000x64xbf16>)
func.func @embed(%ids: tensor<?xi32>, %table: tensor<1000x64xbf16>) -> tensor<?x64xbf16> {
  // CHECK: axe.embed %[[IDS]], %[[TABLE]] : tensor<?xi32>, tensor<1000x64xbf16> -> tensor<?x64xbf16>
  %h = axe.embed %ids, %table : tensor<?xi32>, tensor<1000x64xbf16> -> tensor<?x64xbf16>
  return %h : tensor<?x64xbf16>
}

// -----

// CHECK-LABEL: func.func @rms_norm
func.func @rms_norm(%x: tensor<?x2048xbf16>, %w: tensor<2048xbf16>, %q: tensor<?x16x256xbf16>,
                    %wq: tensor<256xbf16>) -> (tensor<?x2048xbf16>, tensor<?x16x256xf32>) {
  // CHECK: axe.rms_norm %{{.+}}, %{{.+}} {eps = 9.99999997E-7 : f32, zero_centered} : tensor<?x2048xbf16>, tensor<2048xbf16> -> tensor<?x2048xbf16>
  %y = axe.rms_norm %x, %w {eps = 1.0e-6 : f32, zero_centered} : tensor<?x2048xbf16>, tensor<2048xbf16> -> tensor<?x2048xbf16>
  // Per head, over the last dimension; no zero_centered means the raw weight.
  // CHECK: axe.rms_norm %{{.+}}, %{{.+}} {eps = 9.99999997E-7 : f32} : tensor<?x16x256xbf16>, tensor<256xbf16> -> tensor<?x16x256xf32>
  %qn = axe.rms_norm %q, %wq {eps = 1.0e-6 : f32} : tensor<?x16x256xbf16>, tensor<256xbf16> -> tensor<?x16x256xf32>
  return %y, %qn : tensor<?x2048xbf16>, tensor<?x16x256xf32>
}

// -----

// CHECK-LABEL: func.func @gated_rms_norm
func.func @gated_rms_norm(%o: tensor<?x32x128xf32>, %z: tensor<?x32x128xbf16>, %w: tensor<128xf32>) -> tensor<?x32x128xbf16> {
  // CHECK: axe.gated_rms_norm %{{.+}}, %{{.+}}, %{{.+}} {eps = 9.99999997E-7 : f32} : tensor<?x32x128xf32>, tensor<?x32x128xbf16>, tensor<128xf32> -> tensor<?x32x128xbf16>
  %y = axe.gated_rms_norm %o, %z, %w {eps = 1.0e-6 : f32} : tensor<?x32x128xf32>, tensor<?x32x128xbf16>, tensor<128xf32> -> tensor<?x32x128xbf16>
  return %y : tensor<?x32x128xbf16>
}

// -----

// CHECK-LABEL: func.func @silu_mul_and_sigmoid_gate
func.func @silu_mul_and_sigmoid_gate(%g: tensor<?x512xbf16>, %u: tensor<?x512xbf16>, %x: tensor<?x2048xbf16>,
                                     %s: tensor<?x1xbf16>) -> (tensor<?x512xbf16>, tensor<?x2048xbf16>) {
  // CHECK: axe.silu_mul %{{.+}}, %{{.+}} : tensor<?x512xbf16>, tensor<?x512xbf16> -> tensor<?x512xbf16>
  %h = axe.silu_mul %g, %u : tensor<?x512xbf16>, tensor<?x512xbf16> -> tensor<?x512xbf16>
  // CHECK: axe.sigmoid_gate %{{.+}}, %{{.+}} : tensor<?x2048xbf16>, tensor<?x1xbf16> -> tensor<?x2048xbf16>
  %y = axe.sigmoid_gate %x, %s : tensor<?x2048xbf16>, tensor<?x1xbf16> -> tensor<?x2048xbf16>
  return %h, %y : tensor<?x512xbf16>, tensor<?x2048xbf16>
}

// -----

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<?x2048xbf16>, %x8: tensor<?x2048xf8E4M3FN>) -> (tensor<?x512xbf16>, tensor<?x256xf32>, tensor<?x512xf32>) {
  %w = axe.param "k_proj.weight" : tensor<512x2048xbf16>
  %r = axe.param "mlp.gate.weight" : tensor<256x2048xbf16>
  %w8 = axe.param "k_proj.weight" : tensor<512x2048xf8E4M3FN>
  // CHECK: axe.linear %{{.+}}, %{{.+}} {role = #axe.role<attn_k>} : tensor<?x2048xbf16>, tensor<512x2048xbf16> -> tensor<?x512xbf16>
  %k = axe.linear %x, %w {role = #axe.role<attn_k>} : tensor<?x2048xbf16>, tensor<512x2048xbf16> -> tensor<?x512xbf16>
  // Router logits in f32.
  // CHECK: axe.linear %{{.+}}, %{{.+}} {role = #axe.role<router>} : tensor<?x2048xbf16>, tensor<256x2048xbf16> -> tensor<?x256xf32>
  %l = axe.linear %x, %r {role = #axe.role<router>} : tensor<?x2048xbf16>, tensor<256x2048xbf16> -> tensor<?x256xf32>
  // The bare FP8 matmul: f8 x f8 accumulated in f32.
  // CHECK: axe.linear %{{.+}}, %{{.+}} {role = #axe.role<attn_k>} : tensor<?x2048xf8E4M3FN>, tensor<512x2048xf8E4M3FN> -> tensor<?x512xf32>
  %a = axe.linear %x8, %w8 {role = #axe.role<attn_k>} : tensor<?x2048xf8E4M3FN>, tensor<512x2048xf8E4M3FN> -> tensor<?x512xf32>
  return %k, %l, %a : tensor<?x512xbf16>, tensor<?x256xf32>, tensor<?x512xf32>
}

// -----

// CHECK-LABEL: func.func @quantize_dequantize
func.func @quantize_dequantize(%x: tensor<?x2048xbf16>, %acc: tensor<?x512xf32>, %st: tensor<?xf32>,
                               %sw: tensor<512xf32>) -> (tensor<?x2048xf8E4M3FN>, tensor<?xf32>, tensor<?x2048xf8E4M3FN>, tensor<?x16xf32>, tensor<?x512xbf16>) {
  // CHECK: axe.quantize %{{.+}} : tensor<?x2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?xf32>
  %q, %s = axe.quantize %x : tensor<?x2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?xf32>
  // CHECK: axe.quantize %{{.+}} {group_size = 128 : i64} : tensor<?x2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?x16xf32>
  %qg, %sg = axe.quantize %x {group_size = 128 : i64} : tensor<?x2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?x16xf32>
  // CHECK: axe.dequantize %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x512xf32>, tensor<?xf32>, tensor<512xf32> -> tensor<?x512xbf16>
  %y = axe.dequantize %acc, %st, %sw : tensor<?x512xf32>, tensor<?xf32>, tensor<512xf32> -> tensor<?x512xbf16>
  return %q, %s, %qg, %sg, %y : tensor<?x2048xf8E4M3FN>, tensor<?xf32>, tensor<?x2048xf8E4M3FN>, tensor<?x16xf32>, tensor<?x512xbf16>
}

// -----

// CHECK-LABEL: func.func @fp8_linear
func.func @fp8_linear(%x: tensor<?x2048xbf16>, %x8: tensor<?x2048xf8E4M3FN>, %st: tensor<?xf32>,
                      %sg: tensor<?x16xf32>) -> (tensor<?x8192xbf16>, tensor<?x8192xbf16>, tensor<?x8192xbf16>) {
  %w = axe.param "q_proj.weight" : tensor<8192x2048xf8E4M3FN>
  %ws = axe.param "q_proj.weight_scale" : tensor<8192xf32>
  %wb = axe.param "q_proj.weight_scale_inv" : tensor<64x16xf32>
  // Per-channel weight scales, the activation quantized inside.
  // CHECK: axe.fp8_linear %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} {role = #axe.role<attn_q>} : (tensor<?x2048xbf16>, tensor<8192x2048xf8E4M3FN>, tensor<8192xf32>) -> tensor<?x8192xbf16>
  %a = axe.fp8_linear %x, %w, %ws {role = #axe.role<attn_q>} : (tensor<?x2048xbf16>, tensor<8192x2048xf8E4M3FN>, tensor<8192xf32>) -> tensor<?x8192xbf16>
  // An input quantized by its producer, with its per-token scales.
  // CHECK: axe.fp8_linear %{{[^ ]+}} scaled %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} {role = #axe.role<attn_q>} : (tensor<?x2048xf8E4M3FN>, tensor<?xf32>, tensor<8192x2048xf8E4M3FN>, tensor<8192xf32>) -> tensor<?x8192xbf16>
  %b = axe.fp8_linear %x8 scaled %st, %w, %ws {role = #axe.role<attn_q>} : (tensor<?x2048xf8E4M3FN>, tensor<?xf32>, tensor<8192x2048xf8E4M3FN>, tensor<8192xf32>) -> tensor<?x8192xbf16>
  // 128x128 block weight scales with 1x128 activation groups.
  // CHECK: axe.fp8_linear %{{[^ ]+}} scaled %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} {role = #axe.role<attn_q>, weight_block = array<i64: 128, 128>} : (tensor<?x2048xf8E4M3FN>, tensor<?x16xf32>, tensor<8192x2048xf8E4M3FN>, tensor<64x16xf32>) -> tensor<?x8192xbf16>
  %c = axe.fp8_linear %x8 scaled %sg, %w, %wb {role = #axe.role<attn_q>, weight_block = array<i64: 128, 128>} : (tensor<?x2048xf8E4M3FN>, tensor<?x16xf32>, tensor<8192x2048xf8E4M3FN>, tensor<64x16xf32>) -> tensor<?x8192xbf16>
  return %a, %b, %c : tensor<?x8192xbf16>, tensor<?x8192xbf16>, tensor<?x8192xbf16>
}

// -----

// CHECK-LABEL: func.func @rope
func.func @rope(%x: tensor<?x16x256xbf16>, %pos: tensor<?xi32>) -> tensor<?x16x256xbf16> {
  // CHECK: axe.rope %{{.+}}, %{{.+}} {rotary_dim = 64 : i64, theta = 1.000000e+07 : f64} : tensor<?x16x256xbf16>, tensor<?xi32> -> tensor<?x16x256xbf16>
  %y = axe.rope %x, %pos {rotary_dim = 64 : i64, theta = 1.0e7 : f64} : tensor<?x16x256xbf16>, tensor<?xi32> -> tensor<?x16x256xbf16>
  return %y : tensor<?x16x256xbf16>
}

// -----

// CHECK-LABEL: func.func @gated_attention
func.func @gated_attention(%q: tensor<?x16x256xbf16>, %k: tensor<?x2x256xbf16>, %v: tensor<?x2x256xbf16>,
                           %g: tensor<?x16x256xbf16>, %kc: tensor<?x16x2x256xbf16>, %vc: tensor<?x16x2x256xbf16>,
                           %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x?xi32>)
    -> (tensor<?x4096xbf16>, tensor<?x16x2x256xbf16>, tensor<?x16x2x256xbf16>) {
  // CHECK: {{.+}} = axe.gated_attention %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, gate %{{[^ ]+}}, cache(%{{[^ ]+}}, %{{[^ ]+}}), positions %{{[^ ]+}}, seqs %{{[^ ]+}}, blocks %{{[^ ]+}} :
  // CHECK-SAME: -> (tensor<?x4096xbf16>, tensor<?x16x2x256xbf16>, tensor<?x16x2x256xbf16>)
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt
    : (tensor<?x16x256xbf16>, tensor<?x2x256xbf16>, tensor<?x2x256xbf16>, tensor<?x16x256xbf16>,
       tensor<?x16x2x256xbf16>, tensor<?x16x2x256xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x?xi32>)
    -> (tensor<?x4096xbf16>, tensor<?x16x2x256xbf16>, tensor<?x16x2x256xbf16>)
  return %o, %kc1, %vc1 : tensor<?x4096xbf16>, tensor<?x16x2x256xbf16>, tensor<?x16x2x256xbf16>
}

// -----

// An FP8 KV cache and an explicit softmax scale.
// CHECK-LABEL: func.func @gated_attention_fp8_cache
func.func @gated_attention_fp8_cache(%q: tensor<?x4x64xbf16>, %k: tensor<?x1x64xbf16>, %v: tensor<?x1x64xbf16>,
                                     %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x1x64xf8E4M3FN>, %vc: tensor<8x16x1x64xf8E4M3FN>,
                                     %pos: tensor<?xi64>, %seq: tensor<?xi32>, %bt: tensor<2x4xi32>) -> tensor<?x256xf32> {
  // CHECK: axe.gated_attention {{.*}} {scale = 1.250000e-01 : f32}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt {scale = 0.125 : f32}
    : (tensor<?x4x64xbf16>, tensor<?x1x64xbf16>, tensor<?x1x64xbf16>, tensor<?x4x64xbf16>,
       tensor<8x16x1x64xf8E4M3FN>, tensor<8x16x1x64xf8E4M3FN>, tensor<?xi64>, tensor<?xi32>, tensor<2x4xi32>)
    -> (tensor<?x256xf32>, tensor<8x16x1x64xf8E4M3FN>, tensor<8x16x1x64xf8E4M3FN>)
  return %o : tensor<?x256xf32>
}

// -----

// CHECK-LABEL: func.func @causal_conv1d
func.func @causal_conv1d(%x: tensor<?x8192xbf16>, %w: tensor<8192x1x4xbf16>, %st: tensor<?x3x8192xbf16>,
                         %seq: tensor<?xi32>, %slots: tensor<?xi32>) -> (tensor<?x8192xbf16>, tensor<?x3x8192xbf16>) {
  // CHECK: {{.+}} = axe.causal_conv1d %{{[^ ]+}}, %{{[^ ]+}}, state %{{[^ ]+}}, seqs %{{[^ ]+}}, slots %{{[^ ]+}} : (tensor<?x8192xbf16>, tensor<8192x1x4xbf16>, tensor<?x3x8192xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x8192xbf16>, tensor<?x3x8192xbf16>)
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots
    : (tensor<?x8192xbf16>, tensor<8192x1x4xbf16>, tensor<?x3x8192xbf16>, tensor<?xi32>, tensor<?xi32>)
    -> (tensor<?x8192xbf16>, tensor<?x3x8192xbf16>)
  return %y, %st1 : tensor<?x8192xbf16>, tensor<?x3x8192xbf16>
}

// -----

// CHECK-LABEL: func.func @gated_delta_rule
func.func @gated_delta_rule(%q: tensor<?x16x128xbf16>, %k: tensor<?x16x128xbf16>, %v: tensor<?x32x128xbf16>,
                            %a: tensor<?x32xbf16>, %b: tensor<?x32xbf16>, %alog: tensor<32xf32>, %dtb: tensor<32xf32>,
                            %s: tensor<?x32x128x128xf32>, %seq: tensor<?xi32>, %slots: tensor<?xi32>)
    -> (tensor<?x32x128xf32>, tensor<?x32x128x128xf32>) {
  // CHECK: {{.+}} = axe.gated_delta_rule %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, gates(%{{[^ ]+}}, %{{[^ ]+}}), decay(%{{[^ ]+}}, %{{[^ ]+}}), state %{{[^ ]+}}, seqs %{{[^ ]+}}, slots %{{[^ ]+}} :
  // CHECK-SAME: -> (tensor<?x32x128xf32>, tensor<?x32x128x128xf32>)
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots
    : (tensor<?x16x128xbf16>, tensor<?x16x128xbf16>, tensor<?x32x128xbf16>, tensor<?x32xbf16>, tensor<?x32xbf16>,
       tensor<32xf32>, tensor<32xf32>, tensor<?x32x128x128xf32>, tensor<?xi32>, tensor<?xi32>)
    -> (tensor<?x32x128xf32>, tensor<?x32x128x128xf32>)
  return %o, %s1 : tensor<?x32x128xf32>, tensor<?x32x128x128xf32>
}

// -----

// CHECK-LABEL: func.func @moe
func.func @moe(%x: tensor<?x2048xbf16>, %logits: tensor<?x256xf32>) -> (tensor<?x2048xbf16>, tensor<?x2048xbf16>) {
  // CHECK: {{.+}} = axe.moe_route %{{.+}} {renormalize, top_k = 8 : i64} : tensor<?x256xf32> -> tensor<?x8xi32>, tensor<?x8xf32>
  %ids, %w = axe.moe_route %logits {top_k = 8 : i64, renormalize} : tensor<?x256xf32> -> tensor<?x8xi32>, tensor<?x8xf32>
  %gu = axe.param "experts.gate_up_proj" : tensor<256x1024x2048xbf16>
  %dn = axe.param "experts.down_proj" : tensor<256x2048x512xbf16>
  // CHECK: axe.moe_experts %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} : (tensor<?x2048xbf16>, tensor<?x8xi32>, tensor<?x8xf32>, tensor<256x1024x2048xbf16>, tensor<256x2048x512xbf16>) -> tensor<?x2048xbf16>
  %r = axe.moe_experts %x, %ids, %w, %gu, %dn
    : (tensor<?x2048xbf16>, tensor<?x8xi32>, tensor<?x8xf32>, tensor<256x1024x2048xbf16>, tensor<256x2048x512xbf16>) -> tensor<?x2048xbf16>
  %gu8 = axe.param "experts.gate_up_proj" : tensor<256x1024x2048xf8E4M3FN>
  %sgu = axe.param "experts.gate_up_proj_scale" : tensor<256x1024xf32>
  %dn8 = axe.param "experts.down_proj" : tensor<256x2048x512xf8E4M3FN>
  %sdn = axe.param "experts.down_proj_scale" : tensor<256x2048xf32>
  // CHECK: axe.moe_experts %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} scaled %{{[^ ]+}}, %{{[^ ]+}} scaled %{{[^ ]+}} : (tensor<?x2048xbf16>, tensor<?x8xi32>, tensor<?x8xf32>, tensor<256x1024x2048xf8E4M3FN>, tensor<256x1024xf32>, tensor<256x2048x512xf8E4M3FN>, tensor<256x2048xf32>) -> tensor<?x2048xbf16>
  %r8 = axe.moe_experts %x, %ids, %w, %gu8 scaled %sgu, %dn8 scaled %sdn
    : (tensor<?x2048xbf16>, tensor<?x8xi32>, tensor<?x8xf32>, tensor<256x1024x2048xf8E4M3FN>, tensor<256x1024xf32>,
       tensor<256x2048x512xf8E4M3FN>, tensor<256x2048xf32>) -> tensor<?x2048xbf16>
  return %r, %r8 : tensor<?x2048xbf16>, tensor<?x2048xbf16>
}

// -----

// CHECK-LABEL: func.func @logits
func.func @logits(%h: tensor<?x2048xbf16>, %rows: tensor<?xi32>) -> tensor<?x248320xf32> {
  %w = axe.param "lm_head.weight" : tensor<248320x2048xbf16>
  // CHECK: axe.logits %{{.+}}, %{{.+}}, rows %{{.+}} : tensor<?x2048xbf16>, tensor<248320x2048xbf16>, tensor<?xi32> -> tensor<?x248320xf32>
  %l = axe.logits %h, %w, rows %rows : tensor<?x2048xbf16>, tensor<248320x2048xbf16>, tensor<?xi32> -> tensor<?x248320xf32>
  return %l : tensor<?x248320xf32>
}

// An FP8 head carries its scales, per row or per 128x128 block.
// CHECK-LABEL: func.func @logits_fp8
func.func @logits_fp8(%h: tensor<?x2048xbf16>, %rows: tensor<?xi32>) -> (tensor<?x248320xf32>, tensor<?x248320xf32>) {
  %w = axe.param "lm_head.weight" : tensor<248320x2048xf8E4M3FN>
  %s = axe.param "lm_head.weight_scale" : tensor<248320xf32>
  %sb = axe.param "lm_head.weight_scale_inv" : tensor<1940x16xf32>
  // CHECK: axe.logits %{{.+}}, %{{.+}} scale %{{.+}}, rows %{{.+}} : tensor<?x2048xbf16>, tensor<248320x2048xf8E4M3FN> scale tensor<248320xf32>, tensor<?xi32> -> tensor<?x248320xf32>
  %l = axe.logits %h, %w scale %s, rows %rows : tensor<?x2048xbf16>, tensor<248320x2048xf8E4M3FN> scale tensor<248320xf32>, tensor<?xi32> -> tensor<?x248320xf32>
  // CHECK: axe.logits %{{.+}}, %{{.+}} scale %{{.+}}, rows %{{.+}} : {{.+}} scale tensor<1940x16xf32>, tensor<?xi32>
  %lb = axe.logits %h, %w scale %sb, rows %rows : tensor<?x2048xbf16>, tensor<248320x2048xf8E4M3FN> scale tensor<1940x16xf32>, tensor<?xi32> -> tensor<?x248320xf32>
  return %l, %lb : tensor<?x248320xf32>, tensor<?x248320xf32>
}

// -----

// CHECK-LABEL: func.func @encoded_params
func.func @encoded_params() -> (tensor<512x2048xf8E4M3FN>, tensor<512xf32>, tensor<4x16xf32>) {
  // CHECK: axe.param "k_proj.weight" encoding <fp8_channel> : tensor<512x2048xf8E4M3FN>
  %w = axe.param "k_proj.weight" encoding <fp8_channel> : tensor<512x2048xf8E4M3FN>
  // CHECK: axe.param "k_proj.weight" encoding <fp8_channel_scale> : tensor<512xf32>
  %s = axe.param "k_proj.weight" encoding <fp8_channel_scale> : tensor<512xf32>
  // CHECK: axe.param "k_proj.weight" encoding <fp8_block_scale> : tensor<4x16xf32>
  %b = axe.param "k_proj.weight" encoding <fp8_block_scale> : tensor<4x16xf32>
  return %w, %s, %b : tensor<512x2048xf8E4M3FN>, tensor<512xf32>, tensor<4x16xf32>
}

// -----

// CHECK-LABEL: func.func @fused_prologues
func.func @fused_prologues(%x: tensor<?x2048xbf16>, %w: tensor<2048xbf16>, %g: tensor<?x512xbf16>, %u: tensor<?x512xbf16>)
    -> (tensor<?x2048xf8E4M3FN>, tensor<?xf32>, tensor<?x512xf8E4M3FN>, tensor<?xf32>) {
  // CHECK: axe.rms_norm_quantize %{{.+}}, %{{.+}} {eps = 9.99999997E-7 : f32, zero_centered} : tensor<?x2048xbf16>, tensor<2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?xf32>
  %q, %s = axe.rms_norm_quantize %x, %w {eps = 1.0e-6 : f32, zero_centered} : tensor<?x2048xbf16>, tensor<2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?xf32>
  // CHECK: axe.silu_mul_quantize %{{.+}}, %{{.+}} : tensor<?x512xbf16>, tensor<?x512xbf16> -> tensor<?x512xf8E4M3FN>, tensor<?xf32>
  %q2, %s2 = axe.silu_mul_quantize %g, %u : tensor<?x512xbf16>, tensor<?x512xbf16> -> tensor<?x512xf8E4M3FN>, tensor<?xf32>
  return %q, %s, %q2, %s2 : tensor<?x2048xf8E4M3FN>, tensor<?xf32>, tensor<?x512xf8E4M3FN>, tensor<?xf32>
}

// -----

// Block-scaled FP8 experts (Qwen's FP8 releases): [E, 2I/128, H/128] and [E, H/128, I/128] scales.
// CHECK-LABEL: func.func @moe_block_fp8
func.func @moe_block_fp8(%x: tensor<?x2048xbf16>, %ids: tensor<?x8xi32>, %w: tensor<?x8xf32>) -> tensor<?x2048xbf16> {
  %gu = axe.param "gu" : tensor<256x1024x2048xf8E4M3FN>
  %sgu = axe.param "sgu" : tensor<256x8x16xf32>
  %dn = axe.param "dn" : tensor<256x2048x512xf8E4M3FN>
  %sdn = axe.param "sdn" : tensor<256x16x4xf32>
  // CHECK: axe.moe_experts {{.+}} {weight_block = array<i64: 128, 128>}
  %r = axe.moe_experts %x, %ids, %w, %gu scaled %sgu, %dn scaled %sdn {weight_block = array<i64: 128, 128>}
    : (tensor<?x2048xbf16>, tensor<?x8xi32>, tensor<?x8xf32>, tensor<256x1024x2048xf8E4M3FN>, tensor<256x8x16xf32>,
       tensor<256x2048x512xf8E4M3FN>, tensor<256x16x4xf32>) -> tensor<?x2048xbf16>
  return %r : tensor<?x2048xbf16>
}
