// axe-assign-precision: FP8 stored by the checkpoint stays FP8, with a warning.
// RUN: axe-opt %s --split-input-file --axe-assign-precision=policy=bf16 --verify-diagnostics | FileCheck %s
// CHECK-LABEL: func.func @stored_fp8
// CHECK: axe.fp8_linear {{.+}} {axe.precision = #axe.precision<fp8>, axe.precision_rule = "checkpoint stores FP8 (kept as stored)", role = #axe.role<attn_o>}
func.func @stored_fp8(%x: tensor<?x64xbf16>) -> tensor<?x64xbf16> {
  %w = axe.param "model.layers.3.self_attn.o_proj.weight" : tensor<64x64xf8E4M3FN>
  %s = axe.param "model.layers.3.self_attn.o_proj.weight_scale" : tensor<64xf32>
  // expected-warning@+1 {{'model.layers.3.self_attn.o_proj.weight' is stored in FP8 by the checkpoint; kept FP8 although the policy asks bf16}}
  %y = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_o>} : (tensor<?x64xbf16>, tensor<64x64xf8E4M3FN>, tensor<64xf32>) -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}

