// axe-fuse-quant-gemm: each pattern, and the cases where it must not fire.
// RUN: axe-opt %s --split-input-file --axe-fuse-quant-gemm | FileCheck %s

// quantize → linear → dequantize with one quantization → fp8_linear; the quantization is used
// by this linear alone and x comes from no fusable producer, so it folds into the prologue.
// CHECK-LABEL: func.func @linear_dequantize
// CHECK-SAME: (%[[X:.+]]: tensor<?x64xbf16>
// CHECK: %[[Y:.+]] = axe.fp8_linear %[[X]], %{{.+}}, %{{.+}} {role = #axe.role<attn_o>} : (tensor<?x64xbf16>, tensor<32x64xf8E4M3FN>, tensor<32xf32>) -> tensor<?x32xbf16>
// CHECK-NEXT: return %[[Y]]
func.func @linear_dequantize(%x: tensor<?x64xbf16>, %w: tensor<32x64xf8E4M3FN>, %ws: tensor<32xf32>) -> tensor<?x32xbf16> {
  %q, %s = axe.quantize %x : tensor<?x64xbf16> -> tensor<?x64xf8E4M3FN>, tensor<?xf32>
  %acc = axe.linear %q, %w {role = #axe.role<attn_o>} : tensor<?x64xf8E4M3FN>, tensor<32x64xf8E4M3FN> -> tensor<?x32xf32>
  %y = axe.dequantize %acc, %s, %ws : tensor<?x32xf32>, tensor<?xf32>, tensor<32xf32> -> tensor<?x32xbf16>
  return %y : tensor<?x32xbf16>
}

// -----

// One quantization shared by two FP8 linears stays shared: both take it pre-quantized.
// CHECK-LABEL: func.func @shared_quantization
// CHECK-SAME: (%[[X:.+]]: tensor<?x64xbf16>
// CHECK: %[[Q:.+]], %[[S:.+]] = axe.quantize %[[X]]
// CHECK: axe.fp8_linear %[[Q]] scaled %[[S]], %arg1, %arg2
// CHECK: axe.fp8_linear %[[Q]] scaled %[[S]], %arg3, %arg4
func.func @shared_quantization(%x: tensor<?x64xbf16>, %w1: tensor<32x64xf8E4M3FN>, %s1: tensor<32xf32>,
                               %w2: tensor<16x64xf8E4M3FN>, %s2: tensor<16xf32>) -> (tensor<?x32xbf16>, tensor<?x16xbf16>) {
  %q, %s = axe.quantize %x : tensor<?x64xbf16> -> tensor<?x64xf8E4M3FN>, tensor<?xf32>
  %a1 = axe.linear %q, %w1 {role = #axe.role<attn_q>} : tensor<?x64xf8E4M3FN>, tensor<32x64xf8E4M3FN> -> tensor<?x32xf32>
  %y1 = axe.dequantize %a1, %s, %s1 : tensor<?x32xf32>, tensor<?xf32>, tensor<32xf32> -> tensor<?x32xbf16>
  %a2 = axe.linear %q, %w2 {role = #axe.role<attn_k>} : tensor<?x64xf8E4M3FN>, tensor<16x64xf8E4M3FN> -> tensor<?x16xf32>
  %y2 = axe.dequantize %a2, %s, %s2 : tensor<?x16xf32>, tensor<?xf32>, tensor<16xf32> -> tensor<?x16xbf16>
  return %y1, %y2 : tensor<?x32xbf16>, tensor<?x16xbf16>
}

// -----

// rms_norm → quantize → FP8 linears: the quantization moves into the norm's epilogue.
// CHECK-LABEL: func.func @norm_prologue
// CHECK: %[[Q:.+]], %[[S:.+]] = axe.rms_norm_quantize %arg0, %arg1 {eps = 9.99999997E-7 : f32, zero_centered} : tensor<?x64xbf16>, tensor<64xbf16> -> tensor<?x64xf8E4M3FN>, tensor<?xf32>
// CHECK: axe.fp8_linear %[[Q]] scaled %[[S]]
// CHECK-NOT: axe.rms_norm %
func.func @norm_prologue(%x: tensor<?x64xbf16>, %w: tensor<64xbf16>, %wq: tensor<32x64xf8E4M3FN>, %sq: tensor<32xf32>) -> tensor<?x32xbf16> {
  %n = axe.rms_norm %x, %w {eps = 1.0e-6 : f32, zero_centered} : tensor<?x64xbf16>, tensor<64xbf16> -> tensor<?x64xbf16>
  %q, %s = axe.quantize %n : tensor<?x64xbf16> -> tensor<?x64xf8E4M3FN>, tensor<?xf32>
  %a = axe.linear %q, %wq {role = #axe.role<attn_q>} : tensor<?x64xf8E4M3FN>, tensor<32x64xf8E4M3FN> -> tensor<?x32xf32>
  %y = axe.dequantize %a, %s, %sq : tensor<?x32xf32>, tensor<?xf32>, tensor<32xf32> -> tensor<?x32xbf16>
  return %y : tensor<?x32xbf16>
}

// -----

// silu_mul → quantize → FP8 linear: the quantization moves into the SwiGLU.
// CHECK-LABEL: func.func @swiglu_prologue
// CHECK: %[[Q:.+]], %[[S:.+]] = axe.silu_mul_quantize %arg0, %arg1 : tensor<?x32xbf16>, tensor<?x32xbf16> -> tensor<?x32xf8E4M3FN>, tensor<?xf32>
// CHECK: axe.fp8_linear %[[Q]] scaled %[[S]], {{.+}} {role = #axe.role<shared_down>}
func.func @swiglu_prologue(%g: tensor<?x32xbf16>, %u: tensor<?x32xbf16>, %w: tensor<64x32xf8E4M3FN>, %ws: tensor<64xf32>) -> tensor<?x64xbf16> {
  %h = axe.silu_mul %g, %u : tensor<?x32xbf16>, tensor<?x32xbf16> -> tensor<?x32xbf16>
  %q, %s = axe.quantize %h : tensor<?x32xbf16> -> tensor<?x32xf8E4M3FN>, tensor<?xf32>
  %a = axe.linear %q, %w {role = #axe.role<shared_down>} : tensor<?x32xf8E4M3FN>, tensor<64x32xf8E4M3FN> -> tensor<?x64xf32>
  %y = axe.dequantize %a, %s, %ws : tensor<?x64xf32>, tensor<?xf32>, tensor<64xf32> -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}

// -----

// Negative: the norm's bf16 output is also used elsewhere (a BF16 router): no epilogue fusion;
// the quantization serves one linear, so it goes into that linear's prologue instead.
// CHECK-LABEL: func.func @norm_used_twice
// CHECK: %[[N:.+]] = axe.rms_norm %arg0
// CHECK-NEXT: axe.fp8_linear %[[N]], %arg2, %arg3 {role = #axe.role<attn_q>} : (tensor<?x64xbf16>,
// CHECK-NOT: axe.rms_norm_quantize
func.func @norm_used_twice(%x: tensor<?x64xbf16>, %w: tensor<64xbf16>, %wq: tensor<32x64xf8E4M3FN>, %sq: tensor<32xf32>, %wr: tensor<8x64xbf16>) -> (tensor<?x32xbf16>, tensor<?x8xf32>) {
  %n = axe.rms_norm %x, %w {eps = 1.0e-6 : f32, zero_centered} : tensor<?x64xbf16>, tensor<64xbf16> -> tensor<?x64xbf16>
  %q, %s = axe.quantize %n : tensor<?x64xbf16> -> tensor<?x64xf8E4M3FN>, tensor<?xf32>
  %a = axe.linear %q, %wq {role = #axe.role<attn_q>} : tensor<?x64xf8E4M3FN>, tensor<32x64xf8E4M3FN> -> tensor<?x32xf32>
  %y = axe.dequantize %a, %s, %sq : tensor<?x32xf32>, tensor<?xf32>, tensor<32xf32> -> tensor<?x32xbf16>
  %r = axe.linear %n, %wr {role = #axe.role<router>} : tensor<?x64xbf16>, tensor<8x64xbf16> -> tensor<?x8xf32>
  return %y, %r : tensor<?x32xbf16>, tensor<?x8xf32>
}

// -----

// Negative: the dequantization's token scales belong to another quantization than the matmul's
// input: no fusion.
// CHECK-LABEL: func.func @mismatched_scales
// CHECK: axe.linear
// CHECK: axe.dequantize
// CHECK-NOT: axe.fp8_linear
func.func @mismatched_scales(%x: tensor<?x64xbf16>, %x2: tensor<?x64xbf16>, %w: tensor<32x64xf8E4M3FN>, %ws: tensor<32xf32>) -> (tensor<?x32xbf16>, tensor<?x64xf8E4M3FN>) {
  %q, %s = axe.quantize %x : tensor<?x64xbf16> -> tensor<?x64xf8E4M3FN>, tensor<?xf32>
  %q2, %s2 = axe.quantize %x2 : tensor<?x64xbf16> -> tensor<?x64xf8E4M3FN>, tensor<?xf32>
  %acc = axe.linear %q, %w {role = #axe.role<attn_o>} : tensor<?x64xf8E4M3FN>, tensor<32x64xf8E4M3FN> -> tensor<?x32xf32>
  %y = axe.dequantize %acc, %s2, %ws : tensor<?x32xf32>, tensor<?xf32>, tensor<32xf32> -> tensor<?x32xbf16>
  return %y, %q2 : tensor<?x32xbf16>, tensor<?x64xf8E4M3FN>
}

// -----

// Negative: the f32 accumulator has a second use: the matmul must stay.
// CHECK-LABEL: func.func @accumulator_used_twice
// CHECK: axe.linear
// CHECK: axe.dequantize
// CHECK-NOT: axe.fp8_linear
func.func @accumulator_used_twice(%x: tensor<?x64xbf16>, %w: tensor<32x64xf8E4M3FN>, %ws: tensor<32xf32>) -> (tensor<?x32xbf16>, tensor<?x32xf32>) {
  %q, %s = axe.quantize %x : tensor<?x64xbf16> -> tensor<?x64xf8E4M3FN>, tensor<?xf32>
  %acc = axe.linear %q, %w {role = #axe.role<attn_o>} : tensor<?x64xf8E4M3FN>, tensor<32x64xf8E4M3FN> -> tensor<?x32xf32>
  %y = axe.dequantize %acc, %s, %ws : tensor<?x32xf32>, tensor<?xf32>, tensor<32xf32> -> tensor<?x32xbf16>
  return %y, %acc : tensor<?x32xbf16>, tensor<?x32xf32>
}

// -----

// Negative: a 1x128-group quantization is not the per-token form the epilogue fusion makes.
// CHECK-LABEL: func.func @group_quantization
// CHECK: axe.rms_norm %arg0
// CHECK: axe.quantize {{.+}} {group_size = 128 : i64}
// CHECK-NOT: axe.rms_norm_quantize
func.func @group_quantization(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32>) {
  %n = axe.rms_norm %x, %w {eps = 1.0e-6 : f32, zero_centered} : tensor<?x256xbf16>, tensor<256xbf16> -> tensor<?x256xbf16>
  %q, %s = axe.quantize %n {group_size = 128 : i64} : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?x2xf32>
}
