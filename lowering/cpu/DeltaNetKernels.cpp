//===- DeltaNetKernels.cpp - causal conv1d and the gated delta rule -------===//
//
// Both walk the step's tokens in order (tokens of one sequence are contiguous and in position
// order, see docs/artifact.md), carrying per-sequence state: workgroups split channels (conv)
// or value heads (delta rule), which never share state. States are updated in place.
// The delta rule runs in its chunked form (spec §3.6): chunks of up to 64 tokens of one
// sequence, so a prefill works on matrices and a decode step is a chunk of one, which is the
// recurrent update (step 7) rearranged.
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/CpuKernels.h"

#include "dialects/axe/AxeOps.h"

#include <cmath>

namespace axe::cpu {

using namespace mlir;
namespace ir = mlir::axe;

namespace {

constexpr int64_t kChunk = kDeltaRuleChunk;

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

// The conv's channels are independent and contiguous in every operand but the weight, so a
// workgroup takes 16 of them as f32 lanes where the channel count allows (one vector op per tap
// instead of 16 strided scalar ones); the sums run in the scalar path's order, so both paths
// give the same bits.
constexpr int64_t kConvLanes = 16;

LogicalResult lowerCausalConv(ir::CausalConv1dOp op, Lowering &L) {
  ViewArg x = L.view(op.getInput()), w = L.view(op.getWeight()), st = L.view(op.getState()),
       seq = L.view(op.getSeqIds()), slots = L.view(op.getStateSlots());
  ViewArg out = L.result(op.getResult());
  auto wt = tensorType(op.getWeight());
  int64_t channels = wt.getDimSize(0), taps = wt.getDimSize(2);
  bool lanes = channels % kConvLanes == 0;
  int64_t width = lanes ? kConvLanes : 1; // channels per workgroup
  std::vector<KernelArg> args = {{"x", x, L.memrefType(tensorType(op.getInput()))},
      {"w", w, L.memrefType(wt)},
      {"st", st, L.memrefType(tensorType(op.getState()))},
      {"seq", seq, L.memrefType(tensorType(op.getSeqIds()))},
      {"slots", slots, L.memrefType(tensorType(op.getStateSlots()))},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int kernel = L.kernel("axe.causal_conv1d", args,
                        0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value xView = a["x"], wView = a["w"], stView = a["st"], seqView = a["seq"], slotsView = a["slots"], outView = a["out"];
    Type f32 = kb.builder().getF32Type();
    // The K-1 previous inputs and the taps, `width` channels each.
    Value window = kb.scratch({taps - 1, width}, f32), weights = kb.scratch({taps, width}, f32);
    Value tokens = kb.dim(xView, 0);
    auto get = [&](Value buf, ValueRange at) { return lanes ? kb.loadLanes(buf, at, width) : kb.load(buf, at); };
    auto put = [&](Value v, Value buf, ValueRange at) { lanes ? kb.storeLanes(v, buf, at) : kb.store(v, buf, at); };
    kb.forLoop(wb, we, [&](Value group) {
      Value c = kb.muli(group, kb.idx(width));
      kb.forLoop(0, width, [&](Value l) {
        kb.forLoop(0, taps, [&](Value j) {
          kb.store(kb.load(wView, {kb.addi(c, l), kb.idx(0), j}), weights, {j, l});
        });
      });
      kb.forLoop(kb.idx(0), tokens, [&](Value t) {
        std::pair<Value, Value> run = runBounds(kb, seqView, t, tokens);
        Value slot = kb.loadIndex(slotsView, {kb.loadIndex(seqView, {t})});
        kb.ifThen(run.first, [&] {
          kb.forLoop(0, taps - 1, [&](Value j) { put(get(stView, {slot, j, c}), window, {j, kb.idx(0)}); });
        });
        Value xt = get(xView, {t, c});
        // Tap K-1 multiplies the current token (PyTorch conv1d with K-1 left padding).
        Value acc = kb.mul(get(weights, {kb.idx(taps - 1), kb.idx(0)}), xt);
        for (int64_t j = 0; j < taps - 1; ++j)
          acc = kb.add(acc, kb.mul(get(weights, {kb.idx(j), kb.idx(0)}), get(window, {kb.idx(j), kb.idx(0)})));
        put(kb.silu(acc), outView, {t, c});
        for (int64_t j = 0; j + 1 < taps - 1; ++j)
          put(get(window, {kb.idx(j + 1), kb.idx(0)}), window, {kb.idx(j), kb.idx(0)});
        put(xt, window, {kb.idx(taps - 2), kb.idx(0)});
        kb.ifThen(run.second, [&] {
          kb.forLoop(0, taps - 1, [&](Value j) { put(get(window, {j, kb.idx(0)}), stView, {slot, j, c}); });
        });
      });
    });
  });
  L.dispatch(kernel, args, {}, SymInt::of(channels / width));
  return success();
}

LogicalResult lowerGatedDeltaRule(ir::GatedDeltaRuleOp op, Lowering &L) {
  ViewArg q = L.view(op.getQ()), k = L.view(op.getK()), v = L.view(op.getV()), ga = L.view(op.getA()),
       gb = L.view(op.getB()), alog = L.view(op.getALog()), dtb = L.view(op.getDtBias()),
       st = L.view(op.getState()), seq = L.view(op.getSeqIds()), slots = L.view(op.getStateSlots());
  ViewArg out = L.result(op.getResult());
  auto qt = tensorType(op.getQ()), vt = tensorType(op.getV());
  int64_t keyHeads = qt.getDimSize(1), dk = qt.getDimSize(2), valueHeads = vt.getDimSize(1),
          dv = vt.getDimSize(2), group = valueHeads / keyHeads;
  float scale = op.getScale() ? op.getScale()->convertToFloat() : 1.0f / std::sqrt(static_cast<float>(dk));
  std::vector<KernelArg> args = {
      {"q", q, L.memrefType(qt)}, {"k", k, L.memrefType(tensorType(op.getK()))}, {"v", v, L.memrefType(vt)},
      {"a", ga, L.memrefType(tensorType(op.getA()))}, {"b", gb, L.memrefType(tensorType(op.getB()))},
      {"aLog", alog, L.memrefType(tensorType(op.getALog()))},
      {"dtBias", dtb, L.memrefType(tensorType(op.getDtBias()))},
      {"state", st, L.memrefType(tensorType(op.getState()))},
      {"seqIds", seq, L.memrefType(tensorType(op.getSeqIds()))},
      {"stateSlots", slots, L.memrefType(tensorType(op.getStateSlots()))},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int kernel = L.kernel("axe.gated_delta_rule", args, 0,
                        [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value qView = a["q"], kView = a["k"], vView = a["v"], gaView = a["a"], gbView = a["b"],
          alogView = a["aLog"], dtbView = a["dtBias"], stView = a["state"], seqView = a["seqIds"],
          slotsView = a["stateSlots"], outView = a["out"];
    using P = arith::CmpIPredicate;
    Type f32 = kb.builder().getF32Type();
    // One chunk's rows (spec §3.6, chunked form): normalised q and k, beta, log-decay and its
    // prefix sums and their exponentials, the strictly lower-triangular A, the pseudo-values U
    // (then Vn) and W, the decays to the chunk's last token.
    Value qn = kb.scratch({kChunk, dk}, f32), kn = kb.scratch({kChunk, dk}, f32);
    Value beta = kb.scratch({kChunk}, f32), logDecay = kb.scratch({kChunk}, f32);
    Value cum = kb.scratch({kChunk}, f32), tri = kb.scratch({kChunk, kChunk}, f32);
    Value u = kb.scratch({kChunk, dv}, f32), w = kb.scratch({kChunk, dk}, f32);
    Value expCum = kb.scratch({kChunk}, f32), toLast = kb.scratch({kChunk}, f32);
    Value row = kb.scratch({dv}, f32); // one output row, accumulated in f32
    Value tokens = kb.dim(qView, 0);
    auto dot = [&](Value x, Value rx, Value y, Value ry, int64_t n) {
      return kb.dot(x, {rx}, y, {ry}, kb.idx(0), n);
    };
    kb.forLoop(wb, we, [&](Value j) {
      Value hk = kb.divui(j, kb.idx(group)); // v-head j reads q/k head j / (Hv / Hk)
      // Tokens stream into the chunk buffers; a chunk is processed when it is full or its
      // sequence's run in this step ends (a decode step is a chunk of one).
      kb.reduce(kb.idx(0), tokens, {kb.idx(0)}, [&](Value t, ArrayRef<Value> carried) -> SmallVector<Value> {
        Value start = carried[0];
        Value r = kb.subi(t, start);
        auto normalise = [&](Value src, Value dst, float factor) {
          Value ss = kb.reduce1(kb.idx(0), kb.idx(dk), kb.f32(0.0f), [&](Value i, Value s) {
            Value x = kb.load(src, {t, hk, i});
            return kb.add(s, kb.mul(x, x));
          });
          Value inv = kb.mul(kb.rsqrt(kb.add(ss, kb.f32(1e-6f))), kb.f32(factor));
          kb.forLoop(0, dk, [&](Value i) { kb.store(kb.mul(kb.load(src, {t, hk, i}), inv), dst, {r, i}); });
        };
        normalise(qView, qn, scale);
        normalise(kView, kn, 1.0f);
        kb.store(kb.sigmoid(kb.load(gbView, {t, j})), beta, {r});
        kb.store(kb.mul(kb.neg(kb.exp(kb.load(alogView, {j}))),
                        kb.softplus(kb.add(kb.load(gaView, {t, j}), kb.load(dtbView, {j})))),
                 logDecay, {r});
        std::pair<Value, Value> run = runBounds(kb, seqView, t, tokens);
        Value full = kb.cmpi(P::eq, r, kb.idx(kChunk - 1));
        Value process = kb.ori(full, run.second);
        kb.ifThen(process, [&] {
          Value len = kb.addi(r, kb.idx(1));
          Value slot = kb.loadIndex(slotsView, {kb.loadIndex(seqView, {t})});
          // G: inclusive prefix sums of the log-decay.
          kb.reduce1(kb.idx(0), len, kb.f32(0.0f), [&](Value i, Value s) {
            Value next = kb.add(s, kb.load(logDecay, {i}));
            kb.store(next, cum, {i});
            return next;
          });
          // exp(G_i), once per token of the chunk.
          kb.forLoop(kb.idx(0), len, [&](Value i) { kb.store(kb.exp(kb.load(cum, {i})), expCum, {i}); });
          auto decayBetween = [&](Value i, Value s) { return kb.exp(kb.sub(kb.load(cum, {i}), kb.load(cum, {s}))); };
          // A[i][s] = beta_i (k_i . k_s) exp(G_i - G_s), s < i.
          kb.forLoop(kb.idx(0), len, [&](Value i) {
            kb.forLoop(kb.idx(0), i, [&](Value s) {
              kb.store(kb.mul(kb.mul(kb.load(beta, {i}), dot(kn, i, kn, s, dk)), decayBetween(i, s)), tri, {i, s});
            });
          });
          // Every row update below is an axpy along a contiguous row (dv of U, Vn, O and the
          // state, dk of W), so it runs on vector lanes.
          // Forward substitution through the unit lower-triangular (I + A):
          // U = (I + A)^-1 diag(beta) V, W = (I + A)^-1 diag(beta exp(G)) K.
          kb.forLoop(kb.idx(0), len, [&](Value i) {
            Value ti = kb.addi(start, i);
            Value bi = kb.load(beta, {i});
            Value bg = kb.mul(bi, kb.load(expCum, {i}));
            kb.forLoop(0, dv, [&](Value c) { kb.store(kb.mul(bi, kb.load(vView, {ti, j, c})), u, {i, c}); });
            kb.forLoop(0, dk, [&](Value c) { kb.store(kb.mul(bg, kb.load(kn, {i, c})), w, {i, c}); });
            kb.forLoop(kb.idx(0), i, [&](Value s) {
              Value minusA = kb.neg(kb.load(tri, {i, s}));
              kb.axpy(minusA, u, {s}, u, {i}, kb.idx(0), dv);
              kb.axpy(minusA, w, {s}, w, {i}, kb.idx(0), dk);
            });
          });
          // Vn = U - W S: what the chunk adds beyond what the incoming state predicts.
          kb.forLoop(kb.idx(0), len, [&](Value i) {
            kb.forLoop(0, dk, [&](Value m) {
              kb.axpy(kb.neg(kb.load(w, {i, m})), stView, {slot, j, m}, u, {i}, kb.idx(0), dv);
            });
          });
          // O_i = exp(G_i) q_i S + sum_{s <= i} (q_i . k_s) exp(G_i - G_s) Vn_s (old state).
          kb.forLoop(kb.idx(0), len, [&](Value i) {
            Value gi = kb.load(expCum, {i});
            kb.forLoop(0, dv, [&](Value c) { kb.store(kb.f32(0.0f), row, {c}); });
            kb.forLoop(0, dk, [&](Value m) {
              kb.axpy(kb.mul(gi, kb.load(qn, {i, m})), stView, {slot, j, m}, row, {}, kb.idx(0), dv);
            });
            kb.forLoop(kb.idx(0), kb.addi(i, kb.idx(1)), [&](Value s) {
              kb.axpy(kb.mul(dot(qn, i, kn, s, dk), decayBetween(i, s)), u, {s}, row, {}, kb.idx(0), dv);
            });
            Value ti = kb.addi(start, i);
            kb.forLoop(0, dv, [&](Value c) { kb.store(kb.load(row, {c}), outView, {ti, j, c}); });
          });
          // S = exp(G_last) S + sum_s exp(G_last - G_s) k_s Vn_s^T.
          Value lastIdx = r;
          Value gLast = kb.load(expCum, {lastIdx});
          kb.forLoop(kb.idx(0), len, [&](Value s) { kb.store(decayBetween(lastIdx, s), toLast, {s}); });
          kb.forLoop(0, dk, [&](Value m) {
            kb.forLoop(0, dv, [&](Value c) {
              kb.store(kb.mul(gLast, kb.load(stView, {slot, j, m, c})), stView, {slot, j, m, c});
            });
            kb.forLoop(kb.idx(0), len, [&](Value s) {
              kb.axpy(kb.mul(kb.load(toLast, {s}), kb.load(kn, {s, m})), u, {s}, stView, {slot, j, m}, kb.idx(0), dv);
            });
          });
        });
        return {kb.select(process, kb.addi(t, kb.idx(1)), start)};
      });
    });
  });
  L.dispatch(kernel, args, {}, SymInt::of(valueHeads));
  return success();
}

} // namespace

void populateDeltaNetPatterns(RewritePatternSet &patterns, DispatchFormation &formation) {
  addDispatchPattern<ir::CausalConv1dOp>(patterns, formation, lowerCausalConv);
  addDispatchPattern<ir::GatedDeltaRuleOp>(patterns, formation, lowerGatedDeltaRule);
}

} // namespace axe::cpu
