//===- ManifestWriter.cpp - model.axe/manifest.json from a Manifest -------===//

#include "artifact/ManifestWriter.h"

#include "support/Error.h"

namespace axe {

namespace {

using json = nlohmann::ordered_json;

json symIntJson(const SymInt &v) {
  return v.isSymbol() ? json(symbolName(Symbol(v.symbol))) : json(v.value);
}

json symIntsJson(const std::vector<SymInt> &values) {
  json out = json::array();
  for (const SymInt &v : values)
    out.push_back(symIntJson(v));
  return out;
}

const char *dtypeJson(DType dtype) {
  const char *name = artifactDTypeName(dtype);
  if (!name)
    throw Error(std::string("internal: an artifact cannot hold ") + dtypeName(dtype) + " values");
  return name;
}

} // namespace

json manifestJson(const Manifest &m) {
  json out;
  out["format"] = "axe-artifact";
  out["version"] = Manifest::kFormatVersion;
  out["model"] = {{"model_type", m.model.modelType},
                  {"vocab_size", m.model.vocabSize},
                  {"hidden_size", m.model.hiddenSize},
                  {"num_layers", m.model.numLayers},
                  {"max_position_embeddings", m.model.maxPositionEmbeddings},
                  {"eos_token_ids", m.model.eosTokenIds}};
  json decisions = json::array();
  for (const PrecisionDecision &d : m.precision.weights)
    decisions.push_back({{"name", d.name}, {"role", d.role}, {"precision", d.precision}, {"rule", d.rule}});
  out["precision"] = {{"policy", m.precision.policy}, {"kv_cache", m.precision.kvCache},
                      {"weights", decisions}};
  json files;
  if (m.syntheticSeed)
    files["weights"] = {{"synthetic_seed", *m.syntheticSeed}};
  else
    files["weights"] = {{"path", m.weightsFile.path},
                        {"bytes", m.weightsFile.bytes},
                        {"chunk_bytes", m.weightsFile.chunkBytes},
                        {"chunk_sha256", m.weightsFile.chunkSha256}};
  if (!m.cpuKernelsFile.path.empty())
    files["cpu_kernels"] = {{"path", m.cpuKernelsFile.path}, {"bytes", m.cpuKernelsFile.bytes},
                            {"sha256", m.cpuKernelsFile.sha256}, {"target", m.cpuKernelsFile.target}};
  if (!m.cpuKernelsV4File.path.empty())
    files["cpu_kernels_v4"] = {{"path", m.cpuKernelsV4File.path}, {"bytes", m.cpuKernelsV4File.bytes},
                               {"sha256", m.cpuKernelsV4File.sha256}, {"target", m.cpuKernelsV4File.target}};
  if (!m.gpuKernelsFile.path.empty())
    for (auto [key, f] : {std::pair{"gpu_kernels", &m.gpuKernelsFile}, std::pair{"gpu_ptx", &m.gpuPtxFile}})
      files[key] = {{"path", f->path}, {"bytes", f->bytes}, {"sha256", f->sha256}, {"target", f->target}};
  out["files"] = files;
  json symbols = json::array();
  for (Symbol s : m.symbols)
    symbols.push_back(symbolName(s));
  out["symbols"] = symbols;
  out["kv_block_size"] = m.kvBlockSize;
  out["prefill_alignment"] = m.prefillAlignment;

  json buffers = json::array();
  for (const BufferDecl &b : m.buffers)
    buffers.push_back({{"id", b.id}, {"kind", bufferKindName(b.kind)}, {"name", b.name},
                       {"dtype", dtypeJson(b.dtype)}, {"shape", symIntsJson(b.shape)}});
  out["buffers"] = buffers;

  json kernels = json::array();
  for (const KernelDecl &k : m.kernels) {
    json args = json::array();
    for (const KernelArgContract &a : k.args) {
      json shape = json::array();
      for (int64_t d : a.shape)
        shape.push_back(d < 0 ? json(nullptr) : json(d));
      args.push_back({{"dtype", dtypeJson(a.dtype)}, {"shape", shape}});
    }
    kernels.push_back({{"name", k.name}, {"symbol", k.symbol}, {"op", k.op},
                       {"num_args", k.numArgs}, {"num_scalars", k.numScalars}, {"args", args},
                       {"workgroups", symIntsJson(k.workgroups)}});
  }
  out["kernels"] = kernels;

  json program = json::array();
  for (const ProgramEntry &e : m.program) {
    json args = json::array();
    for (const ViewArg &v : e.args)
      args.push_back({{"buffer", v.buffer}, {"offset", v.offset}, {"shape", symIntsJson(v.shape)},
                      {"strides", symIntsJson(v.strides)}});
    program.push_back({{"kernel", e.kernel}, {"args", args}, {"scalars", symIntsJson(e.scalars)},
                       {"workgroups", symIntJson(e.workgroups)}});
  }
  out["program"] = program;
  return out;
}

} // namespace axe
