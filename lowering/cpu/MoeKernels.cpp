//===- MoeKernels.cpp - routing and the grouped SwiGLU experts ------------===//
//
// One workgroup per token: softmax over all experts, top-k, renormalise; then each of the token's
// experts (gate and up rows, SiLU·mul, down) weighted into the token's output. FP8 experts
// quantize the token and the SwiGLU product dynamically (per token, or per 1 x bk group with
// block scales) and accumulate e4m3 products in f32, as axe.fp8_linear does. The grid never
// depends on routing: it is the token count.
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
  View logits = L.view(op.getLogits());
  View ids = L.result(op.getExpertIds()), weights = L.result(op.getExpertWeights());
  int64_t experts = tensorType(op.getLogits()).getDimSize(1), topK = op.getTopK();
  bool renormalize = op.getRenormalize();
  int kernel = L.kernel("axe.moe_route", Lowering::keyOf(op),
                        {L.memrefType(tensorType(op.getLogits())), L.memrefType(tensorType(op.getExpertIds())),
                         L.memrefType(tensorType(op.getExpertWeights()))},
                        0, [=](KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value>, Value wb, Value we) {
    Value prob = kb.scratch({experts}, kb.builder().getF32Type());
    kb.forLoop(wb, we, [&](Value t) {
      Value m = kb.reduce1(kb.idx(0), kb.idx(experts), kb.f32(-INFINITY),
                           [&](Value e, Value acc) { return kb.max(acc, kb.load(a[0], {t, e})); });
      Value sum = kb.reduce1(kb.idx(0), kb.idx(experts), kb.f32(0.0f), [&](Value e, Value acc) {
        Value p = kb.exp(kb.sub(kb.load(a[0], {t, e}), m));
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
        kb.storeIndex(best[1], a[1], {t, i});
        kb.store(p, a[2], {t, i});
        kb.store(kb.f32(-1.0f), prob, {best[1]});
        return kb.add(total, p);
      });
      if (renormalize)
        kb.forLoop(0, topK, [&](Value i) { kb.store(kb.div(kb.load(a[2], {t, i}), chosen), a[2], {t, i}); });
    });
  });
  L.dispatch(kernel, {logits, ids, weights}, {}, logits.shape[0]);
  return success();
}

LogicalResult lowerExperts(ir::MoeExpertsOp op, Lowering &L) {
  auto xt = tensorType(op.getInput()), gut = tensorType(op.getGateUp()), dnt = tensorType(op.getDown());
  int64_t hidden = xt.getDimSize(1), experts = gut.getDimSize(0), inter = gut.getDimSize(1) / 2;
  int64_t topK = tensorType(op.getExpertIds()).getDimSize(1);
  bool fp8 = static_cast<bool>(op.getGateUpScale());
  std::optional<ArrayRef<int64_t>> block = op.getWeightBlock();
  int64_t bn = block ? (*block)[0] : 0, bk = block ? (*block)[1] : 0;
  Type rounding = xt.getElementType(); // intermediate activations are stored in this type

  std::vector<View> views{L.view(op.getInput()), L.view(op.getExpertIds()), L.view(op.getExpertWeights()),
                          L.view(op.getGateUp()), L.view(op.getDown())};
  SmallVector<Type> types{L.memrefType(xt), L.memrefType(tensorType(op.getExpertIds())),
                          L.memrefType(tensorType(op.getExpertWeights())), L.memrefType(gut), L.memrefType(dnt)};
  if (fp8) {
    views.push_back(L.view(op.getGateUpScale()));
    views.push_back(L.view(op.getDownScale()));
    types.push_back(L.memrefType(tensorType(op.getGateUpScale())));
    types.push_back(L.memrefType(tensorType(op.getDownScale())));
  }
  views.push_back(L.result(op.getResult()));
  types.push_back(L.memrefType(tensorType(op.getResult())));

  int kernel = L.kernel("axe.moe_experts", Lowering::keyOf(op), types, 0,
                        [=](KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value>, Value wb, Value we) {
    // a: x ids weights gate_up down [gate_up_scale down_scale] out
    Value x = a[0], ids = a[1], weights = a[2], gu = a[3], dn = a[4];
    Value sgu = fp8 ? a[5] : Value(), sdn = fp8 ? a[6] : Value(), out = a[fp8 ? 7 : 5];
    Type f32 = kb.builder().getF32Type(), i8 = kb.builder().getI8Type();
    Value act = kb.scratch({inter}, f32), acc = kb.scratch({hidden}, f32);
    int64_t xGroup = block ? bk : hidden, actGroup = block ? bk : inter;
    Value xq, xs, aq, as;
    if (fp8) {
      xq = kb.scratch({hidden}, i8);
      xs = kb.scratch({hidden / xGroup}, f32);
      aq = kb.scratch({inter}, i8);
      as = kb.scratch({inter / actGroup}, f32);
    }
    // dot(input row, weight row r of expert e): plain, or e4m3 products scaled per K group.
    auto dot = [&](Value input, Value inputScales, int64_t k, int64_t group, Value w, Value ws, Value e,
                   Value r, Value row) -> Value {
      if (!fp8)
        return kb.dot(input, {row}, w, {e, r}, kb.idx(0), k);
      return kb.reduce1(kb.idx(0), kb.idx(k / group), kb.f32(0.0f), [&](Value g, Value sum) {
        Value base = kb.muli(g, kb.idx(group));
        Value partial = kb.dot(input, {}, w, {e, r}, base, group);
        Value wscale = block ? kb.load(ws, {e, kb.divui(r, kb.idx(bn)), g}) : kb.load(ws, {e, r});
        return kb.add(sum, kb.mul(partial, kb.mul(kb.load(inputScales, {g}), wscale)));
      });
    };
    kb.forLoop(wb, we, [&](Value t) {
      kb.forLoop(0, hidden, [&](Value c) { kb.store(kb.f32(0.0f), acc, {c}); });
      if (fp8)
        quantizeRow(kb, hidden, xGroup, [&](Value i) { return kb.load(x, {t, i}); },
                    [&](Value i, Value code) { kb.storeRaw(code, xq, {i}); },
                    [&](Value g, Value s) { kb.store(s, xs, {g}); });
      kb.forLoop(0, topK, [&](Value slot) {
        Value e = kb.loadIndex(ids, {t, slot});
        Value inRange = kb.cmpi(arith::CmpIPredicate::ult, e, kb.idx(experts));
        e = kb.select(inRange, e, kb.idx(0));
        Value weight = kb.select(inRange, kb.load(weights, {t, slot}), kb.f32(0.0f));
        kb.forLoop(0, inter, [&](Value r) {
          Value input = fp8 ? xq : x;
          Value gate = kb.roundTo(rounding, dot(input, xs, hidden, xGroup, gu, sgu, e, r, t));
          Value up = kb.roundTo(rounding, dot(input, xs, hidden, xGroup, gu, sgu, e, kb.addi(r, kb.idx(inter)), t));
          kb.store(kb.roundTo(rounding, kb.mul(kb.silu(gate), up)), act, {r});
        });
        if (fp8)
          quantizeRow(kb, inter, actGroup, [&](Value i) { return kb.load(act, {i}); },
                      [&](Value i, Value code) { kb.storeRaw(code, aq, {i}); },
                      [&](Value g, Value s) { kb.store(s, as, {g}); });
        kb.forLoop(0, hidden, [&](Value c) {
          Value y = fp8 ? dot(aq, as, inter, actGroup, dn, sdn, e, c, Value())
                        : kb.dot(act, {}, dn, {e, c}, kb.idx(0), inter);
          kb.store(kb.add(kb.load(acc, {c}), kb.mul(weight, kb.roundTo(rounding, y))), acc, {c});
        });
      });
      kb.forLoop(0, hidden, [&](Value c) { kb.store(kb.load(acc, {c}), out, {t, c}); });
    });
  });
  L.dispatch(kernel, views, {}, views[0].shape[0]);
  return success();
}

} // namespace

LogicalResult lowerMoe(Operation *op, Lowering &L) {
  if (auto o = dyn_cast<ir::MoeRouteOp>(op)) return lowerRoute(o, L);
  if (auto o = dyn_cast<ir::MoeExpertsOp>(op)) return lowerExperts(o, L);
  return failure();
}

} // namespace axe::cpu
