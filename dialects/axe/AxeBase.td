//===- AxeBase.td - the axe dialect and its op base class ----*- tablegen -*-===//
//
// The axe dialect: one op per concept of the Qwen3.5-MoE forward step.
//
//===----------------------------------------------------------------------===//

#ifndef AXE_BASE_TD
#define AXE_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Axe_Dialect : Dialect {
  let name = "axe";
  let cppNamespace = "::mlir::axe";
  let summary = "Graph-level ops of a Qwen3.5-MoE forward step with an FP8/BF16 precision map.";
  let description = [{
    `axe` is the dialect the importer writes and the precision and fusion passes rewrite. It sits
    between a Hugging Face checkpoint and the kernels ("dispatches") of the CPU and NVVM targets:

    ```
    checkpoint --import--> axe (bf16/f32) --assign-precision/quantize/fuse--> axe (fp8 + bf16)
               --lowering--> kernels in scf/vector/memref (cpu) | gpu/nvgpu/nvvm (sm_90a) --> artifact
    ```

    Design rules (see dialects/axe/Rationale.md):

    * One op per concept of the model spec (shared/spec/qwen3_5_moe.md §3): embedding, the two
      RMSNorm variants, linear, RoPE, gated attention, causal conv1d, gated delta rule, MoE routing,
      grouped experts, SwiGLU, sigmoid gating, logits. Lowering decides how each becomes kernels.
    * Precision lives in element types (`bf16`, `f8E4M3FN`, `f32`); scales are explicit operands.
    * Weights are `axe.param` ops naming checkpoint tensors, never IR constants.
    * The token dimension is dynamic (`?`); shapes that the model fixes are static and checked.
    * Caches and recurrent state are values: an op that updates state takes the old state and
      returns the new one; dispatch formation places the new value in the old one's buffer (an
      in-place update, checked when the step returns its states).
    * Every verifier rule has a name (`linear.k_match`), used in its error message and in the tests.
  }];
  let useDefaultAttributePrinterParser = 1;
  // axe.step_value and axe.dims on the step function's arguments and results.
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect"];
}

class Axe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Axe_Dialect, mnemonic, !listconcat(traits, [Pure])> {
  // Every op checks its spec rules in AxeOps.cpp.
  let hasVerifier = 1;
}

#endif // AXE_BASE_TD
