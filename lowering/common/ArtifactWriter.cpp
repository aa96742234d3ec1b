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

#include "llvm/Support/Format.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace axe {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

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

std::string sha256File(const fs::path &path, uint64_t &bytes) {
  std::ifstream in(path, std::ios::binary);
  llvm::SHA256 hash;
  std::vector<char> buffer(1 << 20);
  bytes = 0;
  while (in) {
    in.read(buffer.data(), buffer.size());
    std::streamsize n = in.gcount();
    if (n <= 0)
      break;
    hash.update(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(buffer.data()), n));
    bytes += static_cast<uint64_t>(n);
  }
  std::array<uint8_t, 32> digest = hash.final();
  std::string hex;
  llvm::raw_string_ostream os(hex);
  for (uint8_t b : digest)
    os << llvm::format_hex_no_prefix(b, 2);
  return hex;
}

void writeWeights(const StepProgram &program, const Checkpoint &checkpoint, const fs::path &path) {
  SafetensorsWriter writer(path.string());
  writer.setMetadata("format", "axe");
  for (const Buffer &b : program.buffers)
    if (b.kind == BufferKind::Weight)
      writer.declare(b.name, parseArtifactDType(b.dtype), b.param.shape);
  writer.begin();
  for (const Buffer &b : program.buffers)
    if (b.kind == BufferKind::Weight)
      materializeParam(checkpoint, b.param,
                       [&](const void *data, size_t bytes) { writer.write(data, bytes); });
  writer.finish();
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
  for (const KernelInfo &k : program.kernels)
    kernels.push_back({{"name", k.name}, {"symbol", "_mlir_ciface_" + k.name}, {"op", k.op},
                       {"num_args", k.numArgs}, {"num_scalars", k.numScalars}});
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
  StepProgram program = formDispatches(module, cpu::lowerOp);

  fs::path tmp = makeTempDir(outDir);
  fs::create_directories(tmp / "cpu");
  try {
    writeWeights(program, checkpoint, tmp / "weights.safetensors");
    cpu::CodegenOptions codegen;
    codegen.dumpDir = options.dumpDir;
    cpu::emitSharedLibrary(*program.kernelModule, (tmp / "cpu" / "kernels.so").string(), codegen);

    json files;
    uint64_t bytes = 0;
    std::string sha = sha256File(tmp / "weights.safetensors", bytes);
    files["weights"] = {{"path", "weights.safetensors"}, {"bytes", bytes}, {"sha256", sha}};
    sha = sha256File(tmp / "cpu" / "kernels.so", bytes);
    files["cpu_kernels"] = {{"path", "cpu/kernels.so"}, {"bytes", bytes}, {"sha256", sha},
                            {"target", "x86-64-v3"}};
    std::ofstream(tmp / "manifest.json") << manifestJson(module, config, program, options, files).dump(1) << "\n";
    for (const char *name : {"tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
                             "generation_config.json"}) {
      fs::path src = fs::path(checkpoint.dir()) / name;
      if (fs::exists(src)) {
        // Only a regular file, under a cap: a FIFO or a device gets one line naming it.
        RegularFile::open(src.string(), 1ull << 30, "a tokenizer or generation file");
        fs::copy_file(src, tmp / name);
      }
    }
    fs::rename(tmp, outDir);
  } catch (...) {
    fs::remove_all(tmp);
    throw;
  }
}

} // namespace axe
