// An FP8 lm_head is weight-only: its FP8 values and scales replace the float head, the hidden rows
// are not quantized. A head tied to the embedding is refused (the table stays BF16 for the lookup).
// RUN: axe-opt %s --split-input-file --axe-assign-precision=policy=%S/Inputs/fp8-lm-head-policy.json --axe-quantize --verify-diagnostics | FileCheck %s --check-prefix=CHANNEL
// RUN: axe-opt %s --split-input-file --axe-assign-precision=policy=%S/Inputs/fp8-lm-head-policy.json --axe-quantize=scheme=block --verify-diagnostics | FileCheck %s --check-prefix=BLOCK

func.func @head(%h: tensor<?x256xbf16>, %rows: tensor<?xi32>) -> tensor<?x300xf32> {
  %w = axe.param "lm_head.weight" : tensor<300x256xbf16>
  %l = axe.logits %h, %w, rows %rows : tensor<?x256xbf16>, tensor<300x256xbf16>, tensor<?xi32> -> tensor<?x300xf32>
  return %l : tensor<?x300xf32>
}
// CHANNEL-LABEL: func.func @head
// CHANNEL-SAME: (%[[H:.+]]: tensor<?x256xbf16>, %[[R:.+]]: tensor<?xi32>)
// CHANNEL-NOT: axe.quantize
// CHANNEL-DAG: %[[W:.+]] = axe.param "lm_head.weight" encoding <fp8_channel> : tensor<300x256xf8E4M3FN>
// CHANNEL-DAG: %[[S:.+]] = axe.param "lm_head.weight" encoding <fp8_channel_scale> : tensor<300xf32>
// CHANNEL: axe.logits %[[H]], %[[W]] scale %[[S]], rows %[[R]] {axe.precision = #axe.precision<fp8>{{.*}}} : tensor<?x256xbf16>, tensor<300x256xf8E4M3FN> scale tensor<300xf32>, tensor<?xi32> -> tensor<?x300xf32>
// CHANNEL-NOT: tensor<300x256xbf16>

// BLOCK-LABEL: func.func @head
// BLOCK-DAG: axe.param "lm_head.weight" encoding <fp8_block_scale> : tensor<3x2xf32>
// BLOCK: axe.logits %{{.+}}, %{{.+}} scale %{{.+}}, rows %{{.+}} {{.+}} tensor<300x256xf8E4M3FN> scale tensor<3x2xf32>

// -----

func.func @tied(%ids: tensor<?xi32>, %rows: tensor<?xi32>) -> tensor<?x300xf32> {
  %emb = axe.param "model.embed_tokens.weight" : tensor<300x256xbf16>
  %h = axe.embed %ids, %emb : tensor<?xi32>, tensor<300x256xbf16> -> tensor<?x256xbf16>
  // expected-error@+1 {{rule 'precision.supported': FP8 is not supported for a lm_head tied to the embedding ('model.embed_tokens.weight', fp8-lm-head rule 1)}}
  %l = axe.logits %h, %emb, rows %rows : tensor<?x256xbf16>, tensor<300x256xbf16>, tensor<?xi32> -> tensor<?x300xf32>
  return %l : tensor<?x300xf32>
}
