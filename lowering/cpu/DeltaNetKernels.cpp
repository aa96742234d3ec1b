//===- DeltaNetKernels.cpp - causal conv1d and the gated delta rule -------===//
//
// Both walk the step's tokens in order (tokens of one sequence are contiguous and in position
// order, see docs/artifact.md), carrying per-sequence state: workgroups split channels (conv)
// or value heads (delta rule), which never share state. States are updated in place.
// The delta rule is evaluated in its recurrent form (spec §3.6 step 7) for every step.
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/CpuKernels.h"

#include "dialects/axe/AxeOps.h"

#include <cmath>

namespace axe::cpu {

using namespace mlir;
namespace ir = mlir::axe;

namespace {

// True where token t starts (first) or ends (last) a run of its sequence in the step.
std::pair<Value, Value> runBounds(KernelBuilder &kb, Value seqIds, Value t, Value tokens) {
  using P = arith::CmpIPredicate;
  Value s = kb.loadIndex(seqIds, {t});
  Value prev = kb.select(kb.cmpi(P::eq, t, kb.idx(0)), t, kb.addi(t, kb.idx(-1)));
  Value next = kb.select(kb.cmpi(P::eq, kb.addi(t, kb.idx(1)), tokens), t, kb.addi(t, kb.idx(1)));
  Value first = kb.ori(kb.cmpi(P::eq, t, kb.idx(0)), kb.cmpi(P::ne, kb.loadIndex(seqIds, {prev}), s));
  Value last = kb.ori(kb.cmpi(P::eq, kb.addi(t, kb.idx(1)), tokens),
                      kb.cmpi(P::ne, kb.loadIndex(seqIds, {next}), s));
  return {first, last};
}

LogicalResult lowerCausalConv(ir::CausalConv1dOp op, Lowering &L) {
  View x = L.view(op.getInput()), w = L.view(op.getWeight()), st = L.view(op.getState()),
       seq = L.view(op.getSeqIds()), slots = L.view(op.getStateSlots());
  L.alias(op.getNewState(), op.getState());
  View out = L.result(op.getResult());
  auto wt = tensorType(op.getWeight());
  int64_t channels = wt.getDimSize(0), taps = wt.getDimSize(2);
  int kernel = L.kernel("axe.causal_conv1d", Lowering::keyOf(op),
                        {L.memrefType(tensorType(op.getInput())), L.memrefType(wt),
                         L.memrefType(tensorType(op.getState())), L.memrefType(tensorType(op.getSeqIds())),
                         L.memrefType(tensorType(op.getStateSlots())), L.memrefType(tensorType(op.getResult()))},
                        0, [=](KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value>, Value wb, Value we) {
    Value window = kb.scratch({taps - 1}, kb.builder().getF32Type()); // the K-1 previous inputs
    Value tokens = kb.dim(a[0], 0);
    kb.forLoop(wb, we, [&](Value c) {
      kb.forLoop(kb.idx(0), tokens, [&](Value t) {
        std::pair<Value, Value> run = runBounds(kb, a[3], t, tokens);
        Value slot = kb.loadIndex(a[4], {kb.loadIndex(a[3], {t})});
        kb.ifThen(run.first, [&] {
          kb.forLoop(0, taps - 1, [&](Value j) { kb.store(kb.load(a[2], {slot, j, c}), window, {j}); });
        });
        Value xt = kb.load(a[0], {t, c});
        // Tap K-1 multiplies the current token (PyTorch conv1d with K-1 left padding).
        Value acc = kb.reduce1(kb.idx(0), kb.idx(taps - 1), kb.mul(kb.load(a[1], {c, kb.idx(0), kb.idx(taps - 1)}), xt),
                               [&](Value j, Value s) {
          return kb.add(s, kb.mul(kb.load(a[1], {c, kb.idx(0), j}), kb.load(window, {j})));
        });
        kb.store(kb.silu(acc), a[5], {t, c});
        kb.forLoop(0, taps - 2, [&](Value j) {
          kb.store(kb.load(window, {kb.addi(j, kb.idx(1))}), window, {j});
        });
        kb.store(xt, window, {kb.idx(taps - 2)});
        kb.ifThen(run.second, [&] {
          kb.forLoop(0, taps - 1, [&](Value j) { kb.store(kb.load(window, {j}), a[2], {slot, j, c}); });
        });
      });
    });
  });
  L.dispatch(kernel, {x, w, st, seq, slots, out}, {}, Dim::of(channels));
  return success();
}

LogicalResult lowerGatedDeltaRule(ir::GatedDeltaRuleOp op, Lowering &L) {
  View q = L.view(op.getQ()), k = L.view(op.getK()), v = L.view(op.getV()), ga = L.view(op.getA()),
       gb = L.view(op.getB()), alog = L.view(op.getALog()), dtb = L.view(op.getDtBias()),
       st = L.view(op.getState()), seq = L.view(op.getSeqIds()), slots = L.view(op.getStateSlots());
  L.alias(op.getNewState(), op.getState());
  View out = L.result(op.getResult());
  auto qt = tensorType(op.getQ()), vt = tensorType(op.getV());
  int64_t keyHeads = qt.getDimSize(1), dk = qt.getDimSize(2), valueHeads = vt.getDimSize(1),
          dv = vt.getDimSize(2), group = valueHeads / keyHeads;
  float scale = op.getScale() ? op.getScale()->convertToFloat() : 1.0f / std::sqrt(static_cast<float>(dk));
  SmallVector<Type> argTypes;
  for (Value operand : op->getOperands())
    argTypes.push_back(L.memrefType(tensorType(operand)));
  argTypes.push_back(L.memrefType(tensorType(op.getResult())));
  int kernel = L.kernel("axe.gated_delta_rule", Lowering::keyOf(op), argTypes, 0,
                        [=](KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value>, Value wb, Value we) {
    // a: q k v a b a_log dt_bias state seq_ids state_slots out
    Type f32 = kb.builder().getF32Type();
    Value qn = kb.scratch({dk}, f32), kn = kb.scratch({dk}, f32), delta = kb.scratch({dv}, f32);
    Value tokens = kb.dim(a[0], 0);
    kb.forLoop(wb, we, [&](Value j) {
      Value hk = kb.divui(j, kb.idx(group)); // v-head j reads q/k head j / (Hv / Hk)
      kb.forLoop(kb.idx(0), tokens, [&](Value t) {
        Value slot = kb.loadIndex(a[9], {kb.loadIndex(a[8], {t})});
        // L2-normalise q and k (eps inside the sqrt), then scale q.
        auto normalise = [&](Value src, Value dst, float factor) {
          Value ss = kb.reduce1(kb.idx(0), kb.idx(dk), kb.f32(0.0f), [&](Value i, Value s) {
            Value x = kb.load(src, {t, hk, i});
            return kb.add(s, kb.mul(x, x));
          });
          Value inv = kb.mul(kb.rsqrt(kb.add(ss, kb.f32(1e-6f))), kb.f32(factor));
          kb.forLoop(0, dk, [&](Value i) { kb.store(kb.mul(kb.load(src, {t, hk, i}), inv), dst, {i}); });
        };
        normalise(a[0], qn, scale);
        normalise(a[1], kn, 1.0f);
        Value beta = kb.sigmoid(kb.load(a[4], {t, j}));
        Value g = kb.mul(kb.neg(kb.exp(kb.load(a[5], {j}))),
                         kb.softplus(kb.add(kb.load(a[3], {t, j}), kb.load(a[6], {j}))));
        Value alpha = kb.exp(g);
        // Decay first; the correction uses the decayed state; the readout the updated one.
        kb.forLoop(0, dk, [&](Value i) {
          kb.forLoop(0, dv, [&](Value c) {
            kb.store(kb.mul(kb.load(a[7], {slot, j, i, c}), alpha), a[7], {slot, j, i, c});
          });
        });
        kb.forLoop(0, dv, [&](Value c) {
          Value u = kb.reduce1(kb.idx(0), kb.idx(dk), kb.f32(0.0f), [&](Value i, Value s) {
            return kb.add(s, kb.mul(kb.load(a[7], {slot, j, i, c}), kb.load(kn, {i})));
          });
          kb.store(kb.mul(beta, kb.sub(kb.load(a[2], {t, j, c}), u)), delta, {c});
        });
        kb.forLoop(0, dk, [&](Value i) {
          Value ki = kb.load(kn, {i});
          kb.forLoop(0, dv, [&](Value c) {
            kb.store(kb.add(kb.load(a[7], {slot, j, i, c}), kb.mul(ki, kb.load(delta, {c}))), a[7],
                     {slot, j, i, c});
          });
        });
        kb.forLoop(0, dv, [&](Value c) {
          Value o = kb.reduce1(kb.idx(0), kb.idx(dk), kb.f32(0.0f), [&](Value i, Value s) {
            return kb.add(s, kb.mul(kb.load(a[7], {slot, j, i, c}), kb.load(qn, {i})));
          });
          kb.store(o, a[10], {t, j, c});
        });
      });
    });
  });
  L.dispatch(kernel, {q, k, v, ga, gb, alog, dtb, st, seq, slots, out}, {}, Dim::of(valueHeads));
  return success();
}

} // namespace

LogicalResult lowerDeltaNet(Operation *op, Lowering &L) {
  if (auto o = dyn_cast<ir::CausalConv1dOp>(op)) return lowerCausalConv(o, L);
  if (auto o = dyn_cast<ir::GatedDeltaRuleOp>(op)) return lowerGatedDeltaRule(o, L);
  return failure();
}

} // namespace axe::cpu
