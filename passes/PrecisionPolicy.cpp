//===- PrecisionPolicy.cpp - precision policies ---------------------------===//

#include "passes/PrecisionPolicy.h"

#include "dialects/axe/AxeAttrs.h"

#include "support/Error.h"

#include "support/JsonObject.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace axe {

namespace {

// models/policies/default.json, embedded at build time.
#include "passes/DefaultPolicy.inc"

using json = nlohmann::json;

Precision parsePrecision(const json &v, const std::string &origin, const std::string &where) {
  if (v == "fp8")
    return Precision::fp8;
  if (v == "bf16")
    return Precision::bf16;
  if (v == "f32")
    return Precision::f32;
  throw Error(origin + ": " + where + " must be \"fp8\", \"bf16\" or \"f32\", got " + v.dump());
}

std::vector<std::string> stringList(const json &rule, const char *key, const std::string &origin,
                                    const std::string &where) {
  std::vector<std::string> out;
  auto it = rule.find(key);
  if (it == rule.end())
    return out;
  if (!it->is_array() || it->empty())
    throw Error(origin + ": " + where + "." + key + " must be a non-empty list of strings");
  for (const json &v : *it) {
    if (!v.is_string())
      throw Error(origin + ": " + where + "." + key + " must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

} // namespace

const char *precisionName(Precision p) {
  // stringifyPrecision returns a literal of the generated table: NUL-terminated.
  return mlir::axe::stringifyPrecision(p).data();
}

PrecisionPolicy PrecisionPolicy::load(const std::string &nameOrPath) {
  if (nameOrPath == "default")
    return parse(kDefaultPolicyJson, "built-in policy 'default'");
  if (nameOrPath == "bf16" || nameOrPath == "f32") {
    std::string p = nameOrPath;
    std::string why = p == "bf16" ? "every weight BF16 (reference for the FP8 map)"
                                  : "everything f32 (verification: isolates math from precision)";
    return parse("{\"name\": \"" + p + "\", \"activations\": \"" + p +
                     "\", \"rules\": [], \"default\": {\"precision\": \"" + p +
                     "\", \"why\": \"" + why + "\"}}",
                 "built-in policy '" + p + "'");
  }
  std::ifstream in(nameOrPath);
  if (!in)
    throw Error(nameOrPath + ": cannot read the policy file (built-in policies: default, bf16, f32)");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse(buffer.str(), nameOrPath);
}

PrecisionPolicy PrecisionPolicy::parse(const std::string &text, const std::string &origin) {
  json top = parseJsonObject(text, origin, "a policy");
  PrecisionPolicy policy;
  policy.name_ = top.value("name", origin);
  if (auto a = top.find("activations"); a != top.end()) {
    policy.activations_ = parsePrecision(*a, origin, "'activations'");
    if (policy.activations_ == Precision::fp8)
      throw Error(origin + ": 'activations' must be \"bf16\" or \"f32\"");
  }
  if (auto rules = top.find("rules"); rules != top.end()) {
    if (!rules->is_array())
      throw Error(origin + ": 'rules' must be a list");
    for (size_t i = 0; i < rules->size(); ++i) {
      const json &r = (*rules)[i];
      std::string where = "rules[" + std::to_string(i) + "]";
      if (!r.is_object() || !r.contains("precision"))
        throw Error(origin + ": " + where + " must be an object with a 'precision'");
      Rule rule;
      rule.precision = parsePrecision(r["precision"], origin, where + ".precision");
      rule.why = r.value("why", "");
      rule.roles = stringList(r, "roles", origin, where);
      for (const std::string &role : rule.roles)
        if (!mlir::axe::symbolizeRole(role))
          throw Error(origin + ": " + where + ".roles names unknown role '" + role + "'");
      for (const std::string &n : stringList(r, "names", origin, where)) {
        Pattern p;
        if (n.rfind("re:", 0) == 0) {
          p.isRegex = true;
          try {
            p.regex = std::regex(n.substr(3), std::regex::ECMAScript);
          } catch (const std::regex_error &e) {
            throw Error(origin + ": " + where + ".names has a bad regular expression '" + n +
                        "': " + e.what());
          }
        }
        p.exact = n;
        rule.names.push_back(std::move(p));
      }
      if (rule.roles.empty() && rule.names.empty())
        throw Error(origin + ": " + where + " matches nothing: give 'roles', 'names' or both");
      policy.rules_.push_back(std::move(rule));
    }
  }
  if (auto d = top.find("default"); d != top.end()) {
    if (!d->is_object() || !d->contains("precision"))
      throw Error(origin + ": 'default' must be an object with a 'precision'");
    policy.defaultPrecision_ = parsePrecision((*d)["precision"], origin, "default.precision");
    policy.defaultWhy_ = d->value("why", "");
  }
  return policy;
}

PolicyDecision PrecisionPolicy::decide(const std::string &role, const std::string &weightName) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule &r = rules_[i];
    bool roleOk = r.roles.empty() || std::find(r.roles.begin(), r.roles.end(), role) != r.roles.end();
    bool nameOk = r.names.empty();
    for (const Pattern &p : r.names)
      if (p.isRegex ? std::regex_match(weightName, p.regex) : p.exact == weightName)
        nameOk = true;
    if (roleOk && nameOk)
      return {r.precision, name_ + " rule " + std::to_string(i + 1) + (r.why.empty() ? "" : ": " + r.why)};
  }
  return {defaultPrecision_, name_ + " default" + (defaultWhy_.empty() ? "" : ": " + defaultWhy_)};
}

} // namespace axe
