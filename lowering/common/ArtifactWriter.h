//===- ArtifactWriter.h - writes model.axe/ -------------------*- C++ -*-===//
//
// The deployable artifact of docs/artifact.md: the step program and buffer plan (manifest.json),
// every weight converted as the precision map says (weights.safetensors, streamed tensor by
// tensor so memory does not grow with the model), the CPU kernels (cpu/kernels.so) and the
// tokenizer files. Written under model.axe.tmp-PID-XXXXXX/ (support/TempDir.h), flushed to disk
// and renamed when complete.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_COMMON_ARTIFACTWRITER_H
#define AXE_LOWERING_COMMON_ARTIFACTWRITER_H

#include "lowering/common/Lowering.h"
#include "models/ModelConfig.h"
#include "support/Progress.h"
#include "support/Safetensors.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <optional>
#include <string>
#include <vector>

namespace axe {

struct ArtifactWriteOptions {
  std::string policy = "default";
  std::string dumpDir; // kernel IR dumps (--dump-kernels)
  Progress *progress = nullptr; // stages and the bytes of the weights as they are written
  bool allowNonFiniteWeights = false; // --allow-non-finite-weights
  // A GPU chip (sm_90a) whose kernels the artifact also holds (nvvm/kernels.cubin and .ptx);
  // empty: CPU kernels only.
  std::string gpuChip;
  // The CPU kernel libraries: x86-64-v3 always (cpu/kernels.so); with x86-64-v4 also an AVX-512
  // build (cpu/kernels-x86-64-v4.so) that the loader takes on a CPU that has it.
  std::vector<std::string> cpuTargets{"x86-64-v3", "x86-64-v4"};
  // Synthetic weights (--synthetic-weights): no weights file; the manifest records this seed and
  // the loader makes the weights from it (runtime/SyntheticWeights.h).
  std::optional<uint64_t> syntheticSeed;
};

// The dispatch-level step program of `module` (lowering/common/StepProgram.h) for the CPU
// target, its buffers planned: what the artifact is written from (and --emit=dispatches prints).
mlir::OwningOpRef<mlir::ModuleOp> formDispatchesAndPlan(mlir::ModuleOp module, FormationOptions options);

// `module` has been through the precision passes. `checkpoint` holds the weights; it may be null
// only with options.syntheticSeed (then the tokenizer files are not copied either). Throws axe::Error; leaves nothing behind on
// failure or on SIGINT/SIGTERM/SIGHUP and refuses to overwrite an existing directory.
void writeArtifact(mlir::ModuleOp module, const ModelConfig &config, const Checkpoint *checkpoint,
                   const std::string &outDir, const ArtifactWriteOptions &options);

} // namespace axe

#endif // AXE_LOWERING_COMMON_ARTIFACTWRITER_H
