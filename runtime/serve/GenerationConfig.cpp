//===- GenerationConfig.cpp - the checkpoint's generation defaults --------===//

#include "runtime/serve/GenerationConfig.h"

#include "support/Error.h"
#include "support/JsonObject.h"
#include "support/RegularFile.h"

#include <cstdio>
#include <sys/stat.h>

namespace axe {

namespace {

constexpr uint64_t kMaxFileBytes = 1 << 20; // a generation config is a few hundred bytes

double number(const nlohmann::json &doc, const char *key, const std::string &path, double fallback) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null())
    return fallback;
  if (!it->is_number())
    throw Error(path + ": '" + key + "' must be a number");
  return it->get<double>();
}

} // namespace

std::string GenerationConfig::describe() const {
  if (defaults.temperature == 0.0)
    return "";
  char buf[160];
  std::snprintf(buf, sizeof buf, "temperature=%g top_k=%lld top_p=%g min_p=%g repetition_penalty=%g",
                defaults.temperature, (long long)defaults.topK, defaults.topP, defaults.minP,
                defaults.repetitionPenalty);
  return buf;
}

GenerationConfig loadGenerationConfig(const std::string &dir) {
  GenerationConfig config;
  std::string path = dir + "/generation_config.json";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return config;
  std::string text = readRegularFile(path, kMaxFileBytes, "a generation config");
  nlohmann::json doc = parseJsonObject(text, path, "a generation config");
  config.present = true;

  if (auto it = doc.find("eos_token_id"); it != doc.end() && !it->is_null()) {
    auto add = [&](const nlohmann::json &v) {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX)
        throw Error(path + ": 'eos_token_id' must be a token id or a list of them");
      config.eosTokenIds.push_back(v.get<int64_t>());
    };
    if (it->is_array())
      for (const nlohmann::json &v : *it)
        add(v);
    else
      add(*it);
  }

  bool doSample = false;
  if (auto it = doc.find("do_sample"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean())
      throw Error(path + ": 'do_sample' must be true or false");
    doSample = it->get<bool>();
  }
  if (doSample) {
    SamplingParams &p = config.defaults;
    p.temperature = number(doc, "temperature", path, 1.0);
    double topK = number(doc, "top_k", path, 0.0);
    if (topK < 0 || topK > INT32_MAX || topK != double(int64_t(topK)))
      throw Error(path + ": 'top_k' must be a non-negative integer");
    p.topK = int64_t(topK);
    p.topP = number(doc, "top_p", path, 1.0);
    p.minP = number(doc, "min_p", path, 0.0);
    p.repetitionPenalty = number(doc, "repetition_penalty", path, 1.0);
    try {
      p.validate();
    } catch (const Error &e) {
      throw Error(path + ": " + e.what());
    }
  }
  return config;
}

} // namespace axe
