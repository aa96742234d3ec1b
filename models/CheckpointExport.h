//===- CheckpointExport.h - the FP8 checkpoint that vLLM loads -*- C++ -*-===//
//
// Writes "axe-veloce": the checkpoint with every FP8 decision of the compiled step applied, in
// the compressed-tensors FP8_DYNAMIC format (spec §5.2): `M.weight` F8_E4M3 and
// `M.weight_scale` F32 [out, 1] per quantized Linear, routed experts per expert
// (`...experts.E.{gate,up,down}_proj.*`), every other tensor copied unchanged, and config.json
// with a `quantization_config` whose ignore list names each Linear the map keeps in BF16.
// Tensors are streamed one band at a time; the directory appears only when complete.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_MODELS_CHECKPOINTEXPORT_H
#define AXE_MODELS_CHECKPOINTEXPORT_H

#include "support/Progress.h"
#include "support/Safetensors.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace axe {

struct ExportOptions {
  uint64_t maxShardBytes = 5ull << 30; // as Hugging Face shards
  Progress *progress = nullptr;         // the bytes of the tensors as they are written
  bool allowNonFiniteWeights = false;  // --allow-non-finite-weights
};

// `module` has been through axe-assign-precision and axe-quantize{scheme=channel}. Throws
// axe::Error (and leaves nothing behind, also on SIGINT/SIGTERM/SIGHUP) on failure; refuses an
// existing `outDir`.
void exportFp8Checkpoint(mlir::ModuleOp module, const Checkpoint &checkpoint,
                         const std::string &outDir, const ExportOptions &options = {});

} // namespace axe

#endif // AXE_MODELS_CHECKPOINTEXPORT_H
