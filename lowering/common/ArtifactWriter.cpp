//===- ArtifactWriter.cpp - writes model.axe/ -----------------------------===//

#include "lowering/common/ArtifactWriter.h"

#include "lowering/common/Lowering.h"
#include "lowering/cpu/CpuCodegen.h"
#include "lowering/cpu/CpuKernels.h"
#include "models/ParamMaterializer.h"
#include "models/RegularFile.h"
#include "models/SafetensorsWriter.h"
#include "models/TempDir.h"
#include "models/WeightTable.h"

#include "models/ManifestDigest.h"
#include "models/Sha256.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace axe {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// weights.safetensors is hashed in pieces of this size, so that the loader verifies tens of GB
// on all cores at once.
constexpr uint64_t kWeightsChunkBytes = uint64_t(256) << 20;

DType parseArtifactDType(const std::string &name) {
  if (name == "f8e4m3")
    return DType::F8_E4M3;
  DType d;
  std::string upper = name;
  for (char &c : upper)
    c = static_cast<char>(std::toupper(c));
  if (!parseDType(upper, d))
    throw Error("internal: unknown artifact dtype " + name);
  return d;
}

json dimJson(const Dim &d) { return d.isSymbol() ? json(d.symbol) : json(d.value); }

json dimsJson(const std::vector<Dim> &dims) {
  json out = json::array();
  for (const Dim &d : dims)
    out.push_back(dimJson(d));
  return out;
}

// The kernels' contract: each kernel argument's element type and static shape (null: a dimension
// the kernel reads from the view) and every workgroup count it is dispatched with. The loader
// checks every call against it, so a view can never be smaller than what the compiled kernel
// assumes.
json kernelContract(const StepProgram &program, const KernelInfo &k, int index) {
  mlir::ModuleOp kernels = *const_cast<StepProgram &>(program).kernelModule;
  auto func = kernels.lookupSymbol<mlir::func::FuncOp>(k.name);
  if (!func)
    throw Error("internal: kernel " + k.name + " is not in the kernel module");
  json args = json::array();
  for (unsigned i = 0; i < k.numArgs; ++i) {
    auto type = mlir::cast<mlir::MemRefType>(func.getArgumentTypes()[i]);
    json shape = json::array();
    for (int64_t d : type.getShape())
      shape.push_back(mlir::ShapedType::isDynamic(d) ? json(nullptr) : json(d));
    // f8 values travel as i8 in kernel memrefs (Lowering::memrefType): the artifact's f8e4m3.
    mlir::Type elem = type.getElementType();
    std::string dtype = elem.isInteger(8) ? "f8e4m3"
                        : elem.isBF16()   ? "bf16"
                        : elem.isF16()    ? "f16"
                        : elem.isF32()    ? "f32"
                        : elem.isInteger(32) ? "i32"
                        : elem.isInteger(64) ? "i64"
                                             : "";
    if (dtype.empty())
      throw Error("internal: kernel " + k.name + " argument " + std::to_string(i) +
                  " has an element type the artifact cannot hold");
    args.push_back({{"dtype", dtype}, {"shape", shape}});
  }
  json workgroups = json::array();
  for (const Dispatch &d : program.dispatches)
    if (d.kernel == index && std::find(workgroups.begin(), workgroups.end(), dimJson(d.workgroups)) ==
                                 workgroups.end())
      workgroups.push_back(dimJson(d.workgroups));
  return {{"args", args}, {"workgroups", workgroups}};
}

// Writes weights.safetensors and returns its manifest entry: size and chunk digests, hashed as the
// bytes are written (no second pass over tens of GB).
json writeWeights(const StepProgram &program, const Checkpoint &checkpoint, const fs::path &path,
                  const MaterializeOptions &materialize, Progress &progress) {
  SafetensorsWriter writer(path.string());
  writer.setMetadata("format", "axe");
  writer.hashInChunks(kWeightsChunkBytes);
  for (const Buffer &b : program.buffers)
    if (b.kind == BufferKind::Weight)
      writer.declare(b.name, parseArtifactDType(b.dtype), b.param.shape);
  writer.begin();
  // Reading, converting and writing are one stream: the bytes written measure all three.
  progress.beginTask("weights", writer.dataBytes());
  for (const Buffer &b : program.buffers)
    if (b.kind == BufferKind::Weight)
      materializeParam(checkpoint, b.param, [&](const void *data, size_t bytes) {
        writer.write(data, bytes);
        progress.advance(bytes);
      }, materialize);
  writer.finish();
  progress.endTask();
  return {{"path", path.filename().string()}, {"bytes", writer.fileBytes()},
          {"chunk_bytes", kWeightsChunkBytes}, {"chunk_sha256", writer.chunkSha256()}};
}

json manifestJson(mlir::ModuleOp module, const ModelConfig &config, const StepProgram &program,
                  const ArtifactOptions &options, const json &files) {
  json m;
  m["format"] = "axe-artifact";
  m["version"] = 1;
  m["model"] = {{"model_type", config.modelType}, {"vocab_size", config.vocabSize},
                {"hidden_size", config.hiddenSize}, {"num_layers", config.numLayers},
                {"max_position_embeddings", config.maxPositionEmbeddings},
                {"eos_token_ids", config.eosTokenIds}};
  json weights = json::array();
  for (const WeightEntry &w : collectWeights(module))
    weights.push_back({{"name", w.desc.name}, {"role", w.role}, {"precision", w.precision},
                       {"rule", w.rule}});
  std::string kvCache = "bf16";
  int64_t blockSize = 0;
  for (const Buffer &b : program.buffers)
    if (b.kind == BufferKind::State && b.name.size() > 6 && b.name.compare(b.name.size() - 6, 6, "_cache") == 0) {
      kvCache = b.dtype;
      blockSize = b.shape[1].value;
    }
  m["precision"] = {{"policy", options.policy}, {"kv_cache", kvCache}, {"weights", weights}};
  m["files"] = files;
  m["symbols"] = {"T", "S", "R", "MB", "NB", "P"};
  m["kv_block_size"] = blockSize;
  m["prefill_alignment"] = cpu::kDeltaRuleChunk;
  json buffers = json::array();
  for (const Buffer &b : program.buffers)
    buffers.push_back({{"id", b.id}, {"kind", bufferKindName(b.kind)}, {"name", b.name},
                       {"dtype", b.dtype}, {"shape", dimsJson(b.shape)}});
  m["buffers"] = buffers;
  json kernels = json::array();
  for (const KernelInfo &k : program.kernels) {
    json contract = kernelContract(program, k, int(kernels.size()));
    kernels.push_back({{"name", k.name}, {"symbol", "_mlir_ciface_" + k.name}, {"op", k.op},
                       {"num_args", k.numArgs}, {"num_scalars", k.numScalars},
                       {"args", contract["args"]}, {"workgroups", contract["workgroups"]}});
  }
  m["kernels"] = kernels;
  json entries = json::array();
  for (const Dispatch &d : program.dispatches) {
    json args = json::array();
    for (const View &v : d.args)
      args.push_back({{"buffer", v.buffer}, {"offset", v.offset}, {"shape", dimsJson(v.shape)},
                      {"strides", dimsJson(v.strides)}});
    entries.push_back({{"kernel", d.kernel}, {"args", args}, {"scalars", dimsJson(d.scalars)},
                       {"workgroups", dimJson(d.workgroups)}});
  }
  m["program"] = entries;
  return m;
}

} // namespace

void writeArtifact(mlir::ModuleOp module, const ModelConfig &config, const Checkpoint &checkpoint,
                   const std::string &outDirName, const ArtifactOptions &options) {
  fs::path outDir(outDirName);
  if (fs::exists(outDir))
    throw Error(outDirName + ": already exists; axe does not overwrite an artifact");
  Progress &progress = options.progress ? *options.progress : Progress::silent();
  progress.stage("forming dispatches");
  StepProgram program = formDispatches(module, cpu::lowerOp);

  TempDir tmp(outDir, &progress);
  fs::create_directory(tmp.path() / "cpu");
  progress.stage("weights");
  json files;
  files["weights"] = writeWeights(program, checkpoint, tmp.path() / "weights.safetensors",
                                  {options.allowNonFiniteWeights}, progress);
  // The kernels embed the digest of everything else in the manifest (models/ManifestDigest.h),
  // then the manifest records the kernels' own size and hash.
  json manifest = manifestJson(module, config, program, options, files);
  progress.stage("compiling the CPU kernels");
  progress.note("compiling the CPU kernels");
  cpu::CodegenOptions codegen;
  codegen.dumpDir = options.dumpDir;
  codegen.manifestDigest = manifestDigest(nlohmann::json::parse(manifest.dump()));
  fs::path kernelsPath = tmp.path() / "cpu" / "kernels.so";
  cpu::emitSharedLibrary(*program.kernelModule, kernelsPath.string(), codegen);
  manifest["files"]["cpu_kernels"] = {{"path", "cpu/kernels.so"},
                                      {"bytes", fs::file_size(kernelsPath)},
                                      {"sha256", sha256File(kernelsPath.string())},
                                      {"target", "x86-64-v3"}};
  progress.stage("manifest and tokenizer files");
  {
    std::ofstream out(tmp.path() / "manifest.json");
    out << manifest.dump(1) << "\n";
    if (!out.flush())
      throw Error((tmp.path() / "manifest.json").string() + ": cannot write");
  }
  for (const char *name : {"tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
                           "generation_config.json"}) {
    fs::path src = fs::path(checkpoint.dir()) / name;
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
