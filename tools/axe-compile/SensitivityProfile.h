//===- SensitivityProfile.h - which parts of a model FP8 hurts, measured -*- C++ -*-===//
//
// `axe-compile MODEL --profile-sensitivity [--text FILE]` derives the precision map from
// measurements instead of taking it on faith. For each component class of the map (attention
// q/k/v/o, routed experts gate_up and down, shared expert, router, shared-expert gate, the Gated
// DeltaNet projections, embedding, lm_head), and with --per-layer for each layer too, it compiles
// the model with only that part in FP8 and everything else BF16, runs the compiled CPU artifact
// over the text, and measures against the all-BF16 artifact:
//   - mean KL divergence of the next-token distributions (scored as axe-run eval scores);
//   - the fraction of (token, MoE layer) pairs whose routed top-k expert set changes;
//   - the drift of the DeltaNet recurrent state, |s - s_bf16| / |s_bf16| over all layers, after
//     64, 256 and 1,024 tokens;
//   - the weight bytes the part saves, stored and read per decoded token.
// Parts are ranked by KLD per GB saved per decoded token (the routed experts: K of E). The derived policy takes parts into FP8 cheapest first
// while the sum of their KLDs stays under --budget-kld (default 1e-3) or until the weights fit in
// --budget-gb; it is then compiled and measured as a whole, and written as a policy JSON that
// axe-compile --precision accepts.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_TOOLS_AXECOMPILE_SENSITIVITYPROFILE_H
#define AXE_TOOLS_AXECOMPILE_SENSITIVITYPROFILE_H

#include "mlir/IR/BuiltinOps.h"
#include "models/ModelConfig.h"
#include "support/Safetensors.h"

#include <cstdint>
#include <optional>
#include <string>

namespace axe {

class Progress;

struct SensitivityOptions {
  std::string textPath, idsPath; // the tokens to score (neither: seeded random ids, with a note)
  int64_t ctx = 256;             // tokens per window
  int64_t windows = 8;           // windows scored (fewer if the text is shorter)
  bool perLayer = false;         // also each (class, layer)
  std::optional<double> budgetKld, budgetGb;
  std::string policyOut; // the derived policy JSON (a new file)
  std::string jsonOut;   // the table as JSON (a new file)
  unsigned threads = 0;  // 0: all cores
};

// `imported` is the module as the importer made it (before the precision passes); it is cloned for
// each variant. Prints the table on stdout. Throws axe::Error.
void profileSensitivity(mlir::ModuleOp imported, const ModelConfig &config, const Checkpoint &checkpoint,
                        const std::string &modelDir, const SensitivityOptions &options, Progress &progress);

} // namespace axe

#endif // AXE_TOOLS_AXECOMPILE_SENSITIVITYPROFILE_H
