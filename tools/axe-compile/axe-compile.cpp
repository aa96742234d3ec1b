//===- axe-compile.cpp - the axe compiler driver --------------------------===//
//
//   axe-compile MODEL_DIR --emit=axe -o out.mlir         import a checkpoint into axe IR
//   axe-compile MODEL_DIR --emit=axe-fused -o out.mlir   ... and apply the precision map
//   axe-compile MODEL_DIR --emit=dispatches -o d.mlir    ... and form the step program: buffers,
//                                                        views, dispatches and their kernels
//   axe-compile MODEL_DIR --emit=cpu-kernels -o k.mlir   ... its CPU kernels only (memrefs)
//   axe-compile MODEL_DIR -o model.axe                   the deployable artifact (docs/artifact.md)
//   axe-compile --config-only config.json --summary      examine a config without weights
//   axe-compile ... --precision-report[=md|json]         what the map did, tensor by tensor
//   axe-compile MODEL_DIR --export-checkpoint OUT_DIR    the FP8 checkpoint vLLM loads
//
// Bad input (a malformed checkpoint or config) ends with one line "axe-compile: error: ..." naming
// the file and tensor or field, and exit status 1. Writing an artifact or a checkpoint reports
// progress and a closing summary on stderr (-q: none; -v: a timing line per stage, too).
//
//===----------------------------------------------------------------------===//

#include "dialects/axe/AxeOps.h"
#include "lowering/common/ArtifactWriter.h"
#include "lowering/common/Lowering.h"
#include "lowering/cpu/CpuKernels.h"
#include "lowering/nvvm/NvvmPasses.h"
#include "models/CheckpointExport.h"
#include "models/ModelConfig.h"
#include "models/PrecisionReport.h"
#include "models/Qwen35MoeImporter.h"
#include "passes/Passes.h"
#include "passes/PrecisionPipeline.h"
#include "support/Safetensors.h"
#include "tools/axe-compile/SensitivityProfile.h"
#include "tools/common/Version.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <unistd.h>

namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("axe-compile options");
cl::opt<std::string> modelDir(cl::Positional, cl::desc("<model dir>"), cl::init(""),
                              cl::cat(category));
cl::opt<std::string> configOnly("config-only",
                                cl::desc("Import shapes from this config.json, without weights"),
                                cl::value_desc("config.json"), cl::init(""), cl::cat(category));
cl::opt<uint64_t> syntheticWeights(
    "synthetic-weights",
    cl::desc("With --config-only and -o model.axe: write no weights; axe-run makes them from this "
             "seed at load (random, for timing at a config's real widths; the outputs mean nothing)"),
    cl::value_desc("seed"), cl::cat(category));
cl::opt<std::string> emit("emit",
                          cl::desc("What to write: axe (the imported IR), axe-fused (after the "
                                   "precision passes), dispatches (the step program: buffers, "
                                   "views, kernel calls and the kernels), cpu-kernels (the "
                                   "kernels only, on memrefs), artifact (model.axe/; the "
                                   "default when -o ends in .axe), ptx or cubin (the FP8 linears "
                                   "for --target)"),
                          cl::init(""), cl::cat(category));
cl::opt<std::string> gpuTarget("target",
                               cl::desc("Targets: for an artifact 'cpu' (the default) or 'cpu,sm_90a' "
                                        "(also every kernel for the GPU, in nvvm/); for "
                                        "--emit=ptx|cubin the chip (sm_90a: the FP8 linears on "
                                        "tensor cores)"),
                               cl::value_desc("targets"), cl::init(""), cl::cat(category));
cl::opt<std::string> cpuTargets("cpu-targets",
                                cl::desc("CPU kernel libraries in an artifact: x86-64-v3 (AVX2, every "
                                         "machine's fallback) and optionally x86-64-v4 (AVX-512), "
                                         "which axe-run loads where the CPU has it"),
                                cl::value_desc("x86-64-v3[,x86-64-v4]"), cl::init("x86-64-v3,x86-64-v4"),
                                cl::cat(category));
cl::opt<std::string> dumpKernels("dump-kernels",
                                 cl::desc("Write the CPU kernels' IR (MLIR, LLVM dialect, LLVM IR) "
                                          "into this directory"),
                                 cl::value_desc("dir"), cl::init(""), cl::cat(category));
cl::opt<std::string> precision("precision",
                               cl::desc("Precision policy: default, bf16, f32, or a JSON file"),
                               cl::init("default"), cl::cat(category));
cl::opt<mlir::axe::QuantScheme> quantScheme(
    "quant-scheme", cl::desc("FP8 weight scales"), cl::init(mlir::axe::QuantScheme::Channel),
    cl::values(clEnumValN(mlir::axe::QuantScheme::Channel, "channel", "one per output row"),
               clEnumValN(mlir::axe::QuantScheme::Block, "block", "one per 128x128 block")),
    cl::cat(category));
cl::opt<std::string> precisionReport("precision-report", cl::ValueOptional,
                                     cl::desc("Print the precision report: md (default) or json"),
                                     cl::value_desc("md|json"), cl::cat(category));
cl::opt<std::string> exportCheckpoint("export-checkpoint",
                                      cl::desc("Write the FP8 checkpoint (compressed-tensors) "
                                               "to this new directory"),
                                      cl::value_desc("dir"), cl::init(""), cl::cat(category));
cl::opt<std::string> output("o", cl::desc("Output: model.axe (an artifact), or with --emit=axe a "
                                          "file for the IR (- for stdout)"),
                            cl::value_desc("file"), cl::init("-"), cl::cat(category));
cl::opt<bool> summary("summary",
                      cl::desc("Print a model summary (layers, parameters by component, active "
                               "parameters per token); the IR is then written only with -o"),
                      cl::init(false), cl::cat(category));
cl::opt<bool> listTensors("list-tensors",
                          cl::desc("List the tensors of MODEL (a checkpoint directory or one "
                                   ".safetensors file) after validating it"),
                          cl::init(false), cl::cat(category));
cl::opt<int64_t> kvBlockSize("kv-block-size", cl::desc("Tokens per KV-cache block"), cl::init(16),
                             cl::cat(category));
cl::opt<std::string> kvCache("kv-cache", cl::desc("KV-cache element type: bf16 or fp8"),
                             cl::init("bf16"), cl::cat(category));
cl::opt<bool> quiet("q", cl::desc("No progress and no summary on stderr (errors only)"),
                    cl::init(false), cl::cat(category));
cl::opt<bool> verbose("v", cl::desc("Also print how long each stage took"), cl::init(false),
                      cl::cat(category));

cl::opt<bool> allowNonFinite("allow-non-finite-weights",
                             cl::desc("Compile weights that hold NaN or Inf (refused by default)"),
                             cl::init(false), cl::cat(category));
cl::OptionCategory profileCategory("sensitivity profiling (--profile-sensitivity; docs/eval.md)");
cl::opt<bool> profileSensitivity("profile-sensitivity",
                                 cl::desc("Measure, part by part, what FP8 costs against BF16 on the CPU target, "
                                          "print the ranked table and derive a policy"),
                                 cl::init(false), cl::cat(profileCategory));
cl::opt<std::string> profileText("text", cl::desc("Text to profile on (tokenized with the checkpoint's tokenizer.json)"),
                                 cl::init(""), cl::cat(profileCategory));
cl::opt<std::string> profileIds("ids", cl::desc("Token ids to profile on (separated by whitespace)"), cl::init(""),
                                cl::cat(profileCategory));
cl::opt<int64_t> profileCtx("profile-ctx", cl::desc("Tokens per window"), cl::init(256), cl::cat(profileCategory));
cl::opt<int64_t> profileWindows("profile-windows", cl::desc("Windows scored"), cl::init(8), cl::cat(profileCategory));
cl::opt<bool> profilePerLayer("per-layer", cl::desc("Also profile each part layer by layer"), cl::init(false),
                              cl::cat(profileCategory));
cl::opt<double> budgetKld("budget-kld", cl::desc("Derived policy: FP8 parts while their summed KLD stays under this "
                                                 "(default 1e-3)"),
                          cl::cat(profileCategory));
cl::opt<double> budgetGb("budget-gb", cl::desc("Derived policy: FP8 parts, cheapest first, until the weights fit in "
                                               "this many GB"),
                         cl::cat(profileCategory));
cl::opt<std::string> policyOut("policy-out", cl::desc("Write the derived policy JSON here (a new file)"), cl::init(""),
                               cl::cat(profileCategory));
cl::opt<std::string> profileJson("profile-json", cl::desc("Write the table as JSON here (a new file)"), cl::init(""),
                                 cl::cat(profileCategory));
cl::opt<unsigned> profileThreads("profile-threads", cl::desc("CPU threads for profiling (default: all cores)"), cl::init(0),
                                 cl::cat(profileCategory));

cl::opt<bool> ignoreUnknown("ignore-unknown-tensors",
                            cl::desc("Compile a checkpoint that holds tensors axe does not know "
                                     "(refused by default)"),
                            cl::init(false), cl::cat(category));

uint64_t directoryBytes(const std::string &dir) {
  uint64_t bytes = 0;
  for (const auto &e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      bytes += e.file_size();
  return bytes;
}

// Refuses (or, with --ignore-unknown-tensors, counts in one warning) the checkpoint's tensors
// that the model does not read: a wrong or mixed-up checkpoint should not compile silently.
void checkUnknownTensors(mlir::ModuleOp module, const axe::Checkpoint &checkpoint) {
  std::vector<std::string> unknown = axe::unknownTensors(module, checkpoint);
  if (unknown.empty())
    return;
  std::string list;
  for (size_t i = 0; i < unknown.size() && i < 3; ++i)
    list += (i ? ", '" : "'") + unknown[i] + "'";
  if (unknown.size() > 3)
    list += ", ...";
  std::string what = std::to_string(unknown.size()) + " tensor" +
                     (unknown.size() == 1 ? "" : "s") + " that a Qwen3.5-MoE text model does not use (" +
                     list + ")";
  if (!ignoreUnknown)
    throw axe::Error(checkpoint.dir() + ": " + what +
                     "; check that this is the right checkpoint, or pass --ignore-unknown-tensors");
  llvm::errs() << "axe-compile: warning: " << checkpoint.dir() << ": ignoring " << what << "\n";
}

std::string withCommas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<size_t>(i), ",");
  return s;
}

void printSummary(const axe::ModelConfig &c, llvm::raw_ostream &os) {
  using axe::LayerType;
  int64_t full = c.numLayersOf(LayerType::FullAttention),
          linear = c.numLayersOf(LayerType::LinearAttention);
  os << "model: " << c.modelType << " (text model; MTP and vision not counted)\n";
  os << "layers: " << c.numLayers << " (" << linear << " linear_attention, " << full
     << " full_attention)\n  pattern: ";
  for (LayerType t : c.layerTypes)
    os << (t == LayerType::FullAttention ? 'F' : 'L');
  os << "\nexperts: " << c.numExperts << " routed (top-" << c.numExpertsPerTok
     << ") + 1 shared per layer\n";
  axe::ParameterCounts p = countParameters(c);
  auto row = [&](const std::string &what, uint64_t n) {
    os << llvm::format("  %-28s %18s\n", what.c_str(), withCommas(n).c_str());
  };
  os << "parameters:\n";
  row("embedding", p.embedding);
  row("lm_head", p.lmHead);
  row("full attention (" + std::to_string(full) + " layers)", p.attention);
  row("linear attention (" + std::to_string(linear) + " layers)", p.linearAttention);
  row("routed experts", p.routedExperts);
  row("shared experts", p.sharedExperts);
  row("routers and shared gates", p.routers);
  row("norms", p.layerNorms + p.finalNorm);
  os << llvm::format("  %-28s %18s  (%.2f B)\n", "total", withCommas(p.total()).c_str(),
                     p.total() / 1e9);
  os << llvm::format("active per token: %s (%.2f B; routed top-%lld + shared expert, all "
                     "mixers, lm_head; the embedding is a lookup)\n",
                     withCommas(p.activePerToken).c_str(), p.activePerToken / 1e9,
                     static_cast<long long>(c.numExpertsPerTok));
}

void printTensors(const std::vector<const axe::TensorInfo *> &tensors, uint64_t bytes,
                  size_t files, llvm::raw_ostream &os) {
  for (const axe::TensorInfo *t : tensors) {
    os << t->name << " " << axe::dtypeName(t->dtype) << " [";
    for (size_t i = 0; i < t->shape.size(); ++i)
      os << (i ? ", " : "") << t->shape[i];
    os << "]\n";
  }
  os << tensors.size() << " tensors, " << withCommas(bytes) << " bytes in " << files
     << " file(s)\n";
}

int listCheckpoint() {
  llvm::StringRef path(modelDir);
  std::vector<const axe::TensorInfo *> tensors;
  if (path.ends_with(".safetensors")) {
    auto file = axe::SafetensorsFile::open(modelDir);
    uint64_t bytes = 0;
    for (const axe::TensorInfo &t : file->tensors()) {
      tensors.push_back(&t);
      bytes += t.numBytes();
    }
    std::sort(tensors.begin(), tensors.end(),
              [](const axe::TensorInfo *a, const axe::TensorInfo *b) { return a->name < b->name; });
    printTensors(tensors, bytes, 1, llvm::outs());
    return 0;
  }
  axe::Checkpoint ckpt = axe::Checkpoint::open(modelDir);
  for (const std::string &name : ckpt.names())
    tensors.push_back(ckpt.get(name).info);
  printTensors(tensors, ckpt.totalBytes(), ckpt.numFiles(), llvm::outs());
  return 0;
}

// The artifact's GPU kernels are the generic form (one thread per workgroup, the CPU's bodies):
// FP8 weights are decoded and multiplied on CUDA cores there. Never silent: say how many ops.
void warnFp8OnCudaCores(mlir::ModuleOp module, const std::string &chip) {
  int fp8 = 0;
  module->walk([&](mlir::Operation *op) {
    auto precision = op->getAttrOfType<mlir::axe::PrecisionAttr>(mlir::axe::kPrecisionAttr);
    if (mlir::isa<mlir::axe::Fp8LinearOp>(op) ||
        (precision && precision.getValue() == mlir::axe::Precision::fp8 &&
         mlir::isa<mlir::axe::MoeExpertsOp, mlir::axe::LogitsOp>(op)))
      ++fp8;
  });
  if (fp8)
    llvm::errs() << "axe-compile: warning: " << fp8 << " FP8 ops (fp8_linear, moe_experts, logits) "
                 << "reach " << chip << " as generic kernels on CUDA cores, not the FP8 tensor cores: "
                 << "the wgmma GEMM (--emit=ptx) is not wired into the step program yet\n";
}

int run() {
  if (listTensors) {
    if (modelDir.empty())
      throw axe::Error("--list-tensors needs MODEL (a checkpoint directory or a .safetensors file)");
    return listCheckpoint();
  }
  if (modelDir.empty() == configOnly.empty())
    throw axe::Error("give exactly one of MODEL_DIR or --config-only config.json");
  if (quiet && verbose)
    throw axe::Error("-q and -v contradict each other; give one");
  bool explicitOutput = output.getNumOccurrences() > 0;
  if (emit.empty()) {
    if (llvm::StringRef(output).ends_with(".axe"))
      emit = "artifact";
    else if (output != "-")
      throw axe::Error("-o " + output + ": an artifact's name ends in .axe (-o model.axe); to "
                       "write the imported IR to this file, pass --emit=axe");
    else
      emit = "axe";
  }
  if (emit != "axe" && emit != "axe-fused" && emit != "dispatches" && emit != "cpu-kernels" &&
      emit != "artifact" && emit != "ptx" && emit != "cubin")
    throw axe::Error("--emit=" + emit + " is not supported (supported: axe, axe-fused, dispatches, "
                     "cpu-kernels, artifact, ptx, cubin)");
  bool gpu = emit == "ptx" || emit == "cubin";
  std::string artifactGpuChip; // from --target cpu,CHIP
  if (emit == "artifact" && !gpuTarget.empty()) {
    if (gpuTarget == "cpu,sm_90a" || gpuTarget == "sm_90a,cpu")
      artifactGpuChip = "sm_90a";
    else if (gpuTarget != "cpu")
      throw axe::Error("--target=" + gpuTarget + " is not supported for an artifact (supported: cpu, "
                       "cpu,sm_90a; the CPU kernels are always written)");
  } else if (gpu != !gpuTarget.empty()) {
    throw axe::Error("--target CHIP goes with --emit=ptx or --emit=cubin, and they need it "
                     "(or --target cpu,sm_90a with an artifact)");
  }
  bool synthetic = syntheticWeights.getNumOccurrences() > 0;
  if (synthetic && (configOnly.empty() || emit != "artifact"))
    throw axe::Error("--synthetic-weights goes with --config-only config.json and -o model.axe (an artifact "
                     "whose weights axe-run makes from the seed)");
  if (emit == "artifact" && ((modelDir.empty() && !synthetic) || output == "-"))
    throw axe::Error("--emit=artifact needs MODEL_DIR (or --config-only with --synthetic-weights) and -o model.axe");
  bool report = precisionReport.getNumOccurrences() > 0;
  std::string reportFormat = precisionReport.empty() ? "md" : std::string(precisionReport);
  if (report && reportFormat != "md" && reportFormat != "json")
    throw axe::Error("--precision-report=" + reportFormat + " is not supported (md, json)");
  if (!exportCheckpoint.empty() && modelDir.empty())
    throw axe::Error("--export-checkpoint needs MODEL_DIR (the weights to quantize)");
  if (kvCache != "bf16" && kvCache != "fp8")
    throw axe::Error("--kv-cache=" + kvCache + " is not supported (supported: bf16, fp8)");
  if (kvBlockSize <= 0)
    throw axe::Error("--kv-block-size must be positive");

  if (profileSensitivity && (modelDir.empty() || explicitOutput || report || !exportCheckpoint.empty()))
    throw axe::Error("--profile-sensitivity needs MODEL_DIR and goes alone (no -o, report or export): it compiles "
                     "its own variants; write the derived policy with --policy-out");
  if (!profileSensitivity && (!profileText.empty() || !profileIds.empty() || !policyOut.empty() ||
                              !profileJson.empty() || budgetKld.getNumOccurrences() || budgetGb.getNumOccurrences()))
    throw axe::Error("--text, --ids, --policy-out, --profile-json and the budgets go with --profile-sensitivity");
  if (!profileText.empty() && !profileIds.empty())
    throw axe::Error("give --text or --ids, not both");

  // Without -o, a summary, a report or an export is the product and the IR is not printed.
  bool writeIR = !profileSensitivity && (explicitOutput || !(summary || report || !exportCheckpoint.empty()));
  if (writeIR && !explicitOutput && ::isatty(STDOUT_FILENO))
    throw axe::Error("this would print the IR on the terminal: pass -o model.axe for an "
                     "artifact, or --emit=axe -o FILE.mlir (or -o -) for the IR");

  axe::Progress progress("axe-compile",
                         quiet     ? axe::Verbosity::Quiet
                         : verbose ? axe::Verbosity::Verbose
                                   : axe::Verbosity::Normal,
                         axe::Progress::isStderrTerminal());
  progress.stage("reading the config and the checkpoint's headers");
  std::string configPath = configOnly.empty() ? modelDir + "/config.json" : configOnly;
  axe::ModelConfig config = axe::readModelConfig(configPath);
  std::optional<axe::Checkpoint> checkpoint;
  if (!modelDir.empty())
    checkpoint = axe::Checkpoint::open(modelDir);

  if (summary)
    printSummary(config, llvm::outs());
  if (!writeIR && !report && exportCheckpoint.empty() && !profileSensitivity)
    return 0;

  mlir::DialectRegistry registry;
  axe::nvvm::registerNvvmDialects(registry);
  mlir::MLIRContext context(registry);
  progress.stage("importing");
  axe::ImportOptions options;
  options.kvBlockSize = kvBlockSize;
  options.kvCacheFp8 = kvCache == "fp8";
  mlir::OwningOpRef<mlir::ModuleOp> module;
  {
    // The importer's diagnostics name the checkpoint file and tensor: one line, like every other
    // input error of this tool.
    mlir::ScopedDiagnosticHandler oneLine(&context, [](mlir::Diagnostic &d) {
      if (d.getSeverity() != mlir::DiagnosticSeverity::Error)
        return mlir::failure(); // to the default handler
      llvm::errs() << "axe-compile: error: " << d.str() << "\n";
      return mlir::success();
    });
    module = axe::importQwen35Moe(context, config, checkpoint ? &*checkpoint : nullptr, options);
  }
  if (!module)
    return 1;
  if (mlir::failed(mlir::verify(*module))) {
    llvm::errs() << "axe-compile: internal error: the imported IR does not verify\n";
    return 2;
  }
  if (checkpoint)
    checkUnknownTensors(*module, *checkpoint);
  if (profileSensitivity) {
    axe::SensitivityOptions o;
    o.textPath = profileText;
    o.idsPath = profileIds;
    o.ctx = profileCtx;
    o.windows = profileWindows;
    o.perLayer = profilePerLayer;
    if (budgetKld.getNumOccurrences())
      o.budgetKld = budgetKld;
    if (budgetGb.getNumOccurrences())
      o.budgetGb = budgetGb;
    o.policyOut = policyOut;
    o.jsonOut = profileJson;
    o.threads = profileThreads;
    axe::profileSensitivity(*module, config, *checkpoint, modelDir, o, progress);
    return 0;
  }
  if (emit != "axe" || report || !exportCheckpoint.empty()) {
    progress.stage("precision passes");
    mlir::PassManager pm(&context);
    mlir::axe::PrecisionPipelineOptions pipeline;
    pipeline.policy = precision;
    pipeline.scheme = quantScheme;
    mlir::axe::buildPrecisionPipeline(pm, pipeline);
    if (mlir::failed(pm.run(*module)))
      throw axe::Error("the precision passes failed (policy '" + precision + "'); see above");
  }
  if (report)
    axe::printPrecisionReport(*module, precision, reportFormat, llvm::outs());
  if (!exportCheckpoint.empty()) {
    progress.stage("exporting the checkpoint");
    axe::ExportOptions exportOptions;
    exportOptions.progress = &progress;
    exportOptions.allowNonFiniteWeights = allowNonFinite;
    axe::exportFp8Checkpoint(*module, *checkpoint, exportCheckpoint, exportOptions);
    progress.summary("wrote " + exportCheckpoint, checkpoint->totalBytes(),
                     directoryBytes(exportCheckpoint));
  }
  if (gpu) {
    int experts = 0;
    module->walk([&](mlir::axe::MoeExpertsOp op) {
      auto precision = op->getAttrOfType<mlir::axe::PrecisionAttr>(mlir::axe::kPrecisionAttr);
      if (precision && precision.getValue() == mlir::axe::Precision::fp8)
        ++experts;
    });
    if (experts)
      llvm::errs() << "axe-compile: warning: " << experts << " FP8 axe.moe_experts ops have no "
                   << gpuTarget << " lowering yet; the " << emit << " holds the model's fp8_linear ops only\n";
    mlir::PassManager pm(&context);
    axe::nvvm::LowerFp8LinearToNvvmPassOptions lower;
    lower.chip = gpuTarget;
    pm.addPass(axe::nvvm::createLowerFp8LinearToNvvmPass(lower));
    axe::nvvm::buildNvvmPipeline(pm, gpuTarget, emit == "ptx" ? "isa" : "bin");
    if (mlir::failed(pm.run(*module)))
      throw axe::Error("the " + gpuTarget + " lowering failed; see above");
    std::string data;
    module->walk([&](mlir::gpu::BinaryOp binary) {
      for (mlir::Attribute object : binary.getObjects())
        data += mlir::cast<mlir::gpu::ObjectAttr>(object).getObject().getValue().str();
    });
    std::string error;
    auto out = mlir::openOutputFile(output, &error);
    if (!out)
      throw axe::Error(output + ": " + error);
    out->os() << data;
    out->keep();
    return 0;
  }
  if (emit == "dispatches" || emit == "cpu-kernels") {
    // Needs no weights: dispatch formation reads shapes, types and attributes only.
    progress.stage("forming dispatches");
    mlir::OwningOpRef<mlir::ModuleOp> dispatches =
        axe::formDispatchesAndPlan(*module, {/*weightsHoldNoNaNCodes=*/!allowNonFinite});
    std::string error;
    auto out = mlir::openOutputFile(output, &error);
    if (!out)
      throw axe::Error(output + ": " + error);
    if (emit == "dispatches")
      dispatches->print(out->os());
    else
      axe::kernelModule(*dispatches).print(out->os());
    out->keep();
    return 0;
  }
  if (emit == "artifact") {
    axe::ArtifactWriteOptions artifact;
    artifact.policy = precision;
    artifact.dumpDir = dumpKernels;
    artifact.progress = &progress;
    artifact.allowNonFiniteWeights = allowNonFinite;
    artifact.gpuChip = artifactGpuChip;
    artifact.cpuTargets.clear();
    for (llvm::StringRef t : llvm::split(llvm::StringRef(cpuTargets), ','))
      artifact.cpuTargets.push_back(t.str());
    if (std::find(artifact.cpuTargets.begin(), artifact.cpuTargets.end(), "x86-64-v3") == artifact.cpuTargets.end())
      throw axe::Error("--cpu-targets=" + cpuTargets + ": x86-64-v3 is required (the library every x86-64 "
                       "machine axe supports can run)");
    if (!artifactGpuChip.empty())
      warnFp8OnCudaCores(*module, artifactGpuChip);
    if (synthetic) {
      artifact.syntheticSeed = syntheticWeights;
      llvm::errs() << "axe-compile: note: synthetic weights (seed " << syntheticWeights
                   << "): axe-run makes them at load; the artifact is for timing, its outputs mean nothing\n";
    }
    axe::writeArtifact(*module, config, checkpoint ? &*checkpoint : nullptr, output, artifact);
    progress.summary("wrote " + output, checkpoint ? checkpoint->totalBytes() : 0, directoryBytes(output));
    return 0;
  }
  if (!writeIR)
    return 0;
  std::string error;
  auto out = mlir::openOutputFile(output, &error);
  if (!out)
    throw axe::Error(output + ": " + error);
  module->print(out->os());
  out->keep();
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Past a file-size limit (ulimit -f) a write then fails with EFBIG and one error line naming the
  // file, instead of SIGXFSZ and LLVM's crash report.
  ::signal(SIGXFSZ, SIG_IGN);
  cl::HideUnrelatedOptions({&category, &profileCategory});
  cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { os << axe::versionLine("axe-compile") << "\n"; });
  cl::ParseCommandLineOptions(argc, argv, "axe compiler: Qwen3.5-MoE checkpoint -> artifact\n");
  try {
    return run();
  } catch (const axe::Error &e) {
    llvm::errs() << "axe-compile: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception &e) { // filesystem and allocation failures
    llvm::errs() << "axe-compile: error: " << e.what() << "\n";
    return 1;
  }
}
