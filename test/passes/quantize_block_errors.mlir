// axe-quantize=scheme=block needs K to be a multiple of 128 (1x128 activation groups).
// RUN: axe-opt %s --axe-assign-precision --axe-quantize=scheme=block --verify-diagnostics
func.func @small_k(%x: tensor<?x64xbf16>) -> tensor<?x64xbf16> {
  %wq = axe.param "model.layers.3.self_attn.q_proj.weight" : tensor<64x64xbf16>
  // expected-error@+1 {{rule 'quantize.block_k': the block scheme quantizes activations in 1x128 groups, but K = 64 is not a multiple of 128}}
  %q = axe.linear %x, %wq {role = #axe.role<attn_q>} : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
  return %q : tensor<?x64xbf16>
}
