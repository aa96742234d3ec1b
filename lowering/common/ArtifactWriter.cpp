//===- ArtifactWriter.cpp - writes model.axe/ -----------------------------===//

#include "lowering/common/ArtifactWriter.h"

#include "artifact/ManifestDigest.h"
#include "artifact/ManifestWriter.h"
#include "dialects/axe/AxeOps.h"
#include "lowering/common/Lowering.h"
#include "lowering/cpu/CpuCodegen.h"
#include "lowering/cpu/CpuKernels.h"
#include "lowering/nvvm/GpuCodegen.h"
#include "models/ParamMaterializer.h"
#include "models/WeightTable.h"
#include "support/RegularFile.h"
#include "support/SafetensorsWriter.h"
#include "support/Sha256.h"
#include "support/TempDir.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

namespace axe {

namespace {

namespace fs = std::filesystem;

// weights.safetensors is hashed in pieces of this size, so that the loader verifies tens of GB
// on all cores at once.
constexpr uint64_t kWeightsChunkBytes = uint64_t(256) << 20;

// The kernels' contract: each kernel argument's element type and static shape (-1: a dimension
// the kernel reads from the view) and every workgroup count it is dispatched with. The loader
// checks every call against it, so a view can never be smaller than what the compiled kernel
// assumes.
void addKernelContracts(StepProgram &program, mlir::ModuleOp kernels) {
  for (auto [index, k] : llvm::enumerate(program.kernels)) {
    auto func = kernels.lookupSymbol<mlir::func::FuncOp>(k.name);
    if (!func)
      throw Error("internal: kernel " + k.name + " is not in the kernel module");
    k.args.clear();
    for (int64_t i = 0; i < k.numArgs; ++i) {
      auto type = mlir::cast<mlir::MemRefType>(func.getArgumentTypes()[i]);
      KernelArgContract arg;
      for (int64_t d : type.getShape())
        arg.shape.push_back(mlir::ShapedType::isDynamic(d) ? -1 : d);
      arg.dtype = artifactDType(type.getElementType());
      k.args.push_back(std::move(arg));
    }
    k.workgroups.clear();
    for (const ProgramEntry &d : program.dispatches) {
      bool seen = false;
      for (const SymInt &w : k.workgroups)
        seen |= w == d.workgroups;
      if (d.kernel == int64_t(index) && !seen)
        k.workgroups.push_back(d.workgroups);
    }
  }
}

// Writes weights.safetensors and returns its manifest entry: size and chunk digests, hashed as the
// bytes are written (no second pass over tens of GB).
ManifestFile writeWeights(mlir::ModuleOp module, const StepProgram &program, const Checkpoint &checkpoint,
                          const fs::path &path, const MaterializeOptions &materialize,
                          Progress &progress) {
  // How each weight buffer is made, by its name in the weights file (the name the step program's
  // weight buffers carry).
  std::map<std::string, ParamDesc> params;
  for (const WeightEntry &w : collectWeights(module))
    params[artifactWeightName(w.desc)] = w.desc;
  auto paramOf = [&](const BufferDecl &b) -> const ParamDesc & {
    auto it = params.find(b.name);
    if (it == params.end())
      throw Error("internal: the step program's weight '" + b.name + "' is no param of the model");
    return it->second;
  };
  SafetensorsWriter writer(path.string());
  writer.setMetadata("format", "axe");
  writer.hashInChunks(kWeightsChunkBytes);
  for (const BufferDecl &b : program.buffers)
    if (b.kind == BufferKind::Weight)
      writer.declare(b.name, b.dtype, paramOf(b).shape);
  writer.begin();
  // Reading, converting and writing are one stream: the bytes written measure all three.
  progress.beginTask("weights", writer.dataBytes());
  for (const BufferDecl &b : program.buffers)
    if (b.kind == BufferKind::Weight)
      materializeParam(checkpoint, paramOf(b), [&](const void *data, size_t bytes) {
        writer.write(data, bytes);
        progress.advance(bytes);
      }, materialize);
  writer.finish();
  progress.endTask();
  ManifestFile file;
  file.path = path.filename().string();
  file.bytes = writer.fileBytes();
  file.chunkBytes = kWeightsChunkBytes;
  file.chunkSha256 = writer.chunkSha256();
  return file;
}

// Everything but the files: the model, the precision decisions and the step program.
Manifest manifestOf(mlir::ModuleOp module, const ModelConfig &config, StepProgram &program,
                    mlir::ModuleOp kernels, const ArtifactWriteOptions &options) {
  Manifest m;
  m.model.modelType = config.modelType;
  m.model.vocabSize = config.vocabSize;
  m.model.hiddenSize = config.hiddenSize;
  m.model.numLayers = config.numLayers;
  m.model.maxPositionEmbeddings = config.maxPositionEmbeddings;
  m.model.eosTokenIds.assign(config.eosTokenIds.begin(), config.eosTokenIds.end());
  m.precision.policy = options.policy;
  m.precision.kvCache = "bf16";
  for (const WeightEntry &w : collectWeights(module))
    m.precision.weights.push_back({w.desc.name, w.role, w.precision, w.rule});
  // The KV caches' element type and block size, from the step's arguments (0: no KV cache).
  auto step = module.lookupSymbol<mlir::func::FuncOp>("forward_step");
  for (unsigned i = 0; step && i < step.getNumArguments(); ++i) {
    auto kind = step.getArgAttrOfType<mlir::axe::StepValueAttr>(i, mlir::axe::kStepValueAttr);
    if (kind && kind.getValue() == mlir::axe::StepValue::kv_cache) {
      auto type = mlir::cast<mlir::RankedTensorType>(step.getArgument(i).getType());
      m.precision.kvCache = artifactDTypeName(artifactDType(type.getElementType()));
      m.kvBlockSize = type.getDimSize(1);
    }
  }
  m.symbols = {Symbol::T, Symbol::S, Symbol::R, Symbol::MB, Symbol::NB, Symbol::P};
  m.prefillAlignment = cpu::kDeltaRuleChunk;
  addKernelContracts(program, kernels);
  m.buffers = program.buffers;
  m.kernels = program.kernels;
  m.program = program.dispatches;
  return m;
}

void writeManifest(const Manifest &manifest, const fs::path &path) {
  std::string text = manifestJson(manifest).dump(1) + "\n";
  // The compiler never writes what the runtime would refuse: the manifest is parsed back with the
  // loader's own checks (view bounds, kernel contracts) before it is written.
  Manifest::parse(text, path.string());
  std::ofstream out(path);
  out << text;
  if (!out.flush())
    throw Error(path.string() + ": cannot write");
}

} // namespace

mlir::OwningOpRef<mlir::ModuleOp> formDispatchesAndPlan(mlir::ModuleOp module, FormationOptions options) {
  // The fused module stays as it is: the weights and the manifest's precision facts are read
  // from it after the step program is formed.
  mlir::OwningOpRef<mlir::ModuleOp> dispatchModule = module.clone();
  if (mlir::failed(formDispatches(*dispatchModule, cpu::populateDispatchPatterns, options)))
    throw Error("dispatch formation failed (see the error above)");
  mlir::PassManager pm(module.getContext());
  pm.addPass(createPlanBuffersPass());
  if (mlir::failed(pm.run(*dispatchModule)))
    throw Error("internal: buffer planning failed (see above)");
  return dispatchModule;
}

void writeArtifact(mlir::ModuleOp module, const ModelConfig &config, const Checkpoint *checkpoint,
                   const std::string &outDirName, const ArtifactWriteOptions &options) {
  fs::path outDir(outDirName);
  if (fs::exists(outDir))
    throw Error(outDirName + ": already exists; axe does not overwrite an artifact");
  Progress &progress = options.progress ? *options.progress : Progress::silent();
  progress.stage("forming dispatches");
  // Without --allow-non-finite-weights the weights writer below refuses every e4m3 NaN code (and
  // synthetic weights have none), so the kernels may decode weights without the NaN fix-up.
  mlir::OwningOpRef<mlir::ModuleOp> dispatchModule =
      formDispatchesAndPlan(module, {/*weightsHoldNoNaNCodes=*/!options.allowNonFiniteWeights});
  StepProgram program = readStepProgram(*dispatchModule);
  mlir::ModuleOp kernels = kernelModule(*dispatchModule);

  TempDir tmp(outDir, &progress);
  fs::create_directory(tmp.path() / "cpu");
  progress.stage("weights");
  Manifest manifest = manifestOf(module, config, program, kernels, options);
  if (options.syntheticSeed)
    manifest.syntheticSeed = options.syntheticSeed;
  else if (checkpoint)
    manifest.weightsFile = writeWeights(module, program, *checkpoint, tmp.path() / "weights.safetensors",
                                        {options.allowNonFiniteWeights}, progress);
  else
    throw Error("internal: an artifact needs a checkpoint or synthetic weights");
  if (!options.gpuChip.empty()) {
    // Before the CPU kernels: those lower @kernels in place, and the digest they embed covers
    // the GPU files' records.
    progress.stage("compiling the " + options.gpuChip + " kernels");
    progress.note("compiling the " + options.gpuChip + " kernels");
    nvvm::GpuKernelFiles gpu = nvvm::compileGpuKernels(kernels, options.gpuChip);
    fs::create_directory(tmp.path() / "nvvm");
    auto record = [&](const std::string &name, const std::string &data, ManifestFile &file) {
      fs::path path = tmp.path() / "nvvm" / name;
      std::ofstream(path, std::ios::binary).write(data.data(), std::streamsize(data.size()));
      file.path = "nvvm/" + name;
      file.bytes = fs::file_size(path);
      file.sha256 = sha256File(path.string());
      file.target = options.gpuChip;
      if (file.bytes != data.size())
        throw Error(path.string() + ": could not be written in full");
    };
    record("kernels.cubin", gpu.cubin, manifest.gpuKernelsFile);
    record("kernels.ptx", gpu.ptx, manifest.gpuPtxFile);
  }
  // The kernels embed the digest of everything else in the manifest (artifact/ManifestDigest.h),
  // then the manifest records the kernels' own size and hash.
  progress.stage("compiling the CPU kernels");
  progress.note("compiling the CPU kernels");
  cpu::CodegenOptions codegen;
  codegen.dumpDir = options.dumpDir;
  codegen.manifestDigest = manifestDigest(nlohmann::json::parse(manifestJson(manifest).dump()));
  for (const std::string &target : options.cpuTargets)
    if (target != "x86-64-v3" && target != "x86-64-v4")
      throw Error("CPU target '" + target + "' is not supported (x86-64-v3, x86-64-v4)");
  if (std::find(options.cpuTargets.begin(), options.cpuTargets.end(), "x86-64-v4") != options.cpuTargets.end()) {
    // On a copy: code generation lowers its module in place. Same digest, same ABI; the loader
    // takes this library on a CPU with AVX-512 (512-bit vectors for the 16-lane kernels).
    progress.note("compiling the CPU kernels for x86-64-v4");
    mlir::OwningOpRef<mlir::ModuleOp> copy(mlir::cast<mlir::ModuleOp>(kernels->clone()));
    cpu::CodegenOptions v4 = codegen;
    v4.cpu = "x86-64-v4";
    v4.dumpDir.clear();
    fs::path v4Path = tmp.path() / "cpu" / "kernels-x86-64-v4.so";
    cpu::emitSharedLibrary(*copy, v4Path.string(), v4);
    manifest.cpuKernelsV4File.path = "cpu/kernels-x86-64-v4.so";
    manifest.cpuKernelsV4File.bytes = fs::file_size(v4Path);
    manifest.cpuKernelsV4File.sha256 = sha256File(v4Path.string());
    manifest.cpuKernelsV4File.target = "x86-64-v4";
  }
  fs::path kernelsPath = tmp.path() / "cpu" / "kernels.so";
  // Lowers @kernels to LLVM in place: the dispatch module is not read after this.
  cpu::emitSharedLibrary(kernels, kernelsPath.string(), codegen);
  manifest.cpuKernelsFile.path = "cpu/kernels.so";
  manifest.cpuKernelsFile.bytes = fs::file_size(kernelsPath);
  manifest.cpuKernelsFile.sha256 = sha256File(kernelsPath.string());
  manifest.cpuKernelsFile.target = "x86-64-v3";
  progress.stage("manifest and tokenizer files");
  writeManifest(manifest, tmp.path() / "manifest.json");
  for (const char *name : {"tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
                           "generation_config.json"}) {
    if (!checkpoint)
      break;
    fs::path src = fs::path(checkpoint->dir()) / name;
    if (fs::exists(src)) {
      // Only a regular file, under a cap: a FIFO or a device gets one line naming it.
      RegularFile::open(src.string(), 1ull << 30, "a tokenizer or generation file");
      fs::copy_file(src, tmp.path() / name);
    }
  }
  progress.stage("flushing to disk");
  tmp.commit();
}

} // namespace axe
