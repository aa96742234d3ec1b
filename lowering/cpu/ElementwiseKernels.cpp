//===- ElementwiseKernels.cpp - embedding, norms, activations, residuals --===//
//
// Row-wise ops, one workgroup per token: embed, rms_norm (zero-centred or raw weight),
// gated_rms_norm, silu_mul, sigmoid_gate, the residual add, and the FP8-quantizing forms
// rms_norm_quantize / silu_mul_quantize.
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/CpuKernels.h"

#include "dialects/axe/AxeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace axe::cpu {

using namespace mlir;
namespace ir = mlir::axe;

void forEachRow(KernelBuilder &kb, Value memref, Value begin, Value end,
                const std::function<void(SmallVector<Value>)> &body) {
  auto type = cast<MemRefType>(memref.getType());
  std::function<void(SmallVector<Value>, int64_t)> nest = [&](SmallVector<Value> idx, int64_t d) {
    if (d == type.getRank() - 1)
      return body(idx);
    Value lo = d == 0 ? begin : kb.idx(0), hi = d == 0 ? end : kb.idx(type.getDimSize(d));
    kb.forLoop(lo, hi, [&](Value i) {
      SmallVector<Value> next = idx;
      next.push_back(i);
      nest(next, d + 1);
    });
  };
  nest({}, 0);
}

void quantizeRow(KernelBuilder &kb, int64_t k, int64_t group,
                 const std::function<Value(Value)> &values,
                 const std::function<void(Value, Value)> &storeCode,
                 const std::function<void(Value, Value)> &storeScale) {
  kb.forLoop(0, k / group, [&](Value g) {
    Value base = kb.muli(g, kb.idx(group));
    Value amax = kb.reduce1(kb.idx(0), kb.idx(group), kb.f32(0.0f), [&](Value i, Value acc) {
      return kb.max(acc, kb.abs(values(kb.addi(base, i))));
    });
    // s = max(amax, eps) / 448; q = e4m3(clamp(x / s, ±448)), as axe.quantize specifies.
    Value scale = kb.div(kb.max(amax, kb.f32(1e-10f)), kb.f32(448.0f));
    storeScale(g, scale);
    kb.forLoop(kb.idx(0), kb.idx(group), [&](Value i) {
      Value c = kb.addi(base, i);
      storeCode(c, kb.encodeE4M3(kb.div(values(c), scale)));
    });
  });
}

namespace {

// rsqrt(mean(x^2) + eps) of the row at `row` of `x` (last dimension n).
Value rmsFactor(KernelBuilder &kb, Value x, SmallVector<Value> row, int64_t n, float eps) {
  Value sum = kb.reduce1(kb.idx(0), kb.idx(n), kb.f32(0.0f), [&](Value i, Value acc) {
    SmallVector<Value> at = row;
    at.push_back(i);
    Value v = kb.load(x, at);
    return kb.add(acc, kb.mul(v, v));
  });
  return kb.rsqrt(kb.add(kb.div(sum, kb.f32(static_cast<float>(n))), kb.f32(eps)));
}

Value normWeight(KernelBuilder &kb, Value w, Value i, bool zeroCentered) {
  Value v = kb.load(w, {i});
  return zeroCentered ? kb.add(kb.f32(1.0f), v) : v;
}

SmallVector<Value> at(SmallVector<Value> row, Value i) {
  row.push_back(i);
  return row;
}

LogicalResult lowerEmbed(ir::EmbedOp op, Lowering &L) {
  ViewArg ids = L.view(op.getIds()), table = L.view(op.getTable());
  ViewArg out = L.result(op.getResult());
  auto tt = tensorType(op.getTable());
  int64_t vocab = tt.getDimSize(0), d = tt.getDimSize(1);
  std::vector<KernelArg> args = {{"ids", ids, L.memrefType(tensorType(op.getIds()))},
      {"table", table, L.memrefType(tt)},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int k = L.kernel("axe.embed", args,
                   0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value idsView = a["ids"], tableView = a["table"], outView = a["out"];
    kb.forLoop(wb, we, [&](Value t) {
      Value id = kb.loadIndex(idsView, {t});
      // Ids outside the vocabulary read nothing (the runtime rejects them before the step).
      Value inRange = kb.cmpi(arith::CmpIPredicate::ult, id, kb.idx(vocab));
      kb.forLoop(0, d, [&](Value c) {
        Value safe = kb.select(inRange, id, kb.idx(0));
        Value v = kb.select(inRange, kb.load(tableView, {safe, c}), kb.f32(0.0f));
        kb.store(v, outView, {t, c});
      });
    });
  });
  L.dispatch(k, args, {}, ids.shape[0]);
  return success();
}

LogicalResult lowerRmsNorm(ir::RmsNormOp op, Lowering &L) {
  ViewArg in = L.view(op.getInput()), w = L.view(op.getWeight());
  ViewArg out = L.result(op.getResult());
  auto t = tensorType(op.getInput());
  int64_t n = t.getShape().back();
  float eps = op.getEps().convertToFloat();
  bool zc = op.getZeroCentered();
  std::vector<KernelArg> args = {{"in", in, L.memrefType(t)},
      {"w", w, L.memrefType(tensorType(op.getWeight()))},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int k = L.kernel("axe.rms_norm", args,
                   0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value inView = a["in"], wView = a["w"], outView = a["out"];
    forEachRow(kb, inView, wb, we, [&](SmallVector<Value> row) {
      Value r = rmsFactor(kb, inView, row, n, eps);
      kb.forLoop(0, n, [&](Value i) {
        kb.store(kb.mul(kb.mul(kb.load(inView, at(row, i)), r), normWeight(kb, wView, i, zc)), outView,
                 at(row, i));
      });
    });
  });
  L.dispatch(k, args, {}, in.shape[0]);
  return success();
}

LogicalResult lowerRmsNormQuantize(ir::RmsNormQuantizeOp op, Lowering &L) {
  ViewArg in = L.view(op.getInput()), w = L.view(op.getWeight());
  ViewArg q = L.result(op.getResult()), s = L.result(op.getScale());
  auto t = tensorType(op.getInput());
  int64_t n = t.getDimSize(1);
  float eps = op.getEps().convertToFloat();
  bool zc = op.getZeroCentered();
  Type rounding = t.getElementType(); // the unfused norm would store this type, then quantize it
  std::vector<KernelArg> args = {{"in", in, L.memrefType(t)},
      {"w", w, L.memrefType(tensorType(op.getWeight()))},
      {"q", q, L.memrefType(tensorType(op.getResult()))},
      {"s", s, L.memrefType(tensorType(op.getScale()))}};
  int k = L.kernel("axe.rms_norm_quantize", args,
                   0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value inView = a["in"], wView = a["w"], qView = a["q"], sView = a["s"];
    kb.forLoop(wb, we, [&](Value tok) {
      Value r = rmsFactor(kb, inView, {tok}, n, eps);
      auto normed = [&](Value i) {
        return kb.roundTo(rounding, kb.mul(kb.mul(kb.load(inView, {tok, i}), r), normWeight(kb, wView, i, zc)));
      };
      quantizeRow(kb, n, n, normed,
                  [&](Value i, Value code) { kb.storeRaw(code, qView, {tok, i}); },
                  [&](Value, Value scale) { kb.store(scale, sView, {tok}); });
    });
  });
  L.dispatch(k, args, {}, in.shape[0]);
  return success();
}

LogicalResult lowerGatedRmsNorm(ir::GatedRmsNormOp op, Lowering &L) {
  ViewArg in = L.view(op.getInput()), gate = L.view(op.getGate()), w = L.view(op.getWeight());
  ViewArg out = L.result(op.getResult());
  auto t = tensorType(op.getInput());
  int64_t n = t.getShape().back();
  float eps = op.getEps().convertToFloat();
  std::vector<KernelArg> args = {{"in", in, L.memrefType(t)},
      {"gate", gate, L.memrefType(tensorType(op.getGate()))},
      {"w", w, L.memrefType(tensorType(op.getWeight()))},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int k = L.kernel("axe.gated_rms_norm", args,
                   0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value inView = a["in"], gateView = a["gate"], wView = a["w"], outView = a["out"];
    forEachRow(kb, inView, wb, we, [&](SmallVector<Value> row) {
      Value r = rmsFactor(kb, inView, row, n, eps);
      kb.forLoop(0, n, [&](Value i) {
        Value y = kb.mul(kb.mul(kb.load(inView, at(row, i)), r), kb.load(wView, {i}));
        kb.store(kb.mul(y, kb.silu(kb.load(gateView, at(row, i)))), outView, at(row, i));
      });
    });
  });
  L.dispatch(k, args, {}, in.shape[0]);
  return success();
}

LogicalResult lowerSiluMul(ir::SiluMulOp op, Lowering &L) {
  ViewArg g = L.view(op.getGate()), u = L.view(op.getUp());
  ViewArg out = L.result(op.getResult());
  auto t = tensorType(op.getGate());
  int64_t n = t.getShape().back();
  std::vector<KernelArg> args = {{"g", g, L.memrefType(t)},
      {"u", u, L.memrefType(tensorType(op.getUp()))},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int k = L.kernel("axe.silu_mul", args,
                   0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value gView = a["g"], uView = a["u"], outView = a["out"];
    forEachRow(kb, gView, wb, we, [&](SmallVector<Value> row) {
      kb.forLoop(0, n, [&](Value i) {
        kb.store(kb.mul(kb.silu(kb.load(gView, at(row, i))), kb.load(uView, at(row, i))), outView, at(row, i));
      });
    });
  });
  L.dispatch(k, args, {}, g.shape[0]);
  return success();
}

LogicalResult lowerSiluMulQuantize(ir::SiluMulQuantizeOp op, Lowering &L) {
  ViewArg g = L.view(op.getGate()), u = L.view(op.getUp());
  ViewArg q = L.result(op.getResult()), s = L.result(op.getScale());
  auto t = tensorType(op.getGate());
  int64_t n = t.getDimSize(1);
  Type rounding = t.getElementType();
  std::vector<KernelArg> args = {{"g", g, L.memrefType(t)},
      {"u", u, L.memrefType(tensorType(op.getUp()))},
      {"q", q, L.memrefType(tensorType(op.getResult()))},
      {"s", s, L.memrefType(tensorType(op.getScale()))}};
  int k = L.kernel("axe.silu_mul_quantize", args,
                   0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value gView = a["g"], uView = a["u"], qView = a["q"], sView = a["s"];
    kb.forLoop(wb, we, [&](Value tok) {
      auto product = [&](Value i) {
        return kb.roundTo(rounding, kb.mul(kb.silu(kb.load(gView, {tok, i})), kb.load(uView, {tok, i})));
      };
      quantizeRow(kb, n, n, product,
                  [&](Value i, Value code) { kb.storeRaw(code, qView, {tok, i}); },
                  [&](Value, Value scale) { kb.store(scale, sView, {tok}); });
    });
  });
  L.dispatch(k, args, {}, g.shape[0]);
  return success();
}

LogicalResult lowerSigmoidGate(ir::SigmoidGateOp op, Lowering &L) {
  ViewArg x = L.view(op.getInput()), g = L.view(op.getGate());
  ViewArg out = L.result(op.getResult());
  auto t = tensorType(op.getInput());
  int64_t n = t.getDimSize(1);
  bool perRow = tensorType(op.getGate()).getDimSize(1) == 1 && n != 1;
  std::vector<KernelArg> args = {{"x", x, L.memrefType(t)},
      {"g", g, L.memrefType(tensorType(op.getGate()))},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int k = L.kernel("axe.sigmoid_gate", args,
                   0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value xView = a["x"], gView = a["g"], outView = a["out"];
    kb.forLoop(wb, we, [&](Value tok) {
      kb.forLoop(0, n, [&](Value i) {
        Value gate = kb.sigmoid(kb.load(gView, {tok, perRow ? kb.idx(0) : i}));
        kb.store(kb.mul(kb.load(xView, {tok, i}), gate), outView, {tok, i});
      });
    });
  });
  L.dispatch(k, args, {}, x.shape[0]);
  return success();
}

LogicalResult lowerAdd(arith::AddFOp op, Lowering &L) {
  auto t = dyn_cast<RankedTensorType>(op.getType());
  if (!t)
    return failure();
  ViewArg x = L.view(op.getLhs()), y = L.view(op.getRhs());
  ViewArg out = L.result(op.getResult());
  int64_t n = t.getShape().back();
  std::vector<KernelArg> args = {{"x", x, L.memrefType(t)},
      {"y", y, L.memrefType(t)},
      {"out", out, L.memrefType(t)}};
  int k = L.kernel("axe.add", args,
                   0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value xView = a["x"], yView = a["y"], outView = a["out"];
    forEachRow(kb, xView, wb, we, [&](SmallVector<Value> row) {
      kb.forLoop(0, n, [&](Value i) {
        kb.store(kb.add(kb.load(xView, at(row, i)), kb.load(yView, at(row, i))), outView, at(row, i));
      });
    });
  });
  L.dispatch(k, args, {}, x.shape[0]);
  return success();
}

} // namespace

void populateElementwisePatterns(RewritePatternSet &patterns, DispatchFormation &formation) {
  addDispatchPattern<ir::EmbedOp>(patterns, formation, lowerEmbed);
  addDispatchPattern<ir::RmsNormOp>(patterns, formation, lowerRmsNorm);
  addDispatchPattern<ir::RmsNormQuantizeOp>(patterns, formation, lowerRmsNormQuantize);
  addDispatchPattern<ir::GatedRmsNormOp>(patterns, formation, lowerGatedRmsNorm);
  addDispatchPattern<ir::SiluMulOp>(patterns, formation, lowerSiluMul);
  addDispatchPattern<ir::SiluMulQuantizeOp>(patterns, formation, lowerSiluMulQuantize);
  addDispatchPattern<ir::SigmoidGateOp>(patterns, formation, lowerSigmoidGate);
  addDispatchPattern<arith::AddFOp>(patterns, formation, lowerAdd);
}

} // namespace axe::cpu
