//===- PrecisionPolicy.h - precision policies -----------------*- C++ -*-===//
//
// A policy maps each weight (by the role of the op that uses it and its checkpoint name) to a
// storage precision: rules tried in order, the first match decides, then a default. Built-ins:
// "default" (DESIGN.md §2, models/policies/default.json), "bf16" (every weight BF16) and "f32"
// (weights and activations f32: a verification policy that isolates math bugs from precision
// effects). A user policy is a JSON file of the same form (models/policies/example.json).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_PASSES_PRECISIONPOLICY_H
#define AXE_PASSES_PRECISIONPOLICY_H

#include "dialects/axe/AxeAttrs.h"

#include <regex>
#include <string>
#include <vector>

namespace axe {

// The dialect's enum (#axe.precision<...>): policies decide in the IR's own terms.
using Precision = mlir::axe::Precision;
// "fp8", "bf16" or "f32".
const char *precisionName(Precision p);

struct PolicyDecision {
  Precision precision;
  std::string rule; // which rule decided, and why
};

class PrecisionPolicy {
public:
  // "default", "bf16", "f32", or a path to a JSON policy. Throws axe::Error for a bad policy.
  static PrecisionPolicy load(const std::string &nameOrPath);
  static PrecisionPolicy parse(const std::string &json, const std::string &origin);

  const std::string &name() const { return name_; }
  // Precision of activations, norms' outputs and caches (bf16 or f32).
  Precision activations() const { return activations_; }
  PolicyDecision decide(const std::string &role, const std::string &weightName) const;

private:
  struct Pattern {
    std::string exact;
    bool isRegex = false;
    std::regex regex;
  };
  struct Rule {
    std::vector<std::string> roles;
    std::vector<Pattern> names;
    Precision precision;
    std::string why;
  };
  std::string name_;
  Precision activations_ = Precision::bf16;
  std::vector<Rule> rules_;
  Precision defaultPrecision_ = Precision::bf16;
  std::string defaultWhy_;
};

} // namespace axe

#endif // AXE_PASSES_PRECISIONPOLICY_H
