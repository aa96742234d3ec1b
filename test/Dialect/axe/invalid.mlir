// Negative cases: each breaks one verifier rule and checks that the error names it.
// RUN: axe-opt %s --split-input-file --verify-diagnostics

func.func @case0() {
  // expected-error@+1 {{rule 'param.name'}}
  %0 = axe.param "" : tensor<4xbf16>
  return
}

// -----

func.func @case1() {
  // expected-error@+1 {{rule 'param.name'}}
  %0 = axe.param "w" parts [] : tensor<4xbf16>
  return
}

// -----

func.func @case2() {
  // expected-error@+1 {{rule 'param.name'}}
  %0 = axe.param "w" parts ["a", ""] : tensor<4xbf16>
  return
}

// -----

func.func @case3() {
  // expected-error@+1 {{rule 'param.static_shape'}}
  %0 = axe.param "w" : tensor<?x4xbf16>
  return
}

// -----

func.func @case4() {
  // expected-error@+1 {{rule 'param.dtype'}}
  %0 = axe.param "w" : tensor<4xf64>
  return
}

// -----

func.func @case5() {
  // expected-error@+1 {{rule 'param.encoding'}}
  %0 = axe.param "w" encoding <fp8_channel> : tensor<4x8xbf16>
  return
}

// -----

func.func @case6() {
  // expected-error@+1 {{rule 'param.encoding'}}
  %0 = axe.param "w" encoding <fp8_block_scale> : tensor<4xf8E4M3FN>
  return
}

// -----

func.func @case7(%x: tensor<?x4x8xbf16>, %w: tensor<8xbf16>) {
  // expected-error@+1 {{rule 'rms_norm_quantize.input'}}
  %q, %s = axe.rms_norm_quantize %x, %w {eps = 1.0e-6 : f32} : tensor<?x4x8xbf16>, tensor<8xbf16> -> tensor<?x4x8xf8E4M3FN>, tensor<?xf32>
  return
}

// -----

func.func @case8(%x: tensor<?x8xbf16>, %w: tensor<4xbf16>) {
  // expected-error@+1 {{rule 'rms_norm_quantize.weight'}}
  %q, %s = axe.rms_norm_quantize %x, %w {eps = 1.0e-6 : f32} : tensor<?x8xbf16>, tensor<4xbf16> -> tensor<?x8xf8E4M3FN>, tensor<?xf32>
  return
}

// -----

func.func @case9(%x: tensor<?x8xbf16>, %w: tensor<8xbf16>) {
  // expected-error@+1 {{rule 'rms_norm_quantize.eps'}}
  %q, %s = axe.rms_norm_quantize %x, %w {eps = 0.0 : f32} : tensor<?x8xbf16>, tensor<8xbf16> -> tensor<?x8xf8E4M3FN>, tensor<?xf32>
  return
}

// -----

func.func @case10(%x: tensor<?x8xbf16>, %w: tensor<8xbf16>) {
  // expected-error@+1 {{rule 'rms_norm_quantize.result'}}
  %q, %s = axe.rms_norm_quantize %x, %w {eps = 1.0e-6 : f32} : tensor<?x8xbf16>, tensor<8xbf16> -> tensor<?x8xbf16>, tensor<?xf32>
  return
}

// -----

func.func @case11(%x: tensor<?x8xbf16>, %w: tensor<8xbf16>) {
  // expected-error@+1 {{rule 'rms_norm_quantize.scale'}}
  %q, %s = axe.rms_norm_quantize %x, %w {eps = 1.0e-6 : f32} : tensor<?x8xbf16>, tensor<8xbf16> -> tensor<?x8xf8E4M3FN>, tensor<?x1xf32>
  return
}

// -----

func.func @case12(%g: tensor<?x8xbf16>, %u: tensor<?x4xbf16>) {
  // expected-error@+1 {{rule 'silu_mul_quantize.input'}}
  %q, %s = axe.silu_mul_quantize %g, %u : tensor<?x8xbf16>, tensor<?x4xbf16> -> tensor<?x8xf8E4M3FN>, tensor<?xf32>
  return
}

// -----

func.func @case13(%g: tensor<?x8xbf16>, %u: tensor<?x8xbf16>) {
  // expected-error@+1 {{rule 'silu_mul_quantize.result'}}
  %q, %s = axe.silu_mul_quantize %g, %u : tensor<?x8xbf16>, tensor<?x8xbf16> -> tensor<?x4xf8E4M3FN>, tensor<?xf32>
  return
}

// -----

func.func @case14(%g: tensor<?x8xbf16>, %u: tensor<?x8xbf16>) {
  // expected-error@+1 {{rule 'silu_mul_quantize.scale'}}
  %q, %s = axe.silu_mul_quantize %g, %u : tensor<?x8xbf16>, tensor<?x8xbf16> -> tensor<?x8xf8E4M3FN>, tensor<?xbf16>
  return
}

// -----

func.func @case15(%i: tensor<?xf32>, %t: tensor<100x8xbf16>) {
  // expected-error@+1 {{rule 'embed.ids'}}
  %0 = axe.embed %i, %t : tensor<?xf32>, tensor<100x8xbf16> -> tensor<?x8xbf16>
  return
}

// -----

func.func @case16(%i: tensor<?xi32>, %t: tensor<100xbf16>) {
  // expected-error@+1 {{rule 'embed.table'}}
  %0 = axe.embed %i, %t : tensor<?xi32>, tensor<100xbf16> -> tensor<?x8xbf16>
  return
}

// -----

func.func @case17(%i: tensor<?xi32>, %t: tensor<100x8xbf16>) {
  // expected-error@+1 {{rule 'embed.result'}}
  %0 = axe.embed %i, %t : tensor<?xi32>, tensor<100x8xbf16> -> tensor<?x16xbf16>
  return
}

// -----

func.func @case18(%i: tensor<?xi32>, %t: tensor<100x8xbf16>) {
  // expected-error@+1 {{rule 'embed.result'}}
  %0 = axe.embed %i, %t : tensor<?xi32>, tensor<100x8xbf16> -> tensor<?x8xi32>
  return
}

// -----

func.func @case19(%x: tensor<?x8xi32>, %w: tensor<8xbf16>) {
  // expected-error@+1 {{rule 'rms_norm.input'}}
  %0 = axe.rms_norm %x, %w {eps = 1.0e-6 : f32} : tensor<?x8xi32>, tensor<8xbf16> -> tensor<?x8xbf16>
  return
}

// -----

func.func @case20(%x: tensor<?x8xbf16>, %w: tensor<16xbf16>) {
  // expected-error@+1 {{rule 'rms_norm.weight'}}
  %0 = axe.rms_norm %x, %w {eps = 1.0e-6 : f32} : tensor<?x8xbf16>, tensor<16xbf16> -> tensor<?x8xbf16>
  return
}

// -----

func.func @case21(%x: tensor<?x8xbf16>, %w: tensor<8xbf16>) {
  // expected-error@+1 {{rule 'rms_norm.result'}}
  %0 = axe.rms_norm %x, %w {eps = 1.0e-6 : f32} : tensor<?x8xbf16>, tensor<8xbf16> -> tensor<?x4xbf16>
  return
}

// -----

func.func @case22(%x: tensor<?x8xbf16>, %w: tensor<8xbf16>) {
  // expected-error@+1 {{rule 'rms_norm.eps'}}
  %0 = axe.rms_norm %x, %w {eps = 0.0 : f32, zero_centered} : tensor<?x8xbf16>, tensor<8xbf16> -> tensor<?x8xbf16>
  return
}

// -----

func.func @case23(%x: tensor<?x4x8xf32>, %z: tensor<?x4x4xbf16>, %w: tensor<8xf32>) {
  // expected-error@+1 {{rule 'gated_rms_norm.gate'}}
  %0 = axe.gated_rms_norm %x, %z, %w {eps = 1.0e-6 : f32} : tensor<?x4x8xf32>, tensor<?x4x4xbf16>, tensor<8xf32> -> tensor<?x4x8xbf16>
  return
}

// -----

func.func @case24(%x: tensor<?x4x8xi8>, %z: tensor<?x4x8xbf16>, %w: tensor<8xf32>) {
  // expected-error@+1 {{rule 'gated_rms_norm.input'}}
  %0 = axe.gated_rms_norm %x, %z, %w {eps = 1.0e-6 : f32} : tensor<?x4x8xi8>, tensor<?x4x8xbf16>, tensor<8xf32> -> tensor<?x4x8xbf16>
  return
}

// -----

func.func @case25(%x: tensor<?x4x8xf32>, %z: tensor<?x4x8xbf16>, %w: tensor<4x8xf32>) {
  // expected-error@+1 {{rule 'gated_rms_norm.weight'}}
  %0 = axe.gated_rms_norm %x, %z, %w {eps = 1.0e-6 : f32} : tensor<?x4x8xf32>, tensor<?x4x8xbf16>, tensor<4x8xf32> -> tensor<?x4x8xbf16>
  return
}

// -----

func.func @case26(%x: tensor<?x4x8xf32>, %z: tensor<?x4x8xbf16>, %w: tensor<8xf32>) {
  // expected-error@+1 {{rule 'gated_rms_norm.result'}}
  %0 = axe.gated_rms_norm %x, %z, %w {eps = 1.0e-6 : f32} : tensor<?x4x8xf32>, tensor<?x4x8xbf16>, tensor<8xf32> -> tensor<?x32xbf16>
  return
}

// -----

func.func @case27(%x: tensor<?x4x8xf32>, %z: tensor<?x4x8xbf16>, %w: tensor<8xf32>) {
  // expected-error@+1 {{rule 'gated_rms_norm.eps'}}
  %0 = axe.gated_rms_norm %x, %z, %w {eps = -1.0 : f32} : tensor<?x4x8xf32>, tensor<?x4x8xbf16>, tensor<8xf32> -> tensor<?x4x8xbf16>
  return
}

// -----

func.func @case28(%g: tensor<?x8xi32>, %u: tensor<?x8xi32>) {
  // expected-error@+1 {{rule 'silu_mul.dtype'}}
  %0 = axe.silu_mul %g, %u : tensor<?x8xi32>, tensor<?x8xi32> -> tensor<?x8xbf16>
  return
}

// -----

func.func @case29(%g: tensor<?x8xbf16>, %u: tensor<?x4xbf16>) {
  // expected-error@+1 {{rule 'silu_mul.shapes'}}
  %0 = axe.silu_mul %g, %u : tensor<?x8xbf16>, tensor<?x4xbf16> -> tensor<?x8xbf16>
  return
}

// -----

func.func @case30(%x: tensor<?x2x8xbf16>, %g: tensor<?x1xbf16>) {
  // expected-error@+1 {{rule 'sigmoid_gate.input'}}
  %0 = axe.sigmoid_gate %x, %g : tensor<?x2x8xbf16>, tensor<?x1xbf16> -> tensor<?x2x8xbf16>
  return
}

// -----

func.func @case31(%x: tensor<?x8xbf16>, %g: tensor<?x2xbf16>) {
  // expected-error@+1 {{rule 'sigmoid_gate.gate'}}
  %0 = axe.sigmoid_gate %x, %g : tensor<?x8xbf16>, tensor<?x2xbf16> -> tensor<?x8xbf16>
  return
}

// -----

func.func @case32(%x: tensor<?x8xbf16>, %g: tensor<?x8xbf16>) {
  // expected-error@+1 {{rule 'sigmoid_gate.result'}}
  %0 = axe.sigmoid_gate %x, %g : tensor<?x8xbf16>, tensor<?x8xbf16> -> tensor<?x8xi8>
  return
}

// -----

func.func @case33(%x: tensor<8xbf16>, %w: tensor<4x8xbf16>) {
  // expected-error@+1 {{rule 'linear.input'}}
  %0 = axe.linear %x, %w {role = #axe.role<attn_k>} : tensor<8xbf16>, tensor<4x8xbf16> -> tensor<?x4xbf16>
  return
}

// -----

func.func @case34(%x: tensor<?x8xbf16>, %w: tensor<2x4x8xbf16>) {
  // expected-error@+1 {{rule 'linear.weight'}}
  %0 = axe.linear %x, %w {role = #axe.role<attn_k>} : tensor<?x8xbf16>, tensor<2x4x8xbf16> -> tensor<?x4xbf16>
  return
}

// -----

func.func @case35(%x: tensor<?x8xbf16>, %w: tensor<4x16xbf16>) {
  // expected-error@+1 {{rule 'linear.k_match'}}
  %0 = axe.linear %x, %w {role = #axe.role<attn_k>} : tensor<?x8xbf16>, tensor<4x16xbf16> -> tensor<?x4xbf16>
  return
}

// -----

func.func @case36(%x: tensor<?x8xbf16>, %w: tensor<4x8xbf16>) {
  // expected-error@+1 {{rule 'linear.result'}}
  %0 = axe.linear %x, %w {role = #axe.role<attn_k>} : tensor<?x8xbf16>, tensor<4x8xbf16> -> tensor<?x8xbf16>
  return
}

// -----

func.func @case37(%x: tensor<?x8xbf16>, %w: tensor<4x8xf8E4M3FN>) {
  // expected-error@+1 {{rule 'linear.dtype'}}
  %0 = axe.linear %x, %w {role = #axe.role<attn_k>} : tensor<?x8xbf16>, tensor<4x8xf8E4M3FN> -> tensor<?x4xf32>
  return
}

// -----

func.func @case38(%x: tensor<?x8xf8E4M3FN>, %w: tensor<4x8xf8E4M3FN>) {
  // expected-error@+1 {{rule 'linear.dtype'}}
  %0 = axe.linear %x, %w {role = #axe.role<attn_k>} : tensor<?x8xf8E4M3FN>, tensor<4x8xf8E4M3FN> -> tensor<?x4xbf16>
  return
}

// -----

func.func @case39(%x: tensor<?x8xi8>, %w: tensor<4x8xi8>) {
  // expected-error@+1 {{rule 'linear.dtype'}}
  %0 = axe.linear %x, %w {role = #axe.role<attn_k>} : tensor<?x8xi8>, tensor<4x8xi8> -> tensor<?x4xf32>
  return
}

// -----

func.func @case40(%x: tensor<?x8x2xbf16>) {
  // expected-error@+1 {{rule 'quantize.input'}}
  %q, %s = axe.quantize %x : tensor<?x8x2xbf16> -> tensor<?x8x2xf8E4M3FN>, tensor<?xf32>
  return
}

// -----

func.func @case41(%x: tensor<?x96xbf16>) {
  // expected-error@+1 {{rule 'quantize.group_size'}}
  %q, %s = axe.quantize %x {group_size = 64 : i64} : tensor<?x96xbf16> -> tensor<?x96xf8E4M3FN>, tensor<?x1xf32>
  return
}

// -----

func.func @case42(%x: tensor<?x96xbf16>) {
  // expected-error@+1 {{rule 'quantize.group_size'}}
  %q, %s = axe.quantize %x {group_size = 0 : i64} : tensor<?x96xbf16> -> tensor<?x96xf8E4M3FN>, tensor<?x1xf32>
  return
}

// -----

func.func @case43(%x: tensor<?x8xbf16>) {
  // expected-error@+1 {{rule 'quantize.result'}}
  %q, %s = axe.quantize %x : tensor<?x8xbf16> -> tensor<?x8xbf16>, tensor<?xf32>
  return
}

// -----

func.func @case44(%x: tensor<?x8xbf16>) {
  // expected-error@+1 {{rule 'quantize.scale'}}
  %q, %s = axe.quantize %x : tensor<?x8xbf16> -> tensor<?x8xf8E4M3FN>, tensor<?x1xf32>
  return
}

// -----

func.func @case45(%x: tensor<?x256xbf16>) {
  // expected-error@+1 {{rule 'quantize.scale'}}
  %q, %s = axe.quantize %x {group_size = 128 : i64} : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x4xf32>
  return
}

// -----

func.func @case46(%a: tensor<?x4xbf16>, %st: tensor<?xf32>, %sw: tensor<4xf32>) {
  // expected-error@+1 {{rule 'dequantize.acc'}}
  %0 = axe.dequantize %a, %st, %sw : tensor<?x4xbf16>, tensor<?xf32>, tensor<4xf32> -> tensor<?x4xbf16>
  return
}

// -----

func.func @case47(%a: tensor<?x4xf32>, %st: tensor<?x1xf32>, %sw: tensor<4xf32>) {
  // expected-error@+1 {{rule 'dequantize.act_scale'}}
  %0 = axe.dequantize %a, %st, %sw : tensor<?x4xf32>, tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xbf16>
  return
}

// -----

func.func @case48(%a: tensor<?x4xf32>, %st: tensor<?xf32>, %sw: tensor<8xf32>) {
  // expected-error@+1 {{rule 'dequantize.weight_scale'}}
  %0 = axe.dequantize %a, %st, %sw : tensor<?x4xf32>, tensor<?xf32>, tensor<8xf32> -> tensor<?x4xbf16>
  return
}

// -----

func.func @case49(%a: tensor<?x4xf32>, %st: tensor<?xf32>, %sw: tensor<4xf32>) {
  // expected-error@+1 {{rule 'dequantize.result'}}
  %0 = axe.dequantize %a, %st, %sw : tensor<?x4xf32>, tensor<?xf32>, tensor<4xf32> -> tensor<?x8xbf16>
  return
}

// -----

func.func @case50(%x: tensor<?x8xi32>, %w: tensor<4x8xf8E4M3FN>, %s: tensor<4xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.input'}}
  %0 = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_q>} : (tensor<?x8xi32>, tensor<4x8xf8E4M3FN>, tensor<4xf32>) -> tensor<?x4xbf16>
  return
}

// -----

func.func @case51(%x: tensor<?x8xbf16>, %w: tensor<4x8xbf16>, %s: tensor<4xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.weight'}}
  %0 = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_q>} : (tensor<?x8xbf16>, tensor<4x8xbf16>, tensor<4xf32>) -> tensor<?x4xbf16>
  return
}

// -----

func.func @case52(%x: tensor<?x16xbf16>, %w: tensor<4x8xf8E4M3FN>, %s: tensor<4xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.k_match'}}
  %0 = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_q>} : (tensor<?x16xbf16>, tensor<4x8xf8E4M3FN>, tensor<4xf32>) -> tensor<?x4xbf16>
  return
}

// -----

func.func @case53(%x: tensor<?x8xbf16>, %w: tensor<4x8xf8E4M3FN>, %s: tensor<4x1xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.weight_scale'}}
  %0 = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_q>} : (tensor<?x8xbf16>, tensor<4x8xf8E4M3FN>, tensor<4x1xf32>) -> tensor<?x4xbf16>
  return
}

// -----

func.func @case54(%x: tensor<?x256xbf16>, %w: tensor<200x256xf8E4M3FN>, %s: tensor<1x2xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.weight_scale'}}
  %0 = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_q>, weight_block = array<i64: 128, 128>} : (tensor<?x256xbf16>, tensor<200x256xf8E4M3FN>, tensor<1x2xf32>) -> tensor<?x200xbf16>
  return
}

// -----

func.func @case55(%x: tensor<?x256xbf16>, %w: tensor<256x256xf8E4M3FN>, %s: tensor<2x2xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.weight_block'}}
  %0 = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_q>, weight_block = array<i64: 128>} : (tensor<?x256xbf16>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32>) -> tensor<?x256xbf16>
  return
}

// -----

func.func @case56(%x: tensor<?x200xbf16>, %w: tensor<256x200xf8E4M3FN>, %s: tensor<2x2xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.weight_block'}}
  %0 = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_q>, weight_block = array<i64: 128, 128>} : (tensor<?x200xbf16>, tensor<256x200xf8E4M3FN>, tensor<2x2xf32>) -> tensor<?x256xbf16>
  return
}

// -----

func.func @case57(%x: tensor<?x8xf8E4M3FN>, %w: tensor<4x8xf8E4M3FN>, %s: tensor<4xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.input_scale'}}
  %0 = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_q>} : (tensor<?x8xf8E4M3FN>, tensor<4x8xf8E4M3FN>, tensor<4xf32>) -> tensor<?x4xbf16>
  return
}

// -----

func.func @case58(%x: tensor<?x8xbf16>, %xs: tensor<?xf32>, %w: tensor<4x8xf8E4M3FN>, %s: tensor<4xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.input_scale'}}
  %0 = axe.fp8_linear %x scaled %xs, %w, %s {role = #axe.role<attn_q>} : (tensor<?x8xbf16>, tensor<?xf32>, tensor<4x8xf8E4M3FN>, tensor<4xf32>) -> tensor<?x4xbf16>
  return
}

// -----

func.func @case59(%x: tensor<?x8xf8E4M3FN>, %xs: tensor<?x2xf32>, %w: tensor<4x8xf8E4M3FN>, %s: tensor<4xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.input_scale'}}
  %0 = axe.fp8_linear %x scaled %xs, %w, %s {role = #axe.role<attn_q>} : (tensor<?x8xf8E4M3FN>, tensor<?x2xf32>, tensor<4x8xf8E4M3FN>, tensor<4xf32>) -> tensor<?x4xbf16>
  return
}

// -----

func.func @case60(%x: tensor<?x8xbf16>, %w: tensor<4x8xf8E4M3FN>, %s: tensor<4xf32>) {
  // expected-error@+1 {{rule 'fp8_linear.result'}}
  %0 = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_q>} : (tensor<?x8xbf16>, tensor<4x8xf8E4M3FN>, tensor<4xf32>) -> tensor<?x4xf8E4M3FN>
  return
}

// -----

func.func @case61(%x: tensor<?x64xbf16>, %p: tensor<?xi32>) {
  // expected-error@+1 {{rule 'rope.input'}}
  %0 = axe.rope %x, %p {rotary_dim = 16 : i64, theta = 1.0e4 : f64} : tensor<?x64xbf16>, tensor<?xi32> -> tensor<?x64xbf16>
  return
}

// -----

func.func @case62(%x: tensor<?x2x64xbf16>, %p: tensor<?xf32>) {
  // expected-error@+1 {{rule 'rope.positions'}}
  %0 = axe.rope %x, %p {rotary_dim = 16 : i64, theta = 1.0e4 : f64} : tensor<?x2x64xbf16>, tensor<?xf32> -> tensor<?x2x64xbf16>
  return
}

// -----

func.func @case63(%x: tensor<5x2x64xbf16>, %p: tensor<4xi32>) {
  // expected-error@+1 {{rule 'rope.positions'}}
  %0 = axe.rope %x, %p {rotary_dim = 16 : i64, theta = 1.0e4 : f64} : tensor<5x2x64xbf16>, tensor<4xi32> -> tensor<5x2x64xbf16>
  return
}

// -----

func.func @case64(%x: tensor<?x2x64xbf16>, %p: tensor<?xi32>) {
  // expected-error@+1 {{rule 'rope.rotary_dim'}}
  %0 = axe.rope %x, %p {rotary_dim = 15 : i64, theta = 1.0e4 : f64} : tensor<?x2x64xbf16>, tensor<?xi32> -> tensor<?x2x64xbf16>
  return
}

// -----

func.func @case65(%x: tensor<?x2x64xbf16>, %p: tensor<?xi32>) {
  // expected-error@+1 {{rule 'rope.rotary_dim'}}
  %0 = axe.rope %x, %p {rotary_dim = 128 : i64, theta = 1.0e4 : f64} : tensor<?x2x64xbf16>, tensor<?xi32> -> tensor<?x2x64xbf16>
  return
}

// -----

func.func @case66(%x: tensor<?x2x64xbf16>, %p: tensor<?xi32>) {
  // expected-error@+1 {{rule 'rope.theta'}}
  %0 = axe.rope %x, %p {rotary_dim = 16 : i64, theta = 0.0 : f64} : tensor<?x2x64xbf16>, tensor<?xi32> -> tensor<?x2x64xbf16>
  return
}

// -----

func.func @case67(%x: tensor<?x2x64xbf16>, %p: tensor<?xi32>) {
  // expected-error@+1 {{rule 'rope.result'}}
  %0 = axe.rope %x, %p {rotary_dim = 16 : i64, theta = 1.0e4 : f64} : tensor<?x2x64xbf16>, tensor<?xi32> -> tensor<?x2x64xf32>
  return
}

// -----

func.func @case68(%q: tensor<?x4xbf16>, %k: tensor<?x2x64xbf16>, %v: tensor<?x2x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x2x64xbf16>, %vc: tensor<8x16x2x64xbf16>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.q'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4xbf16>, tensor<?x2x64xbf16>, tensor<?x2x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x256xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>)
  return
}

// -----

func.func @case69(%q: tensor<?x4x64xbf16>, %k: tensor<?x2x32xbf16>, %v: tensor<?x2x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x2x64xbf16>, %vc: tensor<8x16x2x64xbf16>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.kv'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4x64xbf16>, tensor<?x2x32xbf16>, tensor<?x2x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x256xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>)
  return
}

// -----

func.func @case70(%q: tensor<?x4x64xbf16>, %k: tensor<?x2x64xbf16>, %v: tensor<?x1x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x2x64xbf16>, %vc: tensor<8x16x2x64xbf16>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.kv'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4x64xbf16>, tensor<?x2x64xbf16>, tensor<?x1x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x256xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>)
  return
}

// -----

func.func @case71(%q: tensor<?x4x64xbf16>, %k: tensor<?x3x64xbf16>, %v: tensor<?x3x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x3x64xbf16>, %vc: tensor<8x16x3x64xbf16>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.gqa'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4x64xbf16>, tensor<?x3x64xbf16>, tensor<?x3x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x3x64xbf16>, tensor<8x16x3x64xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x256xbf16>, tensor<8x16x3x64xbf16>, tensor<8x16x3x64xbf16>)
  return
}

// -----

func.func @case72(%q: tensor<?x4x64xbf16>, %k: tensor<?x2x64xbf16>, %v: tensor<?x2x64xbf16>, %g: tensor<?x256xbf16>, %kc: tensor<8x16x2x64xbf16>, %vc: tensor<8x16x2x64xbf16>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.gate'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4x64xbf16>, tensor<?x2x64xbf16>, tensor<?x2x64xbf16>, tensor<?x256xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x256xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>)
  return
}

// -----

func.func @case73(%q: tensor<?x4x64xbf16>, %k: tensor<?x2x64xbf16>, %v: tensor<?x2x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x2x64xf16>, %vc: tensor<8x16x2x64xf16>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.cache'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4x64xbf16>, tensor<?x2x64xbf16>, tensor<?x2x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x2x64xf16>, tensor<8x16x2x64xf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x256xbf16>, tensor<8x16x2x64xf16>, tensor<8x16x2x64xf16>)
  return
}

// -----

func.func @case74(%q: tensor<?x4x64xbf16>, %k: tensor<?x2x64xbf16>, %v: tensor<?x2x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x2x64xbf16>, %vc: tensor<8x16x2x64xf8E4M3FN>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.cache'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4x64xbf16>, tensor<?x2x64xbf16>, tensor<?x2x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xf8E4M3FN>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x256xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xf8E4M3FN>)
  return
}

// -----

func.func @case75(%q: tensor<?x4x64xbf16>, %k: tensor<?x2x64xbf16>, %v: tensor<?x2x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x2x64xbf16>, %vc: tensor<8x16x2x64xbf16>, %pos: tensor<?xf32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.metadata'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4x64xbf16>, tensor<?x2x64xbf16>, tensor<?x2x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>, tensor<?xf32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x256xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>)
  return
}

// -----

func.func @case76(%q: tensor<?x4x64xbf16>, %k: tensor<?x2x64xbf16>, %v: tensor<?x2x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x2x64xbf16>, %vc: tensor<8x16x2x64xbf16>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi64>) {
  // expected-error@+1 {{rule 'attention.metadata'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4x64xbf16>, tensor<?x2x64xbf16>, tensor<?x2x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi64>) -> (tensor<?x256xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>)
  return
}

// -----

func.func @case77(%q: tensor<?x4x64xbf16>, %k: tensor<?x2x64xbf16>, %v: tensor<?x2x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x2x64xbf16>, %vc: tensor<8x16x2x64xbf16>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.result'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4x64xbf16>, tensor<?x2x64xbf16>, tensor<?x2x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x4x64xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>)
  return
}

// -----

func.func @case78(%q: tensor<?x4x64xbf16>, %k: tensor<?x2x64xbf16>, %v: tensor<?x2x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x2x64xbf16>, %vc: tensor<8x16x2x64xbf16>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.result'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt : (tensor<?x4x64xbf16>, tensor<?x2x64xbf16>, tensor<?x2x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x256xbf16>, tensor<8x16x2x64xbf16>, tensor<4x16x2x64xbf16>)
  return
}

// -----

func.func @case79(%q: tensor<?x4x64xbf16>, %k: tensor<?x2x64xbf16>, %v: tensor<?x2x64xbf16>, %g: tensor<?x4x64xbf16>, %kc: tensor<8x16x2x64xbf16>, %vc: tensor<8x16x2x64xbf16>, %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x4xi32>) {
  // expected-error@+1 {{rule 'attention.scale'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %vc), positions %pos, seqs %seq, blocks %bt {scale = 0.0 : f32} : (tensor<?x4x64xbf16>, tensor<?x2x64xbf16>, tensor<?x2x64xbf16>, tensor<?x4x64xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x4xi32>) -> (tensor<?x256xbf16>, tensor<8x16x2x64xbf16>, tensor<8x16x2x64xbf16>)
  return
}

// -----

func.func @case80(%x: tensor<?x64xi32>, %w: tensor<64x1x4xbf16>, %st: tensor<?x3x64xbf16>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'conv.input'}}
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xi32>, tensor<64x1x4xbf16>, tensor<?x3x64xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x64xbf16>, tensor<?x3x64xbf16>)
  return
}

// -----

func.func @case81(%x: tensor<?x64xbf16>, %w: tensor<64x4xbf16>, %st: tensor<?x3x64xbf16>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'conv.weight'}}
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xbf16>, tensor<64x4xbf16>, tensor<?x3x64xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x64xbf16>, tensor<?x3x64xbf16>)
  return
}

// -----

func.func @case82(%x: tensor<?x64xbf16>, %w: tensor<32x1x4xbf16>, %st: tensor<?x3x64xbf16>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'conv.weight'}}
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xbf16>, tensor<32x1x4xbf16>, tensor<?x3x64xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x64xbf16>, tensor<?x3x64xbf16>)
  return
}

// -----

func.func @case83(%x: tensor<?x64xbf16>, %w: tensor<64x1x4xbf16>, %st: tensor<?x4x64xbf16>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'conv.state'}}
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xbf16>, tensor<64x1x4xbf16>, tensor<?x4x64xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x64xbf16>, tensor<?x4x64xbf16>)
  return
}

// -----

func.func @case84(%x: tensor<?x64xbf16>, %w: tensor<64x1x4xbf16>, %st: tensor<?x3x64xbf16>, %seq: tensor<?x2xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'conv.metadata'}}
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xbf16>, tensor<64x1x4xbf16>, tensor<?x3x64xbf16>, tensor<?x2xi32>, tensor<?xi32>) -> (tensor<?x64xbf16>, tensor<?x3x64xbf16>)
  return
}

// -----

func.func @case85(%x: tensor<?x64xbf16>, %w: tensor<64x1x4xbf16>, %st: tensor<?x3x64xbf16>, %seq: tensor<?xi32>, %slots: tensor<?xf32>) {
  // expected-error@+1 {{rule 'conv.metadata'}}
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xbf16>, tensor<64x1x4xbf16>, tensor<?x3x64xbf16>, tensor<?xi32>, tensor<?xf32>) -> (tensor<?x64xbf16>, tensor<?x3x64xbf16>)
  return
}

// -----

func.func @case86(%x: tensor<?x64xbf16>, %w: tensor<64x1x4xbf16>, %st: tensor<?x3x64xbf16>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'conv.result'}}
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xbf16>, tensor<64x1x4xbf16>, tensor<?x3x64xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x32xbf16>, tensor<?x3x64xbf16>)
  return
}

// -----

func.func @case87(%x: tensor<?x64xbf16>, %w: tensor<64x1x4xbf16>, %st: tensor<?x3x64xbf16>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'conv.result'}}
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xbf16>, tensor<64x1x4xbf16>, tensor<?x3x64xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x64xbf16>, tensor<4x3x64xbf16>)
  return
}

// -----

func.func @case88(%q: tensor<?x2x16xbf16>, %k: tensor<?x2x8xbf16>, %v: tensor<?x4x16xbf16>, %a: tensor<?x4xbf16>, %b: tensor<?x4xbf16>, %alog: tensor<4xf32>, %dtb: tensor<4xf32>, %s: tensor<?x4x16x16xf32>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'gdn.qk'}}
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots : (tensor<?x2x16xbf16>, tensor<?x2x8xbf16>, tensor<?x4x16xbf16>, tensor<?x4xbf16>, tensor<?x4xbf16>, tensor<4xf32>, tensor<4xf32>, tensor<?x4x16x16xf32>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x4x16xf32>, tensor<?x4x16x16xf32>)
  return
}

// -----

func.func @case89(%q: tensor<?x2x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x64xbf16>, %a: tensor<?x4xbf16>, %b: tensor<?x4xbf16>, %alog: tensor<4xf32>, %dtb: tensor<4xf32>, %s: tensor<?x4x16x16xf32>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'gdn.v'}}
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots : (tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x64xbf16>, tensor<?x4xbf16>, tensor<?x4xbf16>, tensor<4xf32>, tensor<4xf32>, tensor<?x4x16x16xf32>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x4x16xf32>, tensor<?x4x16x16xf32>)
  return
}

// -----

func.func @case90(%q: tensor<?x2x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x3x16xbf16>, %a: tensor<?x3xbf16>, %b: tensor<?x3xbf16>, %alog: tensor<3xf32>, %dtb: tensor<3xf32>, %s: tensor<?x3x16x16xf32>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'gdn.heads'}}
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots : (tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x3x16xbf16>, tensor<?x3xbf16>, tensor<?x3xbf16>, tensor<3xf32>, tensor<3xf32>, tensor<?x3x16x16xf32>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x3x16xf32>, tensor<?x3x16x16xf32>)
  return
}

// -----

func.func @case91(%q: tensor<?x2x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x4x16xbf16>, %a: tensor<?x4xbf16>, %b: tensor<?x2xbf16>, %alog: tensor<4xf32>, %dtb: tensor<4xf32>, %s: tensor<?x4x16x16xf32>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'gdn.gates'}}
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots : (tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x4x16xbf16>, tensor<?x4xbf16>, tensor<?x2xbf16>, tensor<4xf32>, tensor<4xf32>, tensor<?x4x16x16xf32>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x4x16xf32>, tensor<?x4x16x16xf32>)
  return
}

// -----

func.func @case92(%q: tensor<?x2x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x4x16xbf16>, %a: tensor<?x4xbf16>, %b: tensor<?x4xbf16>, %alog: tensor<2xf32>, %dtb: tensor<4xf32>, %s: tensor<?x4x16x16xf32>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'gdn.decay'}}
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots : (tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x4x16xbf16>, tensor<?x4xbf16>, tensor<?x4xbf16>, tensor<2xf32>, tensor<4xf32>, tensor<?x4x16x16xf32>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x4x16xf32>, tensor<?x4x16x16xf32>)
  return
}

// -----

func.func @case93(%q: tensor<?x2x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x4x16xbf16>, %a: tensor<?x4xbf16>, %b: tensor<?x4xbf16>, %alog: tensor<4xf32>, %dtb: tensor<4xf32>, %s: tensor<?x4x16x16xbf16>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'gdn.state'}}
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots : (tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x4x16xbf16>, tensor<?x4xbf16>, tensor<?x4xbf16>, tensor<4xf32>, tensor<4xf32>, tensor<?x4x16x16xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x4x16xf32>, tensor<?x4x16x16xbf16>)
  return
}

// -----

func.func @case94(%q: tensor<?x2x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x4x16xbf16>, %a: tensor<?x4xbf16>, %b: tensor<?x4xbf16>, %alog: tensor<4xf32>, %dtb: tensor<4xf32>, %s: tensor<?x4x16x8xf32>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'gdn.state'}}
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots : (tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x4x16xbf16>, tensor<?x4xbf16>, tensor<?x4xbf16>, tensor<4xf32>, tensor<4xf32>, tensor<?x4x16x8xf32>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x4x16xf32>, tensor<?x4x16x8xf32>)
  return
}

// -----

func.func @case95(%q: tensor<?x2x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x4x16xbf16>, %a: tensor<?x4xbf16>, %b: tensor<?x4xbf16>, %alog: tensor<4xf32>, %dtb: tensor<4xf32>, %s: tensor<?x4x16x16xf32>, %seq: tensor<?xf32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'gdn.metadata'}}
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots : (tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x4x16xbf16>, tensor<?x4xbf16>, tensor<?x4xbf16>, tensor<4xf32>, tensor<4xf32>, tensor<?x4x16x16xf32>, tensor<?xf32>, tensor<?xi32>) -> (tensor<?x4x16xf32>, tensor<?x4x16x16xf32>)
  return
}

// -----

func.func @case96(%q: tensor<?x2x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x4x16xbf16>, %a: tensor<?x4xbf16>, %b: tensor<?x4xbf16>, %alog: tensor<4xf32>, %dtb: tensor<4xf32>, %s: tensor<?x4x16x16xf32>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'gdn.result'}}
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots : (tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x4x16xbf16>, tensor<?x4xbf16>, tensor<?x4xbf16>, tensor<4xf32>, tensor<4xf32>, tensor<?x4x16x16xf32>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x4x8xf32>, tensor<?x4x16x16xf32>)
  return
}

// -----

func.func @case97(%q: tensor<?x2x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x4x16xbf16>, %a: tensor<?x4xbf16>, %b: tensor<?x4xbf16>, %alog: tensor<4xf32>, %dtb: tensor<4xf32>, %s: tensor<?x4x16x16xf32>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'gdn.scale'}}
  %o, %s1 = axe.gated_delta_rule %q, %k, %v, gates(%a, %b), decay(%alog, %dtb), state %s, seqs %seq, slots %slots {scale = -1.0 : f32} : (tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<?x4x16xbf16>, tensor<?x4xbf16>, tensor<?x4xbf16>, tensor<4xf32>, tensor<4xf32>, tensor<?x4x16x16xf32>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x4x16xf32>, tensor<?x4x16x16xf32>)
  return
}

// -----

func.func @case98(%l: tensor<?x8x2xf32>) {
  // expected-error@+1 {{rule 'route.logits'}}
  %i, %w = axe.moe_route %l {top_k = 2 : i64} : tensor<?x8x2xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @case99(%l: tensor<?x?xf32>) {
  // expected-error@+1 {{rule 'route.logits'}}
  %i, %w = axe.moe_route %l {top_k = 2 : i64} : tensor<?x?xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @case100(%l: tensor<?x8xf32>) {
  // expected-error@+1 {{rule 'route.top_k'}}
  %i, %w = axe.moe_route %l {top_k = 9 : i64} : tensor<?x8xf32> -> tensor<?x9xi32>, tensor<?x9xf32>
  return
}

// -----

func.func @case101(%l: tensor<?x8xf32>) {
  // expected-error@+1 {{rule 'route.top_k'}}
  %i, %w = axe.moe_route %l {top_k = 0 : i64} : tensor<?x8xf32> -> tensor<?x0xi32>, tensor<?x0xf32>
  return
}

// -----

func.func @case102(%l: tensor<?x8xf32>) {
  // expected-error@+1 {{rule 'route.result'}}
  %i, %w = axe.moe_route %l {top_k = 2 : i64, renormalize} : tensor<?x8xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  return
}

// -----

func.func @case103(%l: tensor<?x8xf32>) {
  // expected-error@+1 {{rule 'route.result'}}
  %i, %w = axe.moe_route %l {top_k = 2 : i64} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x3xf32>
  return
}

// -----

func.func @case104(%x: tensor<64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x32x64xbf16>, %dn: tensor<8x64x16xbf16>) {
  // expected-error@+1 {{rule 'experts.input'}}
  %r = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x32x64xbf16>, tensor<8x64x16xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case105(%x: tensor<?x64xbf16>, %i: tensor<?x2xi64>, %w: tensor<?x2xf32>, %gu: tensor<8x32x64xbf16>, %dn: tensor<8x64x16xbf16>) {
  // expected-error@+1 {{rule 'experts.routing'}}
  %r = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x64xbf16>, tensor<?x2xi64>, tensor<?x2xf32>, tensor<8x32x64xbf16>, tensor<8x64x16xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case106(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x3xf32>, %gu: tensor<8x32x64xbf16>, %dn: tensor<8x64x16xbf16>) {
  // expected-error@+1 {{rule 'experts.routing'}}
  %r = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x3xf32>, tensor<8x32x64xbf16>, tensor<8x64x16xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case107(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x31x64xbf16>, %dn: tensor<8x64x16xbf16>) {
  // expected-error@+1 {{rule 'experts.gate_up'}}
  %r = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x31x64xbf16>, tensor<8x64x16xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case108(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x32x32xbf16>, %dn: tensor<8x64x16xbf16>) {
  // expected-error@+1 {{rule 'experts.gate_up'}}
  %r = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x32x32xbf16>, tensor<8x64x16xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case109(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x32x64xbf16>, %dn: tensor<8x64x32xbf16>) {
  // expected-error@+1 {{rule 'experts.down'}}
  %r = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x32x64xbf16>, tensor<8x64x32xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case110(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x32x64xbf16>, %dn: tensor<4x64x16xbf16>) {
  // expected-error@+1 {{rule 'experts.down'}}
  %r = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x32x64xbf16>, tensor<4x64x16xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case111(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x32x64xbf16>, %dn: tensor<8x64x16xf8E4M3FN>) {
  // expected-error@+1 {{rule 'experts.dtype'}}
  %r = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x32x64xbf16>, tensor<8x64x16xf8E4M3FN>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case112(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x32x64xf8E4M3FN>, %dn: tensor<8x64x16xf8E4M3FN>) {
  // expected-error@+1 {{rule 'experts.scales'}}
  %r = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x32x64xf8E4M3FN>, tensor<8x64x16xf8E4M3FN>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case113(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x32x64xf8E4M3FN>, %sgu: tensor<8x16xf32>, %dn: tensor<8x64x16xf8E4M3FN>, %sdn: tensor<8x64xf32>) {
  // expected-error@+1 {{rule 'experts.scales'}}
  %r = axe.moe_experts %x, %i, %w, %gu scaled %sgu, %dn scaled %sdn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x32x64xf8E4M3FN>, tensor<8x16xf32>, tensor<8x64x16xf8E4M3FN>, tensor<8x64xf32>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case114(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x32x64xf8E4M3FN>, %sgu: tensor<8x32xf32>, %dn: tensor<8x64x16xf8E4M3FN>, %sdn: tensor<8x64xbf16>) {
  // expected-error@+1 {{rule 'experts.scales'}}
  %r = axe.moe_experts %x, %i, %w, %gu scaled %sgu, %dn scaled %sdn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x32x64xf8E4M3FN>, tensor<8x32xf32>, tensor<8x64x16xf8E4M3FN>, tensor<8x64xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case115(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x32x64xbf16>, %dn: tensor<8x64x16xbf16>) {
  // expected-error@+1 {{rule 'experts.result'}}
  %r = axe.moe_experts %x, %i, %w, %gu, %dn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x32x64xbf16>, tensor<8x64x16xbf16>) -> tensor<?x32xbf16>
  return
}

// -----

func.func @case116(%x: tensor<?x256xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<4x256x256xf8E4M3FN>, %sgu: tensor<4x2x2xf32>, %dn: tensor<4x256x128xf8E4M3FN>, %sdn: tensor<4x2x1xf32>) {
  // expected-error@+1 {{rule 'experts.weight_block'}}
  %r = axe.moe_experts %x, %i, %w, %gu scaled %sgu, %dn scaled %sdn {weight_block = array<i64: 128, 96>} : (tensor<?x256xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x256x256xf8E4M3FN>, tensor<4x2x2xf32>, tensor<4x256x128xf8E4M3FN>, tensor<4x2x1xf32>) -> tensor<?x256xbf16>
  return
}

// -----

func.func @case117(%x: tensor<?x256xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<4x256x256xf8E4M3FN>, %sgu: tensor<4x2x2xf32>, %dn: tensor<4x256x128xf8E4M3FN>, %sdn: tensor<4x2x1xf32>) {
  // expected-error@+1 {{rule 'experts.weight_block'}}
  %r = axe.moe_experts %x, %i, %w, %gu scaled %sgu, %dn scaled %sdn {weight_block = array<i64: 128>} : (tensor<?x256xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x256x256xf8E4M3FN>, tensor<4x2x2xf32>, tensor<4x256x128xf8E4M3FN>, tensor<4x2x1xf32>) -> tensor<?x256xbf16>
  return
}

// -----

func.func @case118(%x: tensor<?x256xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<4x256x256xf8E4M3FN>, %sgu: tensor<4x256xf32>, %dn: tensor<4x256x128xf8E4M3FN>, %sdn: tensor<4x2x1xf32>) {
  // expected-error@+1 {{rule 'experts.scales'}}
  %r = axe.moe_experts %x, %i, %w, %gu scaled %sgu, %dn scaled %sdn {weight_block = array<i64: 128, 128>} : (tensor<?x256xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x256x256xf8E4M3FN>, tensor<4x256xf32>, tensor<4x256x128xf8E4M3FN>, tensor<4x2x1xf32>) -> tensor<?x256xbf16>
  return
}

// -----

func.func @case119(%x: tensor<?x256xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<4x256x256xf8E4M3FN>, %sgu: tensor<4x2x2xf32>, %dn: tensor<4x256x128xf8E4M3FN>, %sdn: tensor<4x256xf32>) {
  // expected-error@+1 {{rule 'experts.scales'}}
  %r = axe.moe_experts %x, %i, %w, %gu scaled %sgu, %dn scaled %sdn {weight_block = array<i64: 128, 128>} : (tensor<?x256xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x256x256xf8E4M3FN>, tensor<4x2x2xf32>, tensor<4x256x128xf8E4M3FN>, tensor<4x256xf32>) -> tensor<?x256xbf16>
  return
}

// -----

func.func @case120(%x: tensor<?x64xbf16>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %gu: tensor<8x32x64xbf16>, %sgu: tensor<8x32xf32>, %dn: tensor<8x64x16xbf16>, %sdn: tensor<8x64xf32>) {
  // expected-error@+1 {{rule 'experts.scales'}}
  %r = axe.moe_experts %x, %i, %w, %gu scaled %sgu, %dn scaled %sdn : (tensor<?x64xbf16>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<8x32x64xbf16>, tensor<8x32xf32>, tensor<8x64x16xbf16>, tensor<8x64xf32>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @case121(%h: tensor<?x8xi8>, %w: tensor<100x8xbf16>, %r: tensor<?xi32>) {
  // expected-error@+1 {{rule 'logits.hidden'}}
  %0 = axe.logits %h, %w, rows %r : tensor<?x8xi8>, tensor<100x8xbf16>, tensor<?xi32> -> tensor<?x100xf32>
  return
}

// -----

func.func @case122(%h: tensor<?x8xbf16>, %w: tensor<100x16xbf16>, %r: tensor<?xi32>) {
  // expected-error@+1 {{rule 'logits.weight'}}
  %0 = axe.logits %h, %w, rows %r : tensor<?x8xbf16>, tensor<100x16xbf16>, tensor<?xi32> -> tensor<?x100xf32>
  return
}

// -----

func.func @case123(%h: tensor<?x8xbf16>, %w: tensor<100x8xbf16>, %r: tensor<?x1xi32>) {
  // expected-error@+1 {{rule 'logits.rows'}}
  %0 = axe.logits %h, %w, rows %r : tensor<?x8xbf16>, tensor<100x8xbf16>, tensor<?x1xi32> -> tensor<?x100xf32>
  return
}

// -----

func.func @case124(%h: tensor<?x8xbf16>, %w: tensor<100x8xbf16>, %r: tensor<?xi32>) {
  // expected-error@+1 {{rule 'logits.result'}}
  %0 = axe.logits %h, %w, rows %r : tensor<?x8xbf16>, tensor<100x8xbf16>, tensor<?xi32> -> tensor<?x100xbf16>
  return
}

// -----

func.func @case125(%h: tensor<?x8xbf16>, %w: tensor<100x8xbf16>, %r: tensor<3xi32>) {
  // expected-error@+1 {{rule 'logits.result'}}
  %0 = axe.logits %h, %w, rows %r : tensor<?x8xbf16>, tensor<100x8xbf16>, tensor<3xi32> -> tensor<4x100xf32>
  return
}

// -----

// The state before an in-place update cannot be read after it: its buffer holds the new state.
func.func @state_used_after_update(%x: tensor<?x64xbf16>, %w: tensor<64x1x4xbf16>, %st: tensor<?x3x64xbf16>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) -> tensor<?x3x64xbf16> {
  // expected-error@+1 {{rule 'state.used_after_update'}}
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xbf16>, tensor<64x1x4xbf16>, tensor<?x3x64xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x64xbf16>, tensor<?x3x64xbf16>)
  return %st : tensor<?x3x64xbf16>
}

// -----

func.func @state_updated_twice(%x: tensor<?x64xbf16>, %w: tensor<64x1x4xbf16>, %st: tensor<?x3x64xbf16>, %seq: tensor<?xi32>, %slots: tensor<?xi32>) {
  // expected-error@+1 {{rule 'state.updated_twice'}}
  %y, %st1 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xbf16>, tensor<64x1x4xbf16>, tensor<?x3x64xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x64xbf16>, tensor<?x3x64xbf16>)
  %y2, %st2 = axe.causal_conv1d %x, %w, state %st, seqs %seq, slots %slots : (tensor<?x64xbf16>, tensor<64x1x4xbf16>, tensor<?x3x64xbf16>, tensor<?xi32>, tensor<?xi32>) -> (tensor<?x64xbf16>, tensor<?x3x64xbf16>)
  return
}

// -----

func.func @one_cache_for_k_and_v(%q: tensor<?x16x256xbf16>, %k: tensor<?x2x256xbf16>, %v: tensor<?x2x256xbf16>,
                                 %g: tensor<?x16x256xbf16>, %kc: tensor<?x16x2x256xbf16>,
                                 %pos: tensor<?xi32>, %seq: tensor<?xi32>, %bt: tensor<?x?xi32>) {
  // expected-error@+1 {{rule 'state.updated_twice'}}
  %o, %kc1, %vc1 = axe.gated_attention %q, %k, %v, gate %g, cache(%kc, %kc), positions %pos, seqs %seq, blocks %bt
    : (tensor<?x16x256xbf16>, tensor<?x2x256xbf16>, tensor<?x2x256xbf16>, tensor<?x16x256xbf16>,
       tensor<?x16x2x256xbf16>, tensor<?x16x2x256xbf16>, tensor<?xi32>, tensor<?xi32>, tensor<?x?xi32>)
    -> (tensor<?x4096xbf16>, tensor<?x16x2x256xbf16>, tensor<?x16x2x256xbf16>)
  return
}

// -----

// axe.dims names one symbol of the step per dynamic dimension.
// expected-error@+1 {{rule 'step.dims'}}
func.func @dims_count(%bt: tensor<?x?xi32> {axe.dims = ["S"]}) {
  return
}

// -----

// expected-error@+1 {{rule 'step.dims'}}
func.func @dims_symbol(%ids: tensor<?xi32> {axe.dims = ["Q"]}) {
  return
}

// -----

// expected-error@+1 {{rule 'step.value'}}
func.func @step_value_kind(%ids: tensor<?xi32> {axe.step_value = "input"}) {
  return
}

// -----

// The dispatch-level step program: a buffer's dynamic dimensions are sized by step symbols.
func.func @buffer_dims(%n: index) {
  // expected-error@+1 {{rule 'buffer.dims'}}
  %b = axe.buffer <temp> "t0"(%n) : memref<?x64xbf16>
  return
}

// -----

func.func @buffer_dims_count() {
  // expected-error@+1 {{rule 'buffer.dims'}}
  %b = axe.buffer <temp> "t0" : memref<?x64xbf16>
  return
}

// -----

func.func @buffer_layout() {
  // expected-error@+1 {{rule 'buffer.layout'}}
  %b = axe.buffer <weight> "w" : memref<64xbf16, strided<[2]>>
  return
}

// -----

module {
  module @kernels {
    func.func @k0(%x: memref<?x64xbf16, strided<[?, 1], offset: ?>>, %b: index, %e: index) {
      return
    }
  }
  func.func @forward_step() {
    %T = axe.step_symbol <T>
    %x = axe.buffer <temp> "t0"(%T) : memref<?x64xbf16>
    // expected-error@+1 {{rule 'dispatch.kernel': no kernel function @kernels::@k1}}
    axe.dispatch @kernels::@k1(%x) workgroups(%T) : memref<?x64xbf16>
    return
  }
}

// -----

module {
  module @kernels {
    func.func @k0(%x: memref<?x64xbf16, strided<[?, 1], offset: ?>>, %b: index, %e: index) {
      return
    }
  }
  func.func @forward_step() {
    %T = axe.step_symbol <T>
    %x = axe.buffer <temp> "t0"(%T) : memref<?x64xbf16>
    // expected-error@+1 {{rule 'dispatch.kernel'}}
    axe.dispatch @kernels::@k0(%x) scalars(%T) workgroups(%T) : memref<?x64xbf16>
    return
  }
}

// -----

module {
  module @kernels {
    func.func @k0(%x: memref<?x64xbf16, strided<[?, 1], offset: ?>>, %b: index, %e: index) {
      return
    }
  }
  func.func @forward_step() {
    %T = axe.step_symbol <T>
    %x = axe.buffer <temp> "t0"(%T) : memref<?x32xbf16>
    // expected-error@+1 {{rule 'dispatch.view': view #0 of type 'memref<?x32xbf16>'}}
    axe.dispatch @kernels::@k0(%x) workgroups(%T) : memref<?x32xbf16>
    return
  }
}

// -----

module {
  module @kernels {
    func.func @k0(%x: memref<?x64xbf16, strided<[?, 1], offset: ?>>, %b: index, %e: index) {
      return
    }
  }
  func.func @forward_step() {
    %T = axe.step_symbol <T>
    %x = axe.buffer <temp> "t0"(%T) : memref<?x64xf32>
    // expected-error@+1 {{rule 'dispatch.view'}}
    axe.dispatch @kernels::@k0(%x) workgroups(%T) : memref<?x64xf32>
    return
  }
}

// -----

// A kernel compiled for a unit innermost stride never gets a view with another.
module {
  module @kernels {
    func.func @k0(%x: memref<?x32xbf16, strided<[?, 1], offset: ?>>, %b: index, %e: index) {
      return
    }
  }
  func.func @forward_step() {
    %T = axe.step_symbol <T>
    %x = axe.buffer <temp> "t0"(%T) : memref<?x64xbf16>
    %v = memref.reinterpret_cast %x to offset: [0], sizes: [%T, 32], strides: [64, 2]
        : memref<?x64xbf16> to memref<?x32xbf16, strided<[64, 2]>>
    // expected-error@+1 {{rule 'dispatch.view': view #0 of type 'memref<?x32xbf16, strided<[64, 2]>>'}}
    axe.dispatch @kernels::@k0(%v) workgroups(%T) : memref<?x32xbf16, strided<[64, 2]>>
    return
  }
}

// -----

func.func @view_of_no_buffer(%m: memref<?x64xbf16>) {
  %T = axe.step_symbol <T>
  // expected-error@+1 {{rule 'dispatch.view': view #0 is neither an axe.buffer nor a memref.reinterpret_cast of one}}
  axe.dispatch @kernels::@k0(%m) workgroups(%T) : memref<?x64xbf16>
  return
}

// -----

func.func @workgroups_from_nowhere(%n: index) {
  %T = axe.step_symbol <T>
  %x = axe.buffer <temp> "t0"(%T) : memref<?x64xbf16>
  // expected-error@+1 {{rule 'dispatch.size'}}
  axe.dispatch @kernels::@k0(%x) workgroups(%n) : memref<?x64xbf16>
  return
}

// -----

func.func @case124_fp8_no_scale(%h: tensor<?x8xbf16>, %w: tensor<100x8xf8E4M3FN>, %r: tensor<?xi32>) {
  // expected-error@+1 {{rule 'logits.scale': an f8E4M3FN head needs its scales}}
  %0 = axe.logits %h, %w, rows %r : tensor<?x8xbf16>, tensor<100x8xf8E4M3FN>, tensor<?xi32> -> tensor<?x100xf32>
  return
}

// -----

func.func @case124_scale_on_float(%h: tensor<?x8xbf16>, %w: tensor<100x8xbf16>, %s: tensor<100xf32>, %r: tensor<?xi32>) {
  // expected-error@+1 {{rule 'logits.scale': scales go only with an f8E4M3FN head}}
  %0 = axe.logits %h, %w scale %s, rows %r : tensor<?x8xbf16>, tensor<100x8xbf16> scale tensor<100xf32>, tensor<?xi32> -> tensor<?x100xf32>
  return
}

// -----

func.func @case124_scale_shape(%h: tensor<?x8xbf16>, %w: tensor<100x8xf8E4M3FN>, %s: tensor<99xf32>, %r: tensor<?xi32>) {
  // expected-error@+1 {{rule 'logits.scale': scales must be f32 [V] or [ceil(V/128), D/128]}}
  %0 = axe.logits %h, %w scale %s, rows %r : tensor<?x8xbf16>, tensor<100x8xf8E4M3FN> scale tensor<99xf32>, tensor<?xi32> -> tensor<?x100xf32>
  return
}

// -----

func.func @case124_block_needs_d128(%h: tensor<?x8xbf16>, %w: tensor<100x8xf8E4M3FN>, %s: tensor<1x1xf32>, %r: tensor<?xi32>) {
  // expected-error@+1 {{rule 'logits.scale'}}
  %0 = axe.logits %h, %w scale %s, rows %r : tensor<?x8xbf16>, tensor<100x8xf8E4M3FN> scale tensor<1x1xf32>, tensor<?xi32> -> tensor<?x100xf32>
  return
}
