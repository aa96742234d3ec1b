//===- CheckpointExport.cpp - the FP8 checkpoint that vLLM loads ----------===//

#include "models/CheckpointExport.h"

#include "models/ModelConfig.h"
#include "models/ParamMaterializer.h"
#include "models/WeightTable.h"
#include "support/RegularFile.h"
#include "support/SafetensorsWriter.h"
#include "support/TempDir.h"

#include "dialects/axe/AxeOps.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>

namespace axe {

namespace {

namespace fs = std::filesystem;
namespace ir = mlir::axe;

struct OutTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t bytes;
  size_t shard = 0;
};

// One stream of bytes (a copied tensor, or a param's values or scales) cut into consecutive
// output tensors.
struct Job {
  std::string copyOf; // checkpoint tensor to copy; empty for a param
  ParamDesc param;
  std::vector<size_t> outputs;
};

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string scaleName(const std::string &weightName) {
  return weightName.substr(0, weightName.size() - std::string("weight").size()) + "weight_scale";
}

std::string regexEscape(const std::string &s) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, special, R"(\$&)");
}

class Exporter {
public:
  Exporter(mlir::ModuleOp module, const Checkpoint &ckpt, const ExportOptions &options)
      : module(module), ckpt(ckpt), options(options) {}

  void run(const std::string &outDir);

private:
  size_t addOutput(const std::string &name, DType dtype, std::vector<int64_t> shape) {
    uint64_t n = 1;
    for (int64_t d : shape)
      n *= static_cast<uint64_t>(d);
    outputs.push_back({name, dtype, std::move(shape), n * dtypeSize(dtype)});
    return outputs.size() - 1;
  }

  // Output tensors of one FP8 weight: values and scales per HF Linear module.
  void planFp8(const WeightEntry &values, const WeightEntry &scales);
  void planIgnoreList();
  void assignShards();
  void writeShards(const fs::path &dir);
  void writeConfig(const fs::path &dir);

  mlir::ModuleOp module;
  const Checkpoint &ckpt;
  const ExportOptions &options;
  std::vector<OutTensor> outputs;
  std::vector<Job> jobs;
  std::set<std::string> consumed; // checkpoint tensors replaced by FP8 ones
  std::vector<std::string> ignore;
  size_t numShards = 1;
};

void Exporter::planFp8(const WeightEntry &values, const WeightEntry &scales) {
  const ParamDesc &p = values.desc;
  // (weight name, rows) of each HF Linear the param holds, in row order.
  std::vector<std::pair<std::string, int64_t>> modules;
  int64_t cols = p.shape.back();
  if (!p.parts.empty()) {
    for (const std::string &part : p.parts) {
      const TensorInfo *info = ckpt.get(part).info;
      if (info->shape.size() != 2 || info->shape[1] != cols || !endsWith(part, ".weight"))
        throw Error("cannot export '" + part + "': per-expert FP8 parts must be [rows, " +
                    std::to_string(cols) + "] '.weight' tensors");
      modules.push_back({part, info->shape[0]});
    }
  } else if (p.shape.size() == 2 && endsWith(p.name, ".weight")) {
    modules.push_back({p.name, p.shape[0]});
  } else if (p.shape.size() == 3 && endsWith(p.name, "experts.gate_up_proj")) {
    std::string base = p.name.substr(0, p.name.size() - std::string("gate_up_proj").size());
    for (int64_t e = 0; e < p.shape[0]; ++e) {
      modules.push_back({base + std::to_string(e) + ".gate_proj.weight", p.shape[1] / 2});
      modules.push_back({base + std::to_string(e) + ".up_proj.weight", p.shape[1] / 2});
    }
  } else if (p.shape.size() == 3 && endsWith(p.name, "experts.down_proj")) {
    std::string base = p.name.substr(0, p.name.size() - std::string("down_proj").size());
    for (int64_t e = 0; e < p.shape[0]; ++e)
      modules.push_back({base + std::to_string(e) + ".down_proj.weight", p.shape[1]});
  } else {
    throw Error("cannot export FP8 param '" + p.name + "' to compressed-tensors: not a Linear "
                "weight or a fused expert tensor");
  }
  Job v{"", values.desc, {}}, s{"", scales.desc, {}};
  for (auto &[name, rows] : modules) {
    v.outputs.push_back(addOutput(name, DType::F8_E4M3, {rows, cols}));
    s.outputs.push_back(addOutput(scaleName(name), DType::F32, {rows, 1}));
  }
  jobs.push_back(std::move(v));
  jobs.push_back(std::move(s));
  if (p.parts.empty())
    consumed.insert(p.name);
  consumed.insert(p.parts.begin(), p.parts.end());
}

void Exporter::planIgnoreList() {
  // Every Linear the map keeps in BF16 by its exact module name (vLLM matches ignore entries
  // after its own name mapping; HF by substring), plus the parts axe does not compile.
  std::set<std::string> names;
  module.walk([&](mlir::Operation *op) {
    auto precision = op->getAttrOfType<ir::PrecisionAttr>(ir::kPrecisionAttr);
    if (!precision || precision.getValue() == ir::Precision::fp8)
      return;
    if (auto l = mlir::dyn_cast<ir::LinearOp>(op)) {
      std::string w = l.getWeight().getDefiningOp<ir::ParamOp>().getName().str();
      names.insert(endsWith(w, ".weight") ? w.substr(0, w.size() - 7) : w);
    } else if (auto e = mlir::dyn_cast<ir::MoeExpertsOp>(op)) {
      std::string w = e.getGateUp().getDefiningOp<ir::ParamOp>().getName().str();
      // vLLM matches regexes against its own module names (spec §5.2): start with ".*".
      std::string layer = w.substr(0, w.rfind("mlp.experts."));
      size_t at = layer.rfind("layers.");
      names.insert("re:.*" + regexEscape(at == std::string::npos ? layer : layer.substr(at)) +
                   "mlp\\.experts.*");
    } else if (mlir::isa<ir::LogitsOp>(op)) {
      names.insert("lm_head");
    }
  });
  ignore.assign(names.begin(), names.end());
  ignore.push_back("re:.*visual.*"); // the vision tower is not compiled: it stays as it was
  ignore.push_back("re:.*mtp.*");
}

void Exporter::assignShards() {
  uint64_t used = 0;
  size_t shard = 0;
  for (OutTensor &t : outputs) {
    if (used && used + t.bytes > options.maxShardBytes) {
      ++shard;
      used = 0;
    }
    t.shard = shard;
    used += t.bytes;
  }
  numShards = shard + 1;
}

void Exporter::writeShards(const fs::path &dir) {
  auto shardName = [&](size_t i) {
    if (numShards == 1)
      return std::string("model.safetensors");
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, numShards);
    return std::string(buf);
  };
  std::vector<std::unique_ptr<SafetensorsWriter>> writers;
  for (size_t i = 0; i < numShards; ++i) {
    writers.push_back(std::make_unique<SafetensorsWriter>((dir / shardName(i)).string()));
    writers.back()->setMetadata("format", "pt");
  }
  // Declaration order is job order, so each shard receives its tensors in the order it declared.
  for (const Job &job : jobs)
    for (size_t o : job.outputs)
      writers[outputs[o].shard]->declare(outputs[o].name, outputs[o].dtype, outputs[o].shape);
  uint64_t totalBytes = 0;
  for (auto &w : writers) {
    w->begin();
    totalBytes += w->dataBytes();
  }
  Progress &progress = options.progress ? *options.progress : Progress::silent();
  progress.beginTask("tensors", totalBytes);

  for (const Job &job : jobs) {
    size_t next = 0;
    uint64_t left = outputs[job.outputs[0]].bytes;
    auto sink = [&](const void *data, size_t bytes) {
      const uint8_t *p = static_cast<const uint8_t *>(data);
      while (bytes) {
        while (left == 0) {
          if (++next == job.outputs.size())
            throw Error("param '" + job.param.name + "' produced more bytes than its tensors hold");
          left = outputs[job.outputs[next]].bytes;
        }
        size_t n = static_cast<size_t>(std::min<uint64_t>(left, bytes));
        writers[outputs[job.outputs[next]].shard]->write(p, n);
        progress.advance(n);
        p += n;
        bytes -= n;
        left -= n;
      }
    };
    if (!job.copyOf.empty()) {
      TensorView v = ckpt.get(job.copyOf);
      if (!options.allowNonFiniteWeights)
        checkFinite(v);
      sink(v.data, v.info->numBytes());
      ckpt.release(job.copyOf);
    } else {
      materializeParam(ckpt, job.param, sink, {options.allowNonFiniteWeights});
    }
  }
  for (auto &w : writers)
    w->finish();
  progress.endTask();

  if (numShards > 1) {
    nlohmann::ordered_json index;
    uint64_t total = 0;
    for (const OutTensor &t : outputs)
      total += t.bytes;
    index["metadata"] = {{"total_size", total}};
    for (const OutTensor &t : outputs)
      index["weight_map"][t.name] = shardName(t.shard);
    std::ofstream((dir / "model.safetensors.index.json").string()) << index.dump(2) << "\n";
  }
}

void Exporter::writeConfig(const fs::path &dir) {
  std::string srcPath = ckpt.dir() + "/config.json";
  std::string text = readRegularFile(srcPath, kMaxConfigBytes, "a model config");
  nlohmann::ordered_json config;
  try {
    config = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception &e) { // parse_error, or out_of_range for 1e999
    throw Error(srcPath + ": malformed JSON: " + e.what());
  }
  nlohmann::ordered_json scheme = {{"num_bits", 8}, {"type", "float"}, {"symmetric", true},
                                   {"group_size", nullptr}, {"block_structure", nullptr},
                                   {"actorder", nullptr}, {"observer_kwargs", nlohmann::json::object()}};
  nlohmann::ordered_json weights = scheme, activations = scheme;
  weights["strategy"] = "channel";
  weights["dynamic"] = false;
  weights["observer"] = "minmax";
  activations["strategy"] = "token";
  activations["dynamic"] = true;
  activations["observer"] = nullptr;
  config["quantization_config"] = {
      {"quant_method", "compressed-tensors"},
      {"format", "float-quantized"},
      {"quantization_status", "compressed"},
      {"config_groups",
       {{"group_0",
         {{"targets", {"Linear"}},
          {"weights", weights},
          {"input_activations", activations},
          {"output_activations", nullptr},
          {"format", "float-quantized"}}}}},
      {"ignore", ignore},
      {"kv_cache_scheme", nullptr},
      {"global_compression_ratio", nullptr},
  };
  std::ofstream((dir / "config.json").string()) << config.dump(2) << "\n";
}

void Exporter::run(const std::string &outDirName) {
  fs::path outDir(outDirName);
  if (fs::exists(outDir))
    throw Error(outDirName + ": already exists; axe does not overwrite a checkpoint");

  {
    std::string text = readRegularFile(ckpt.dir() + "/config.json", kMaxConfigBytes, "a model config");
    if (text.find("\"quantization_config\"") != std::string::npos)
      throw Error(ckpt.dir() + "/config.json: the checkpoint is already quantized; export from "
                  "its BF16 weights");
  }
  std::vector<WeightEntry> weights = collectWeights(module);
  std::map<std::pair<std::string, std::vector<std::string>>, const WeightEntry *> scales;
  for (const WeightEntry &w : weights) {
    if (w.desc.encoding == ParamEncoding::Fp8Block || w.desc.encoding == ParamEncoding::Fp8BlockScale)
      throw Error("the compressed-tensors export stores per-channel scales: compile with "
                  "--quant-scheme=channel");
    if (w.desc.encoding == ParamEncoding::Fp8ChannelScale)
      scales[{w.desc.name, w.desc.parts}] = &w;
  }
  for (const WeightEntry &w : weights)
    if (w.desc.encoding == ParamEncoding::Fp8Channel)
      planFp8(w, *scales.at({w.desc.name, w.desc.parts}));
  for (const std::string &name : ckpt.names()) {
    if (consumed.count(name))
      continue;
    const TensorInfo *info = ckpt.get(name).info;
    Job copy{name, {}, {addOutput(name, info->dtype, info->shape)}};
    jobs.push_back(std::move(copy));
  }
  planIgnoreList();
  assignShards();

  TempDir tmp(outDir, options.progress);
  writeShards(tmp.path());
  writeConfig(tmp.path());
  for (const fs::directory_entry &e : fs::directory_iterator(ckpt.dir())) {
    std::string n = e.path().filename().string();
    if (e.is_regular_file() && n != "config.json" && n != "model.safetensors.index.json" &&
        !endsWith(n, ".safetensors"))
      fs::copy_file(e.path(), tmp.path() / n);
  }
  tmp.commit();
}

} // namespace

void exportFp8Checkpoint(mlir::ModuleOp module, const Checkpoint &checkpoint,
                         const std::string &outDir, const ExportOptions &options) {
  Exporter(module, checkpoint, options).run(outDir);
}

} // namespace axe
