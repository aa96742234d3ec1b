// axe-quantize: FP8 linears → quantize · FP8 matmul · dequantize (per channel), or fused
// block-scaled linears (scheme=block). Decisions come from axe-assign-precision.
// RUN: axe-opt %s --split-input-file --axe-assign-precision --axe-quantize | FileCheck %s --check-prefix=CHANNEL
// RUN: axe-opt %s --split-input-file --axe-assign-precision --axe-quantize=scheme=block | FileCheck %s --check-prefix=BLOCK

func.func @attention(%x: tensor<?x256xbf16>) -> (tensor<?x256xbf16>, tensor<?x128xbf16>, tensor<?x256xbf16>) {
  %wq = axe.param "model.layers.3.self_attn.q_proj.weight" : tensor<256x256xbf16>
  %wk = axe.param "model.layers.3.self_attn.k_proj.weight" : tensor<128x256xbf16>
  %wz = axe.param "model.layers.0.linear_attn.in_proj_z.weight" : tensor<256x256xbf16>
  %q = axe.linear %x, %wq {role = #axe.role<attn_q>} : tensor<?x256xbf16>, tensor<256x256xbf16> -> tensor<?x256xbf16>
  %k = axe.linear %x, %wk {role = #axe.role<attn_k>} : tensor<?x256xbf16>, tensor<128x256xbf16> -> tensor<?x128xbf16>
  %z = axe.linear %x, %wz {role = #axe.role<linear_attn_z>} : tensor<?x256xbf16>, tensor<256x256xbf16> -> tensor<?x256xbf16>
  return %q, %k, %z : tensor<?x256xbf16>, tensor<?x128xbf16>, tensor<?x256xbf16>
}
// One per-token quantization of x serves both FP8 projections; the BF16 one is untouched.
// CHANNEL-LABEL: func.func @attention
// CHANNEL-SAME: (%[[X:.+]]: tensor<?x256xbf16>)
// CHANNEL: %[[Q:.+]], %[[S:.+]] = axe.quantize %[[X]] : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32>
// CHANNEL-DAG: %[[WQ:.+]] = axe.param "model.layers.3.self_attn.q_proj.weight" encoding <fp8_channel> : tensor<256x256xf8E4M3FN>
// CHANNEL-DAG: %[[SQ:.+]] = axe.param "model.layers.3.self_attn.q_proj.weight" encoding <fp8_channel_scale> : tensor<256xf32>
// CHANNEL: %[[ACC:.+]] = axe.linear %[[Q]], %[[WQ]] {axe.precision = #axe.precision<fp8>, {{.+}}, role = #axe.role<attn_q>} : tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN> -> tensor<?x256xf32>
// CHANNEL: axe.dequantize %[[ACC]], %[[S]], %[[SQ]] : tensor<?x256xf32>, tensor<?xf32>, tensor<256xf32> -> tensor<?x256xbf16>
// CHANNEL: %[[ACCK:.+]] = axe.linear %[[Q]], %{{.+}} {{.+}} -> tensor<?x128xf32>
// CHANNEL: axe.dequantize %[[ACCK]], %[[S]]
// CHANNEL: axe.linear %[[X]], %{{.+}} {axe.precision = #axe.precision<bf16>, {{.+}}, role = #axe.role<linear_attn_z>} : tensor<?x256xbf16>, tensor<256x256xbf16> -> tensor<?x256xbf16>
// CHANNEL-NOT: axe.quantize
// The float params are gone: only their FP8 copies remain.
// CHANNEL-NOT: axe.param "model.layers.3.self_attn.q_proj.weight" : tensor<256x256xbf16>

// BLOCK-LABEL: func.func @attention
// BLOCK-SAME: (%[[X:.+]]: tensor<?x256xbf16>)
// BLOCK-DAG: axe.param "model.layers.3.self_attn.q_proj.weight" encoding <fp8_block> : tensor<256x256xf8E4M3FN>
// BLOCK-DAG: axe.param "model.layers.3.self_attn.q_proj.weight" encoding <fp8_block_scale> : tensor<2x2xf32>
// BLOCK: axe.fp8_linear %[[X]], {{.+}} {axe.precision = #axe.precision<fp8>, {{.+}}, role = #axe.role<attn_q>, weight_block = array<i64: 128, 128>} : (tensor<?x256xbf16>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32>) -> tensor<?x256xbf16>
// BLOCK: axe.fp8_linear %[[X]], {{.+}} role = #axe.role<attn_k>, weight_block = array<i64: 128, 128>} : (tensor<?x256xbf16>, tensor<128x256xf8E4M3FN>, tensor<1x2xf32>) -> tensor<?x128xbf16>
// BLOCK: axe.linear %[[X]], {{.+}} role = #axe.role<linear_attn_z>

// -----

func.func @experts(%x: tensor<?x256xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>) -> tensor<?x256xbf16> {
  %gu = axe.param "model.layers.3.mlp.experts.gate_up_proj" : tensor<4x256x256xbf16>
  %dn = axe.param "model.layers.3.mlp.experts.down_proj" : tensor<4x256x128xbf16>
  %e = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x256xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x256x256xbf16>, tensor<4x256x128xbf16>) -> tensor<?x256xbf16>
  return %e : tensor<?x256xbf16>
}
// CHANNEL-LABEL: func.func @experts
// CHANNEL-DAG: axe.param "model.layers.3.mlp.experts.gate_up_proj" encoding <fp8_channel_scale> : tensor<4x256xf32>
// CHANNEL-DAG: axe.param "model.layers.3.mlp.experts.down_proj" encoding <fp8_channel_scale> : tensor<4x256xf32>
// CHANNEL: axe.moe_experts {{.+}} scaled {{.+}} scaled {{.+}} : ({{.+}}, tensor<4x256x256xf8E4M3FN>, tensor<4x256xf32>, tensor<4x256x128xf8E4M3FN>, tensor<4x256xf32>) -> tensor<?x256xbf16>
// BLOCK-LABEL: func.func @experts
// BLOCK: axe.moe_experts {{.+}} {{.+}}weight_block = array<i64: 128, 128>} : ({{.+}}, tensor<4x256x256xf8E4M3FN>, tensor<4x2x2xf32>, tensor<4x256x128xf8E4M3FN>, tensor<4x2x1xf32>)

// -----

// No FP8 decision: nothing changes.
func.func @no_fp8(%x: tensor<?x64xbf16>) -> tensor<?x8xf32> {
  %wr = axe.param "model.layers.3.mlp.gate.weight" : tensor<8x64xbf16>
  %r = axe.linear %x, %wr {role = #axe.role<router>} : tensor<?x64xbf16>, tensor<8x64xbf16> -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
// CHANNEL-LABEL: func.func @no_fp8
// CHANNEL-NOT: f8E4M3FN
// CHANNEL: return
