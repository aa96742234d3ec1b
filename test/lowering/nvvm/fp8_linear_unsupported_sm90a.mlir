// sm_90a, but linears the FP8 tensor-core kernel does not take: each is an error naming the op.
// RUN: axe-opt %s --split-input-file --axe-lower-fp8-linear-to-nvvm="chip=sm_90a" --verify-diagnostics

func.func @block_scaled(%x: tensor<?x2048xbf16>) -> tensor<?x512xbf16> {
  %w = axe.param "k_proj.weight" encoding <fp8_block> : tensor<512x2048xf8E4M3FN>
  %s = axe.param "k_proj.weight" encoding <fp8_block_scale> : tensor<4x16xf32>
  // expected-error@+1 {{rule 'nvvm.fp8_scheme': block-scaled FP8 (weight_block) has no sm_90a kernel yet}}
  %y = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_k>, weight_block = array<i64: 128, 128>} : (tensor<?x2048xbf16>, tensor<512x2048xf8E4M3FN>, tensor<4x16xf32>) -> tensor<?x512xbf16>
  return %y : tensor<?x512xbf16>
}

// -----

func.func @untiled(%x: tensor<?x64xbf16>) -> tensor<?x32xbf16> {
  %w = axe.param "tiny.weight" encoding <fp8_channel> : tensor<32x64xf8E4M3FN>
  %s = axe.param "tiny.weight" encoding <fp8_channel_scale> : tensor<32xf32>
  // expected-error@+1 {{rule 'nvvm.fp8_tile': the sm_90a FP8 GEMM tiles N by 128 and K by 128; this linear is 32 x 64 (no FP8 tensor-core kernel for it)}}
  %y = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_o>} : (tensor<?x64xbf16>, tensor<32x64xf8E4M3FN>, tensor<32xf32>) -> tensor<?x32xbf16>
  return %y : tensor<?x32xbf16>
}
