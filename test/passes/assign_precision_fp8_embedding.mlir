// axe-assign-precision: FP8 is refused where axe has no FP8 kernel (the embedding lookup).
// RUN: axe-opt %s --split-input-file --axe-assign-precision=policy=%S/Inputs/fp8-embedding-policy.json --verify-diagnostics
func.func @fp8_embedding(%ids: tensor<?xi32>) -> tensor<?x64xbf16> {
  %emb = axe.param "model.embed_tokens.weight" : tensor<100x64xbf16>
  // expected-error@+1 {{rule 'precision.supported': FP8 is not supported for the embedding ('model.embed_tokens.weight', fp8-embedding rule 1)}}
  %h = axe.embed %ids, %emb : tensor<?xi32>, tensor<100x64xbf16> -> tensor<?x64xbf16>
  return %h : tensor<?x64xbf16>
}

