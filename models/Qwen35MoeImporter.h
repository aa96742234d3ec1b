//===- Qwen35MoeImporter.h - checkpoint → axe IR --------------*- C++ -*-===//
//
// Writes the axe IR of one forward step of the Qwen3.5-MoE text model (spec §3) over a flat
// batch of T tokens from S sequences:
//
//   func.func @forward_step(token_ids[T], positions[T], seq_ids[T], logit_rows[R],
//                           block_table[S, M], state_slots[S],
//                           per full-attention layer: k_cache, v_cache [blocks, B, Hkv, d],
//                           per linear-attention layer: conv_state [P, K-1, C],
//                                                       recurrent_state [P, Hv, dk, dv] f32)
//       -> (logits[R, V] f32, the updated caches and states in argument order)
//
// Every argument and result carries `axe.name`. Weights are `axe.param` ops bound to checkpoint
// names; per-expert layouts become params with `parts`; pre-quantized checkpoints (spec §5)
// become FP8 params with their scales, used by `axe.fp8_linear` / FP8 `axe.moe_experts`.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_MODELS_QWEN35MOEIMPORTER_H
#define AXE_MODELS_QWEN35MOEIMPORTER_H

#include "models/ModelConfig.h"
#include "support/Safetensors.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace axe {

struct ImportOptions {
  int64_t kvBlockSize = 16; // tokens per KV-cache block
  bool kvCacheFp8 = false;  // f8E4M3FN KV cache instead of bf16
};

// Builds the module. `checkpoint` may be null: then tensor names follow the config's packaging
// and weights are assumed bf16 (for --config-only). A checkpoint that lacks a tensor or whose
// shapes or types disagree with the config gives an error diagnostic (naming the file and the
// tensor) and a null module.
mlir::OwningOpRef<mlir::ModuleOp> importQwen35Moe(mlir::MLIRContext &context,
                                                  const ModelConfig &config,
                                                  const Checkpoint *checkpoint,
                                                  const ImportOptions &options);

// The checkpoint's tensors that no axe.param of `module` reads, sorted, except those axe knows
// and skips on purpose: the MTP head (`mtp.*`) and the vision tower (`model.visual.*`).
std::vector<std::string> unknownTensors(mlir::ModuleOp module, const Checkpoint &checkpoint);

} // namespace axe

#endif // AXE_MODELS_QWEN35MOEIMPORTER_H
