//===- AttentionKernels.cpp - RoPE and gated attention over a paged KV cache ===//
//
// gated_attention becomes two dispatches: the KV-cache write of every token of the step, then
// attention per query head and token (which reads the positions of its own sequence up to its
// own, including tokens written by the first dispatch in this same step). Softmax in f32, online.
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/CpuKernels.h"

#include "dialects/axe/AxeOps.h"

#include <cmath>

namespace axe::cpu {

using namespace mlir;
namespace ir = mlir::axe;

namespace {

LogicalResult lowerRope(ir::RopeOp op, Lowering &L) {
  ViewArg x = L.view(op.getInput()), pos = L.view(op.getPositions());
  ViewArg out = L.result(op.getResult());
  auto t = tensorType(op.getInput());
  int64_t heads = t.getDimSize(1), d = t.getDimSize(2), rot = op.getRotaryDim(), half = rot / 2;
  float theta = static_cast<float>(op.getTheta().convertToDouble());
  std::vector<KernelArg> args = {{"x", x, L.memrefType(t)},
      {"pos", pos, L.memrefType(tensorType(op.getPositions()))},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int kernel = L.kernel("axe.rope", args,
                        0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value xView = a["x"], posView = a["pos"], outView = a["out"];
    kb.forLoop(wb, we, [&](Value tok) {
      Value p = kb.indexToF32(kb.loadIndex(posView, {tok}));
      kb.forLoop(0, heads, [&](Value h) {
        // Rotate-half: channel j < half pairs with j + half, at inv_freq[j] = theta^(-2j/rot).
        kb.forLoop(0, half, [&](Value j) {
          Value exponent = kb.div(kb.mul(kb.f32(2.0f), kb.indexToF32(j)), kb.f32(static_cast<float>(rot)));
          Value invFreq = kb.div(kb.f32(1.0f), kb.pow(kb.f32(theta), exponent));
          Value angle = kb.mul(p, invFreq);
          Value c = kb.cos(angle), s = kb.sin(angle);
          Value j2 = kb.addi(j, kb.idx(half));
          Value x1 = kb.load(xView, {tok, h, j}), x2 = kb.load(xView, {tok, h, j2});
          kb.store(kb.sub(kb.mul(x1, c), kb.mul(x2, s)), outView, {tok, h, j});
          kb.store(kb.add(kb.mul(x2, c), kb.mul(x1, s)), outView, {tok, h, j2});
        });
        kb.forLoop(rot, d, [&](Value j) { kb.store(kb.load(xView, {tok, h, j}), outView, {tok, h, j}); });
      });
    });
  });
  L.dispatch(kernel, args, {}, x.shape[0]);
  return success();
}

LogicalResult lowerGatedAttention(ir::GatedAttentionOp op, Lowering &L) {
  ViewArg q = L.view(op.getQ()), k = L.view(op.getK()), v = L.view(op.getV()),
       gate = L.view(op.getGate()), kc = L.view(op.getKCache()), vc = L.view(op.getVCache()),
       pos = L.view(op.getPositions()), seq = L.view(op.getSeqIds()),
       bt = L.view(op.getBlockTable());
  ViewArg out = L.result(op.getResult());
  auto qt = tensorType(op.getQ()), kt = tensorType(op.getK()), ct = tensorType(op.getKCache());
  int64_t heads = qt.getDimSize(1), d = qt.getDimSize(2), kvHeads = kt.getDimSize(1);
  int64_t blockSize = ct.getDimSize(1), group = heads / kvHeads;
  float scale = op.getScale() ? op.getScale()->convertToFloat() : 1.0f / std::sqrt(static_cast<float>(d));
  MemRefType posT = L.memrefType(tensorType(op.getPositions())),
             seqT = L.memrefType(tensorType(op.getSeqIds())),
             btT = L.memrefType(tensorType(op.getBlockTable())), cacheT = L.memrefType(ct);

  // Where position p of sequence s lives: block bt[s, p / B], slot p mod B.
  auto locate = [blockSize](KernelBuilder &kb, Value blockTable, Value s, Value p) {
    Value blk = kb.loadIndex(blockTable, {s, kb.divui(p, kb.idx(blockSize))});
    return std::make_pair(blk, kb.remui(p, kb.idx(blockSize)));
  };

  std::vector<KernelArg> writeArgs = {{"k", k, L.memrefType(kt)},
      {"v", v, L.memrefType(tensorType(op.getV()))},
      {"kc", kc, cacheT},
      {"vc", vc, cacheT},
      {"pos", pos, posT},
      {"seq", seq, seqT},
      {"bt", bt, btT}};
  int write = L.kernel("axe.kv_cache_write", writeArgs,
                       0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value kView = a["k"], vView = a["v"], kcView = a["kc"], vcView = a["vc"], posView = a["pos"], seqView = a["seq"], btView = a["bt"];
    kb.forLoop(wb, we, [&](Value tok) {
      std::pair<Value, Value> at = locate(kb, btView, kb.loadIndex(seqView, {tok}), kb.loadIndex(posView, {tok}));
      Value blk = at.first, slot = at.second;
      kb.forLoop(0, kvHeads, [&](Value h) {
        kb.forLoop(0, d, [&](Value j) {
          kb.store(kb.load(kView, {tok, h, j}), kcView, {blk, slot, h, j});
          kb.store(kb.load(vView, {tok, h, j}), vcView, {blk, slot, h, j});
        });
      });
    });
  });
  L.dispatch(write, writeArgs, {}, q.shape[0]);

  // One workgroup per query head (a decode step has one token, but every head to split), each
  // walking the step's tokens. Online softmax: one score per cached position, the running max
  // rescales the accumulator when it grows; the value rows are axpys on vector lanes.
  std::vector<KernelArg> attendArgs = {{"q", q, L.memrefType(qt)},
      {"gate", gate, L.memrefType(tensorType(op.getGate()))},
      {"kc", kc, cacheT},
      {"vc", vc, cacheT},
      {"pos", pos, posT},
      {"seq", seq, seqT},
      {"bt", bt, btT},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int attend = L.kernel("axe.gated_attention", attendArgs,
                        0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value qView = a["q"], gateView = a["gate"], kcView = a["kc"], vcView = a["vc"], posView = a["pos"], seqView = a["seq"], btView = a["bt"], outView = a["out"];
    Value acc = kb.scratch({d}, kb.builder().getF32Type());
    Value tokens = kb.dim(qView, 0);
    kb.forLoop(wb, we, [&](Value h) {
      Value kvh = kb.divui(h, kb.idx(group));
      kb.forLoop(kb.idx(0), tokens, [&](Value tok) {
        Value p = kb.loadIndex(posView, {tok}), s = kb.loadIndex(seqView, {tok});
        kb.forLoop(0, d, [&](Value j) { kb.store(kb.f32(0.0f), acc, {j}); });
        SmallVector<Value> ml = kb.reduce(kb.idx(0), kb.addi(p, kb.idx(1)), {kb.f32(-INFINITY), kb.f32(0.0f)},
                                          [&](Value u, ArrayRef<Value> run) -> SmallVector<Value> {
          std::pair<Value, Value> at = locate(kb, btView, s, u);
          Value blk = at.first, slot = at.second;
          Value score = kb.mul(kb.dot(qView, {tok, h}, kcView, {blk, slot, kvh}, kb.idx(0), d), kb.f32(scale));
          Value m = kb.max(run[0], score);
          Value rescale = kb.exp(kb.sub(run[0], m)); // exp(-inf) = 0 at the first position
          Value w = kb.exp(kb.sub(score, m));
          kb.forLoop(0, d, [&](Value j) { kb.store(kb.mul(kb.load(acc, {j}), rescale), acc, {j}); });
          kb.axpy(w, vcView, {blk, slot, kvh}, acc, {}, kb.idx(0), d);
          return {m, kb.add(kb.mul(run[1], rescale), w)};
        });
        Value denom = ml[1];
        kb.forLoop(0, d, [&](Value j) {
          Value o = kb.div(kb.load(acc, {j}), denom);
          Value col = kb.addi(kb.muli(h, kb.idx(d)), j);
          kb.store(kb.mul(o, kb.sigmoid(kb.load(gateView, {tok, h, j}))), outView, {tok, col});
        });
      });
    });
  });
  L.dispatch(attend, attendArgs, {}, SymInt::of(heads));
  return success();
}

} // namespace

void populateAttentionPatterns(RewritePatternSet &patterns, DispatchFormation &formation) {
  addDispatchPattern<ir::RopeOp>(patterns, formation, lowerRope);
  addDispatchPattern<ir::GatedAttentionOp>(patterns, formation, lowerGatedAttention);
}

} // namespace axe::cpu
