//===- AssignPrecision.cpp - the axe-assign-precision pass ----------------===//

#include "passes/Passes.h"
#include "passes/PrecisionPolicy.h"

#include "support/Error.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <map>

namespace mlir::axe {
#define GEN_PASS_DEF_ASSIGNPRECISIONPASS
#include "passes/Passes.h.inc"
} // namespace mlir::axe

using namespace mlir;
using namespace mlir::axe;

namespace {

// One weight of one op, as the policy sees it.
struct WeightSite {
  Operation *op;
  unsigned operandIndex; // the weight operand
  std::string role;
  std::string name; // checkpoint name of the weight
  ::axe::PolicyDecision decision;
  bool storedFp8 = false; // the checkpoint already holds FP8 values
};

// Fused shards (vLLM fuses them into one module, spec §5.4): roles of one group, per layer.
const char *fusedGroupOf(const std::string &role) {
  if (role == "attn_q" || role == "attn_k" || role == "attn_v")
    return "q/k/v projections";
  if (role == "linear_attn_qkv" || role == "linear_attn_z")
    return "in_proj_qkv/in_proj_z";
  if (role == "linear_attn_b" || role == "linear_attn_a")
    return "in_proj_b/in_proj_a";
  if (role == "shared_gate" || role == "shared_up")
    return "shared expert gate/up";
  if (role == "expert_gate_up" || role == "expert_down")
    return "routed experts";
  return nullptr;
}

Type retype(Type t, Type from, Type to) {
  if (auto tensor = dyn_cast<RankedTensorType>(t))
    if (tensor.getElementType() == from)
      return tensor.clone(to);
  return t;
}

struct AssignPrecisionPass : public mlir::axe::impl::AssignPrecisionPassBase<AssignPrecisionPass> {
  using AssignPrecisionPassBase::AssignPrecisionPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<::axe::PrecisionPolicy> loaded;
    try {
      loaded = ::axe::PrecisionPolicy::load(policy);
    } catch (const ::axe::Error &e) {
      module.emitError() << "axe-assign-precision: " << e.what();
      return signalPassFailure();
    }
    const ::axe::PrecisionPolicy &p = *loaded;

    std::vector<WeightSite> sites;
    if (failed(collectSites(module, p, sites)) || failed(checkFusedShards(sites)) ||
        failed(checkSupported(sites)))
      return signalPassFailure();
    recordAndRetype(sites);
    if (p.activations() == ::axe::Precision::f32)
      retypeActivationsToF32(module);
  }

  LogicalResult collectSites(ModuleOp module, const ::axe::PrecisionPolicy &p,
                             std::vector<WeightSite> &sites) {
    bool ok = true;
    auto add = [&](Operation *op, unsigned index, StringRef role) {
      auto param = op->getOperand(index).getDefiningOp<ParamOp>();
      if (!param) {
        op->emitError() << "rule 'precision.weight_param': the " << role
                        << " weight must come from an axe.param";
        ok = false;
        return;
      }
      WeightSite site{op, index, role.str(), param.getName().str(), {}, false};
      site.decision = p.decide(site.role, site.name);
      site.storedFp8 = isa<Float8E4M3FNType>(getElementTypeOrSelf(param.getType()));
      sites.push_back(std::move(site));
    };
    module.walk([&](WeightOwnerOpInterface owner) {
      // An f8 x f8 linear is axe-quantize's output: its weight was decided already.
      if (auto linear = dyn_cast<LinearOp>(owner.getOperation()))
        if (isa<Float8E4M3FNType>(getElementTypeOrSelf(linear.getInput().getType())))
          return;
      for (auto [operand, role] : owner.getWeights())
        add(owner, operand, stringifyRole(role));
    });
    return success(ok);
  }

  LogicalResult checkFusedShards(std::vector<WeightSite> &sites) {
    // Per layer, from the location the importer gives every op of a layer (layerOf). Ops without
    // one (hand-written IR) count as one layer: the check may then over-report, never miss.
    std::map<std::pair<int64_t, std::string>, const WeightSite *> first;
    bool ok = true;
    for (WeightSite &s : sites) {
      const char *group = fusedGroupOf(s.role);
      if (!group)
        continue;
      ::axe::Precision want = s.storedFp8 ? ::axe::Precision::fp8 : s.decision.precision;
      auto [it, inserted] = first.emplace(std::make_pair(layerOf(s.op).value_or(-1), group), &s);
      if (inserted)
        continue;
      const WeightSite &o = *it->second;
      ::axe::Precision have = o.storedFp8 ? ::axe::Precision::fp8 : o.decision.precision;
      if (want != have) {
        s.op->emitError() << "rule 'precision.fused_shards': '" << o.name << "' ("
                          << ::axe::precisionName(have) << ", " << o.decision.rule << ") and '"
                          << s.name << "' (" << ::axe::precisionName(want) << ", "
                          << s.decision.rule << ") are fused shards (" << group
                          << ") and need one precision";
        ok = false;
      }
    }
    return success(ok);
  }

  LogicalResult checkSupported(std::vector<WeightSite> &sites) {
    bool ok = true;
    for (WeightSite &s : sites) {
      if (s.storedFp8) {
        if (s.decision.precision != ::axe::Precision::fp8)
          s.op->emitWarning() << "'" << s.name << "' is stored in FP8 by the checkpoint; kept FP8 "
                              << "although the policy asks " << ::axe::precisionName(s.decision.precision)
                              << " (" << s.decision.rule << ")";
        s.decision = {::axe::Precision::fp8, "checkpoint stores FP8 (kept as stored)"};
        continue;
      }
      if (s.decision.precision == ::axe::Precision::fp8 && s.role == "embedding") {
        s.op->emitError() << "rule 'precision.supported': FP8 is not supported for the "
                          << s.role << " ('" << s.name << "', " << s.decision.rule << ")";
        ok = false;
      }
      // A tied head is the embedding table itself, which stays BF16.
      if (s.decision.precision == ::axe::Precision::fp8 && s.role == "lm_head" &&
          llvm::any_of(s.op->getOperand(s.operandIndex).getUsers(), [](Operation *u) { return isa<EmbedOp>(u); })) {
        s.op->emitError() << "rule 'precision.supported': FP8 is not supported for a lm_head tied to the "
                          << "embedding ('" << s.name << "', " << s.decision.rule << ")";
        ok = false;
      }
    }
    return success(ok);
  }

  void recordAndRetype(std::vector<WeightSite> &sites) {
    OpBuilder b(&getContext());
    for (WeightSite &s : sites) {
      s.op->setAttr(kPrecisionAttr, PrecisionAttr::get(&getContext(), s.decision.precision));
      // Two weights of moe_experts share one decision (fused shards); keep the first reason.
      if (!s.op->hasAttr(kPrecisionRuleAttr))
        s.op->setAttr(kPrecisionRuleAttr, b.getStringAttr(s.decision.rule));
      if (s.storedFp8 || s.decision.precision == ::axe::Precision::fp8)
        continue;
      Type want = s.decision.precision == ::axe::Precision::f32 ? Type(b.getF32Type())
                                                                : Type(b.getBF16Type());
      auto param = s.op->getOperand(s.operandIndex).getDefiningOp<ParamOp>();
      auto type = cast<RankedTensorType>(param.getType());
      if (type.getElementType() == want)
        continue;
      b.setInsertionPointAfter(param);
      auto retyped = ParamOp::create(b, param.getLoc(), type.clone(want), param.getNameAttr(),
                                     param.getPartsAttr(), param.getEncodingAttr());
      s.op->setOperand(s.operandIndex, retyped.getResult());
      if (param->use_empty())
        param->erase();
    }
  }

  // Every bf16 tensor of the step (activations, norm and conv weights, caches, states) → f32.
  void retypeActivationsToF32(ModuleOp module) {
    Type bf16 = BFloat16Type::get(&getContext()), f32 = Float32Type::get(&getContext());
    module.walk([&](func::FuncOp func) {
      for (BlockArgument arg : func.getArguments())
        arg.setType(retype(arg.getType(), bf16, f32));
      func.walk([&](Operation *op) {
        for (OpResult r : op->getResults())
          r.setType(retype(r.getType(), bf16, f32));
      });
      SmallVector<Type> inputs, results;
      for (Type t : func.getArgumentTypes())
        inputs.push_back(retype(t, bf16, f32));
      for (Type t : func.getResultTypes())
        results.push_back(retype(t, bf16, f32));
      func.setType(FunctionType::get(&getContext(), inputs, results));
    });
  }
};

} // namespace
