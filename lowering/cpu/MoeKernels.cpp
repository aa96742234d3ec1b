//===- MoeKernels.cpp - routing and the grouped SwiGLU experts ------------===//
//
// Routing: one workgroup per token: softmax over all experts, top-k, renormalise. Experts: the
// gate/up rows, SiLU·mul, then the down rows, each split over output channels; every token's
// experts are weighted into its output. FP8 experts quantize the token and the SwiGLU product
// dynamically (per token, or per 1 x bk group with block scales) and accumulate e4m3 products in
// f32, as axe.fp8_linear does. The grids never depend on routing.
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/CpuKernels.h"

#include "dialects/axe/AxeOps.h"

#include <cmath>

namespace axe::cpu {

using namespace mlir;
namespace ir = mlir::axe;

namespace {

LogicalResult lowerRoute(ir::MoeRouteOp op, Lowering &L) {
  ViewArg logits = L.view(op.getLogits());
  ViewArg ids = L.result(op.getExpertIds()), weights = L.result(op.getExpertWeights());
  int64_t experts = tensorType(op.getLogits()).getDimSize(1), topK = op.getTopK();
  bool renormalize = op.getRenormalize();
  std::vector<KernelArg> args = {{"logits", logits, L.memrefType(tensorType(op.getLogits()))},
      {"ids", ids, L.memrefType(tensorType(op.getExpertIds()))},
      {"weights", weights, L.memrefType(tensorType(op.getExpertWeights()))}};
  int kernel = L.kernel("axe.moe_route", args,
                        0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value logitsView = a["logits"], idsView = a["ids"], weightsView = a["weights"];
    Value prob = kb.scratch({experts}, kb.builder().getF32Type());
    kb.forLoop(wb, we, [&](Value t) {
      Value m = kb.reduce1(kb.idx(0), kb.idx(experts), kb.f32(-INFINITY),
                           [&](Value e, Value acc) { return kb.max(acc, kb.load(logitsView, {t, e})); });
      Value sum = kb.reduce1(kb.idx(0), kb.idx(experts), kb.f32(0.0f), [&](Value e, Value acc) {
        Value p = kb.exp(kb.sub(kb.load(logitsView, {t, e}), m));
        kb.store(p, prob, {e});
        return kb.add(acc, p);
      });
      // Top-k by repeated arg-max; a taken expert's probability becomes -1 (all others are >= 0).
      Value chosen = kb.reduce1(kb.idx(0), kb.idx(topK), kb.f32(0.0f), [&](Value i, Value total) {
        SmallVector<Value> best = kb.reduce(
            kb.idx(0), kb.idx(experts), {kb.f32(-2.0f), kb.idx(0)},
            [&](Value e, ArrayRef<Value> acc) -> SmallVector<Value> {
              Value p = kb.load(prob, {e});
              Value better = kb.cmpf(arith::CmpFPredicate::OGT, p, acc[0]);
              return {kb.select(better, p, acc[0]), kb.select(better, e, acc[1])};
            });
        Value p = kb.div(best[0], sum);
        kb.storeIndex(best[1], idsView, {t, i});
        kb.store(p, weightsView, {t, i});
        kb.store(kb.f32(-1.0f), prob, {best[1]});
        return kb.add(total, p);
      });
      if (renormalize)
        kb.forLoop(0, topK, [&](Value i) { kb.store(kb.div(kb.load(weightsView, {t, i}), chosen), weightsView, {t, i}); });
    });
  });
  L.dispatch(kernel, args, {}, logits.shape[0]);
  return success();
}

// The experts in two GEMM-shaped dispatches that split output channels across workgroups, as
// the linear layers do, so that a decode step (one token) keeps every thread busy:
//   gate_up: act[t, slot, r] = silu(x_t . gate_e[r]) * (x_t . up_e[r]) over rows r, e = ids[t, slot];
//   down:    out[t, c] = sum_slot weight[t, slot] * (act[t, slot] . down_e[c]) over channels c.
// FP8 experts add a per-token quantization of x before the first and of act before the second.
LogicalResult lowerExperts(ir::MoeExpertsOp op, Lowering &L) {
  auto xt = tensorType(op.getInput()), gut = tensorType(op.getGateUp()), dnt = tensorType(op.getDown());
  auto idt = tensorType(op.getExpertIds()), wtt = tensorType(op.getExpertWeights());
  int64_t hidden = xt.getDimSize(1), experts = gut.getDimSize(0), inter = gut.getDimSize(1) / 2;
  int64_t topK = idt.getDimSize(1);
  bool fp8 = static_cast<bool>(op.getGateUpScale());
  std::optional<ArrayRef<int64_t>> block = op.getWeightBlock();
  int64_t bn = block ? (*block)[0] : 0, bk = block ? (*block)[1] : 0;
  int64_t xGroup = block ? bk : hidden, actGroup = block ? bk : inter;
  Type rounding = xt.getElementType(); // intermediate activations are stored in this type
  MLIRContext *ctx = L.context();
  // The quantized x and act keep their e4m3 values widened to f32 (exact; see quantizeKernel).
  Type f32 = Float32Type::get(ctx), e4m3Values = f32;
  constexpr int64_t kDyn = ShapedType::kDynamic;

  // dot(input row at inAt, K in groups) with weight row r of expert e: plain, or e4m3 products
  // scaled per K group by the input's scale (scaleAt(g)) and the weight's.
  auto expertDot = [=](KernelBuilder &kb, Value input, SmallVector<Value> inAt, int64_t k, int64_t group,
                       const std::function<Value(Value)> &inputScale, Value w, Value ws, Value e,
                       Value r) -> Value {
    if (!fp8)
      return kb.dot(input, inAt, w, {e, r}, kb.idx(0), k);
    return kb.reduce1(kb.idx(0), kb.idx(k / group), kb.f32(0.0f), [&](Value g, Value sum) {
      Value base = kb.muli(g, kb.idx(group));
      Value partial = kb.dot(input, inAt, w, {e, r}, base, group); // both rows' group starts at base
      Value wscale = block ? kb.load(ws, {e, kb.divui(r, kb.idx(bn)), g}) : kb.load(ws, {e, r});
      return kb.add(sum, kb.mul(partial, kb.mul(inputScale(g), wscale)));
    });
  };
  // The expert of (t, slot), and whether the id is valid (an invalid one weighs nothing).
  auto expertOf = [=](KernelBuilder &kb, Value ids, Value t, Value slot) -> std::pair<Value, Value> {
    Value e = kb.loadIndex(ids, {t, slot});
    Value inRange = kb.cmpi(arith::CmpIPredicate::ult, e, kb.idx(experts));
    return {kb.select(inRange, e, kb.idx(0)), inRange};
  };

  ViewArg x = L.view(op.getInput()), ids = L.view(op.getExpertIds()), weights = L.view(op.getExpertWeights());
  ViewArg gu = L.view(op.getGateUp()), dn = L.view(op.getDown());
  ViewArg sgu, sdn;
  if (fp8) {
    sgu = L.view(op.getGateUpScale());
    sdn = L.view(op.getDownScale());
  }
  // Quantized input (FP8): codes [T, H] and scales [T] or [T, H / bk].
  auto xCodesType = RankedTensorType::get({kDyn, hidden}, e4m3Values);
  auto xScalesType = block ? RankedTensorType::get({kDyn, hidden / bk}, f32) : RankedTensorType::get({kDyn}, f32);
  ViewArg xIn = x, xScales;
  if (fp8) {
    xIn = L.temp(xCodesType, "moe_x8_");
    xScales = L.temp(xScalesType, "moe_xs_");
    quantizeInto(L, {"in", x, L.memrefType(xt)}, {"codes", xIn, L.memrefType(xCodesType)},
                 {"scales", xScales, L.memrefType(xScalesType)}, xGroup);
  }
  auto xInType = fp8 ? xCodesType : xt;

  // act [T, topK, I]; the quantizer and its scales see it as [T, topK * I].
  auto actType = RankedTensorType::get({kDyn, topK, inter}, rounding);
  auto actFlatType = RankedTensorType::get({kDyn, topK * inter}, rounding);
  ViewArg act = L.temp(actType, "moe_act_");
  auto flat = [&](ViewArg v) {
    v.shape = {v.shape[0], SymInt::of(topK * inter)};
    v.strides = {SymInt::of(topK * inter), SymInt::of(1)};
    return v;
  };
  std::vector<KernelArg> guArgs{{"x", xIn, L.memrefType(xInType)}, {"ids", ids, L.memrefType(idt)},
                                {"gateUp", gu, L.memrefType(gut)}, {"act", act, L.memrefType(actType)}};
  if (fp8)
    guArgs.insert(guArgs.end(), {{"xScales", xScales, L.memrefType(xScalesType)},
                                 {"gateUpScales", sgu, L.memrefType(tensorType(op.getGateUpScale()))}});
  int gateUp = L.kernel("axe.moe_experts", guArgs, 0,
                        [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value xView = a["x"], idsView = a["ids"], gateUpView = a["gateUp"], actView = a["act"];
    Value xScalesView = fp8 ? a["xScales"] : Value(), gateUpScalesView = fp8 ? a["gateUpScales"] : Value();
    Value tokens = kb.dim(xView, 0);
    kb.forLoop(wb, we, [&](Value r) {
      kb.forLoop(kb.idx(0), tokens, [&](Value t) {
        auto scaleOf = [&](Value g) { return block ? kb.load(xScalesView, {t, g}) : kb.load(xScalesView, {t}); };
        kb.forLoop(0, topK, [&](Value slot) {
          Value e = expertOf(kb, idsView, t, slot).first;
          Value ws = gateUpScalesView;
          Value gate = kb.roundTo(rounding, expertDot(kb, xView, {t}, hidden, xGroup, scaleOf, gateUpView, ws, e, r));
          Value up = kb.roundTo(rounding, expertDot(kb, xView, {t}, hidden, xGroup, scaleOf, gateUpView, ws, e,
                                                    kb.addi(r, kb.idx(inter))));
          kb.store(kb.mul(kb.silu(gate), up), actView, {t, slot, r});
        });
      });
    });
  });
  L.dispatch(gateUp, guArgs, {}, SymInt::of(inter));

  // Quantized act (FP8): codes [T, topK, I] and scales [T, topK * I / group].
  auto actCodesType = RankedTensorType::get({kDyn, topK, inter}, e4m3Values);
  auto actCodesFlatType = RankedTensorType::get({kDyn, topK * inter}, e4m3Values);
  auto actScalesType = RankedTensorType::get({kDyn, topK * inter / actGroup}, f32);
  ViewArg actIn = act, actScales;
  if (fp8) {
    actIn = L.temp(actCodesType, "moe_act8_");
    actScales = L.temp(actScalesType, "moe_acts_");
    quantizeInto(L, {"in", flat(act), L.memrefType(actFlatType)},
                 {"codes", flat(actIn), L.memrefType(actCodesFlatType)},
                 {"scales", actScales, L.memrefType(actScalesType)}, actGroup);
  }
  auto actInType = fp8 ? actCodesType : actType;

  ViewArg out = L.result(op.getResult());
  std::vector<KernelArg> dnArgs{{"act", actIn, L.memrefType(actInType)}, {"ids", ids, L.memrefType(idt)},
                                {"weights", weights, L.memrefType(wtt)}, {"down", dn, L.memrefType(dnt)},
                                {"out", out, L.memrefType(tensorType(op.getResult()))}};
  if (fp8)
    dnArgs.insert(dnArgs.end(), {{"actScales", actScales, L.memrefType(actScalesType)},
                                 {"downScales", sdn, L.memrefType(tensorType(op.getDownScale()))}});
  int down = L.kernel("axe.moe_experts", dnArgs, 0,
                      [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value actView = a["act"], idsView = a["ids"], weightsView = a["weights"], downView = a["down"], outView = a["out"];
    Value actScalesView = fp8 ? a["actScales"] : Value(), downScalesView = fp8 ? a["downScales"] : Value();
    Value tokens = kb.dim(actView, 0);
    kb.forLoop(wb, we, [&](Value c) {
      kb.forLoop(kb.idx(0), tokens, [&](Value t) {
        Value y = kb.reduce1(kb.idx(0), kb.idx(topK), kb.f32(0.0f), [&](Value slot, Value sum) {
          auto [e, valid] = expertOf(kb, idsView, t, slot);
          Value weight = kb.select(valid, kb.load(weightsView, {t, slot}), kb.f32(0.0f));
          Value groupsBefore = kb.muli(slot, kb.idx(inter / actGroup));
          auto scaleOf = [&](Value g) { return kb.load(actScalesView, {t, kb.addi(groupsBefore, g)}); };
          Value part = expertDot(kb, actView, {t, slot}, inter, actGroup, scaleOf, downView, downScalesView, e, c);
          return kb.add(sum, kb.mul(weight, kb.roundTo(rounding, part)));
        });
        kb.store(y, outView, {t, c});
      });
    });
  });
  L.dispatch(down, dnArgs, {}, SymInt::of(hidden));
  return success();
}

} // namespace

void populateMoePatterns(RewritePatternSet &patterns, DispatchFormation &formation) {
  addDispatchPattern<ir::MoeRouteOp>(patterns, formation, lowerRoute);
  addDispatchPattern<ir::MoeExpertsOp>(patterns, formation, lowerExperts);
}

} // namespace axe::cpu
