// --axe-precision-pipeline: the precision passes in axe-compile's order with its options (policy,
// scheme), so this test sees what axe-compile does to a model.
// RUN: axe-opt %s --axe-precision-pipeline | FileCheck %s --check-prefix=CHANNEL
// RUN: axe-opt %s --axe-precision-pipeline="scheme=block" | FileCheck %s --check-prefix=BLOCK
// RUN: axe-opt %s --axe-precision-pipeline="policy=bf16" | FileCheck %s --check-prefix=BF16
// RUN: not axe-opt %s --axe-precision-pipeline="scheme=row" 2>&1 | FileCheck %s --check-prefix=BAD

// CHANNEL: axe.fp8_linear %arg0, %{{.+}}, %{{.+}} {axe.precision = #axe.precision<fp8>, {{.+}}, role = #axe.role<attn_o>} : (tensor<?x256xbf16>, tensor<256x256xf8E4M3FN>, tensor<256xf32>) -> tensor<?x256xbf16>
// BLOCK: axe.fp8_linear %arg0, %{{.+}}, %{{.+}} {axe.precision = #axe.precision<fp8>, {{.+}}, role = #axe.role<attn_o>, weight_block = array<i64: 128, 128>} : (tensor<?x256xbf16>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32>) -> tensor<?x256xbf16>
// BF16: axe.linear %arg0, %{{.+}} {axe.precision = #axe.precision<bf16>, {{.+}}, role = #axe.role<attn_o>} : tensor<?x256xbf16>, tensor<256x256xbf16> -> tensor<?x256xbf16>
// BAD: Cannot find option named 'row'
func.func @attn_o(%x: tensor<?x256xbf16>) -> tensor<?x256xbf16> {
  %w = axe.param "model.layers.3.self_attn.o_proj.weight" : tensor<256x256xbf16>
  %y = axe.linear %x, %w {role = #axe.role<attn_o>} : tensor<?x256xbf16>, tensor<256x256xbf16> -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}
