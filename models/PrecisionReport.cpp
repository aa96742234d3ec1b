//===- PrecisionReport.cpp - what the precision map did -------------------===//

#include "models/PrecisionReport.h"

#include "models/WeightTable.h"
#include "support/Shape.h"

#include "llvm/Support/Format.h"

#include <nlohmann/json.hpp>

#include <map>

namespace axe {

namespace {

std::string withCommas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<size_t>(i), ",");
  return s;
}

struct Total {
  uint64_t tensors = 0, parameters = 0, bytes = 0;
};

} // namespace

void printPrecisionReport(mlir::ModuleOp module, const std::string &policyName,
                          const std::string &format, llvm::raw_ostream &os) {
  std::vector<WeightEntry> weights = collectWeights(module);
  StateSizes state = collectStateSizes(module);
  std::map<std::string, Total> totals; // by precision
  uint64_t parameters = 0, bytes = 0, allBf16 = 0;
  for (const WeightEntry &w : weights) {
    Total &t = totals[w.precision];
    ++t.tensors;
    t.bytes += w.desc.numBytes();
    bytes += w.desc.numBytes();
    if (!w.isScale()) { // scales are not model parameters
      t.parameters += shapeElements(w.desc.shape);
      parameters += shapeElements(w.desc.shape);
      allBf16 += 2 * shapeElements(w.desc.shape);
    }
  }
  std::string modelType;
  if (auto t = module->getAttrOfType<mlir::StringAttr>("axe.model_type"))
    modelType = t.getValue().str();

  if (format == "json") {
    nlohmann::ordered_json j;
    j["model_type"] = modelType;
    j["policy"] = policyName;
    for (const WeightEntry &w : weights) {
      nlohmann::ordered_json row = {{"name", w.desc.name}, {"role", w.role},
                                    {"shape", w.desc.shape}, {"precision", w.precision},
                                    {"dtype", dtypeName(w.desc.dtype)},
                                    {"bytes", w.desc.numBytes()}, {"rule", w.rule}};
      if (!w.desc.parts.empty())
        row["parts"] = w.desc.parts.size();
      j["tensors"].push_back(row);
    }
    for (auto &[precision, t] : totals)
      j["totals"][precision] = {{"tensors", t.tensors}, {"parameters", t.parameters},
                                {"bytes", t.bytes}};
    j["parameters"] = parameters;
    j["bytes"] = bytes;
    j["all_bf16_bytes"] = allBf16;
    j["kv_cache_bytes_per_token"] = {{"bf16", state.kvBytesPerTokenBf16},
                                     {"fp8", state.kvBytesPerTokenFp8},
                                     {"this_artifact", state.kvBytesPerToken}};
    j["recurrent_state_bytes_per_sequence"] = state.recurrentBytesPerSequence;
    os << j.dump(2) << "\n";
    return;
  }

  os << "# Precision report: " << modelType << ", policy " << policyName << "\n\n";
  os << "| tensor | role | shape | precision | bytes | rule |\n|---|---|---|---|---:|---|\n";
  for (const WeightEntry &w : weights) {
    std::string name = w.desc.name;
    if (!w.desc.parts.empty())
      name += " (" + std::to_string(w.desc.parts.size()) + " parts)";
    os << "| " << name << " | " << w.role << " | " << shapeString(w.desc.shape) << " | "
       << w.precision << " | " << withCommas(w.desc.numBytes()) << " | " << w.rule << " |\n";
  }
  os << "\n## Totals\n\n| precision | tensors | parameters | bytes | GB |\n|---|---:|---:|---:|---:|\n";
  for (auto &[precision, t] : totals)
    os << "| " << precision << " | " << t.tensors << " | " << withCommas(t.parameters) << " | "
       << withCommas(t.bytes) << " | " << llvm::format("%.2f", t.bytes / 1e9) << " |\n";
  os << "| all | " << weights.size() << " | " << withCommas(parameters) << " | "
     << withCommas(bytes) << " | " << llvm::format("%.2f", bytes / 1e9) << " |\n\n";
  os << "All-BF16 size: " << withCommas(allBf16) << " bytes ("
     << llvm::format("%.2f", allBf16 / 1e9) << " GB); this map: "
     << llvm::format("%.2f", bytes / 1e9) << " GB ("
     << llvm::format("%.1f", allBf16 ? 100.0 * bytes / allBf16 : 0.0) << " %)\n";
  os << "KV cache per token: " << withCommas(state.kvBytesPerTokenBf16) << " B in BF16, "
     << withCommas(state.kvBytesPerTokenFp8) << " B in FP8 (this artifact: "
     << withCommas(state.kvBytesPerToken) << " B)\n";
  os << "Recurrent state per sequence: " << withCommas(state.recurrentBytesPerSequence) << " B ("
     << llvm::format("%.2f", state.recurrentBytesPerSequence / 1048576.0) << " MiB)\n";
}

} // namespace axe
