//===- LinearKernels.cpp - linear layers, FP8 GEMMs, quantization, logits -===//
//
// GEMMs split their output channels across workgroups: a workgroup reads each of its weight
// rows once and applies it to every token, which is what decode (one token) needs. FP8 GEMMs
// take e4m3 codes on both sides and accumulate in f32; a float input is first quantized per
// token (or per 1 x bk group) by its own dispatch.
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/CpuKernels.h"

#include "dialects/axe/AxeOps.h"

namespace axe::cpu {

using namespace mlir;
namespace ir = mlir::axe;

int quantizeKernel(Lowering &L, RankedTensorType in, RankedTensorType codes, RankedTensorType scales,
                   int64_t group) {
  int64_t k = in.getDimSize(1);
  bool widened = codes.getElementType().isF32();
  return L.kernel("axe.quantize", {L.memrefType(in), L.memrefType(codes), L.memrefType(scales)}, 0,
                  [=](KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value>, Value wb, Value we) {
    Value inView = a[0], codesView = a[1], scalesView = a[2];
    bool perToken = scales.getRank() == 1;
    kb.forLoop(wb, we, [&](Value t) {
      quantizeRow(kb, k, group, [&](Value i) { return kb.load(inView, {t, i}); },
                  [&](Value i, Value code) {
                    if (widened)
                      kb.store(kb.decodeE4M3(code), codesView, {t, i});
                    else
                      kb.storeRaw(code, codesView, {t, i});
                  },
                  [&](Value g, Value s) {
                    if (perToken)
                      kb.store(s, scalesView, {t});
                    else
                      kb.store(s, scalesView, {t, g});
                  });
    });
  });
}

namespace {

constexpr int64_t kTokenBlock = 4; // tokens per register block of a GEMM

// Calls `block(tokens, rows)` for the tokens [0, T) in groups of kTokenBlock, then for the
// remainder one at a time; `rows` are the tokens' row indices of a [T, K] input, for dotMany.
// Each call computes a weight row against its tokens, sharing the weight's loads.
using TokenBlock = std::function<void(ArrayRef<Value> tokens, ArrayRef<SmallVector<Value>> rows)>;
void forTokenBlocks(KernelBuilder &kb, Value numTokens, const TokenBlock &block) {
  auto call = [&](SmallVector<Value> tokens) {
    SmallVector<SmallVector<Value>> rows;
    for (Value t : tokens)
      rows.push_back({t});
    block(tokens, rows);
  };
  Value full = kb.muli(kb.divui(numTokens, kb.idx(kTokenBlock)), kb.idx(kTokenBlock));
  kb.forLoop(kb.idx(0), full, kTokenBlock, [&](Value first) {
    SmallVector<Value> tokens;
    for (int64_t i = 0; i < kTokenBlock; ++i)
      tokens.push_back(kb.addi(first, kb.idx(i)));
    call(tokens);
  });
  kb.forLoop(full, numTokens, [&](Value t) { call({t}); });
}

// y[t, n] = Σ_k x[t, k] w[n, k] over n in the workgroup range, for every token t. Also the
// f8 x f8 -> f32 matmul of the unfused per-channel form: loads decode e4m3 codes.
LogicalResult lowerPlainLinear(ir::LinearOp op, Lowering &L) {
  ViewArg x = L.view(op.getInput()), w = L.view(op.getWeight());
  ViewArg out = L.result(op.getResult());
  auto wt = tensorType(op.getWeight());
  int64_t n = wt.getDimSize(0), k = wt.getDimSize(1);
  int kernel = L.kernel("axe.linear", {L.memrefType(tensorType(op.getInput())), L.memrefType(wt),
                         L.memrefType(tensorType(op.getResult()))},
                        0, [=](KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value>, Value wb, Value we) {
    Value xView = a[0], wView = a[1], outView = a[2];
    Value tokens = kb.dim(xView, 0);
    kb.forLoop(wb, we, [&](Value row) {
      forTokenBlocks(kb, tokens, [&](ArrayRef<Value> ts, ArrayRef<SmallVector<Value>> rows) {
        SmallVector<Value> sums = kb.dotMany(xView, rows, wView, {row}, kb.idx(0), k);
        for (auto [t, sum] : llvm::zip(ts, sums))
          kb.store(sum, outView, {t, row});
      });
    });
  });
  L.dispatch(kernel, {x, w, out}, {}, SymInt::of(n));
  return success();
}

LogicalResult lowerQuantize(ir::QuantizeOp op, Lowering &L) {
  ViewArg x = L.view(op.getInput());
  ViewArg q = L.result(op.getResult()), s = L.result(op.getScale());
  auto in = tensorType(op.getInput());
  int64_t group = op.getGroupSize().value_or(in.getDimSize(1));
  int kernel = quantizeKernel(L, in, tensorType(op.getResult()), tensorType(op.getScale()), group);
  L.dispatch(kernel, {x, q, s}, {}, x.shape[0]);
  return success();
}

LogicalResult lowerDequantize(ir::DequantizeOp op, Lowering &L) {
  ViewArg acc = L.view(op.getAcc()), st = L.view(op.getActScale()), sw = L.view(op.getWeightScale());
  ViewArg out = L.result(op.getResult());
  int64_t n = tensorType(op.getAcc()).getDimSize(1);
  int kernel = L.kernel("axe.dequantize", {L.memrefType(tensorType(op.getAcc())), L.memrefType(tensorType(op.getActScale())),
                         L.memrefType(tensorType(op.getWeightScale())),
                         L.memrefType(tensorType(op.getResult()))},
                        0, [=](KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value>, Value wb, Value we) {
    Value accView = a[0], stView = a[1], swView = a[2], outView = a[3];
    kb.forLoop(wb, we, [&](Value t) {
      Value tokenScale = kb.load(stView, {t});
      kb.forLoop(0, n, [&](Value c) {
        kb.store(kb.mul(kb.mul(kb.load(accView, {t, c}), tokenScale), kb.load(swView, {c})), outView, {t, c});
      });
    });
  });
  L.dispatch(kernel, {acc, st, sw, out}, {}, acc.shape[0]);
  return success();
}

// fp8_linear: quantize the input if it is a float (its own dispatch), then the FP8 GEMM with the
// token (or group) and channel (or block) scales applied per K block.
LogicalResult lowerFp8Linear(ir::Fp8LinearOp op, Lowering &L) {
  auto in = tensorType(op.getInput());
  auto wt = tensorType(op.getWeight());
  int64_t n = wt.getDimSize(0), k = wt.getDimSize(1);
  std::optional<ArrayRef<int64_t>> block = op.getWeightBlock();
  int64_t bn = block ? (*block)[0] : n, bk = block ? (*block)[1] : k;
  MLIRContext *ctx = L.context();
  // Our own quantization of a float input keeps its e4m3 values widened to f32 (exact): the
  // GEMM then decodes only the weight's codes. A fused producer's e4m3 tensor stays as it is.
  auto codesType = op.getInputScale() ? tensorType(op.getInput())
                                      : RankedTensorType::get(in.getShape(), Float32Type::get(ctx));
  auto scalesType = block ? RankedTensorType::get({ShapedType::kDynamic, k / bk}, Float32Type::get(ctx))
                          : RankedTensorType::get({ShapedType::kDynamic}, Float32Type::get(ctx));
  ViewArg codes, scales;
  if (op.getInputScale()) {
    codes = L.view(op.getInput());
    scales = L.view(op.getInputScale());
    scalesType = tensorType(op.getInputScale());
  } else {
    ViewArg x = L.view(op.getInput());
    codes = L.temp(codesType, "x8_");
    scales = L.temp(scalesType, "xs_");
    L.dispatch(quantizeKernel(L, in, codesType, scalesType, bk), {x, codes, scales}, {}, x.shape[0]);
  }
  ViewArg w = L.view(op.getWeight()), ws = L.view(op.getWeightScale());
  ViewArg out = L.result(op.getResult());
  auto wsType = tensorType(op.getWeightScale());
  bool blockScales = block.has_value();
  int kernel = L.kernel("axe.fp8_linear", {L.memrefType(codesType), L.memrefType(scalesType), L.memrefType(wt),
                         L.memrefType(wsType), L.memrefType(tensorType(op.getResult()))},
                        0, [=](KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value>, Value wb, Value we) {
    Value codesView = a[0], scalesView = a[1], wView = a[2], wsView = a[3], outView = a[4];
    Value tokens = kb.dim(codesView, 0);
    kb.forLoop(wb, we, [&](Value row) {
      forTokenBlocks(kb, tokens, [&](ArrayRef<Value> ts, ArrayRef<SmallVector<Value>> rows) {
        SmallVector<Value> zeros(ts.size(), kb.f32(0.0f));
        SmallVector<Value> totals = kb.reduce(kb.idx(0), kb.idx(k / bk), zeros, [&](Value g, ArrayRef<Value> sums) {
          Value base = kb.muli(g, kb.idx(bk));
          SmallVector<Value> partials = kb.dotMany(codesView, rows, wView, {row}, base, bk);
          Value weightScale = blockScales ? kb.load(wsView, {kb.divui(row, kb.idx(bn)), g}) : kb.load(wsView, {row});
          SmallVector<Value> next;
          for (auto [t, partial, sum] : llvm::zip(ts, partials, sums)) {
            Value tokenScale = blockScales ? kb.load(scalesView, {t, g}) : kb.load(scalesView, {t});
            next.push_back(kb.add(sum, kb.mul(partial, kb.mul(tokenScale, weightScale))));
          }
          return next;
        });
        for (auto [t, total] : llvm::zip(ts, totals))
          kb.store(total, outView, {t, row});
      });
    });
  });
  L.dispatch(kernel, {codes, scales, w, ws, out}, {}, SymInt::of(n));
  return success();
}

LogicalResult lowerLogits(ir::LogitsOp op, Lowering &L) {
  ViewArg h = L.view(op.getHidden()), w = L.view(op.getWeight()), rows = L.view(op.getRows());
  ViewArg out = L.result(op.getResult()); // the step's output: [R, V] as forward_step declares
  auto wt = tensorType(op.getWeight());
  int64_t vocab = wt.getDimSize(0), d = wt.getDimSize(1);
  int kernel = L.kernel("axe.logits", {L.memrefType(tensorType(op.getHidden())), L.memrefType(wt),
                         L.memrefType(tensorType(op.getRows())), L.memrefType(tensorType(op.getResult()))},
                        0, [=](KernelBuilder &kb, ArrayRef<Value> a, ArrayRef<Value>, Value wb, Value we) {
    Value hView = a[0], wView = a[1], rowsView = a[2], outView = a[3];
    Value numRows = kb.dim(rowsView, 0);
    kb.forLoop(wb, we, [&](Value v) {
      kb.forLoop(kb.idx(0), numRows, [&](Value r) {
        Value t = kb.loadIndex(rowsView, {r});
        kb.store(kb.dot(hView, {t}, wView, {v}, kb.idx(0), d), outView, {r, v});
      });
    });
  });
  L.dispatch(kernel, {h, w, rows, out}, {}, SymInt::of(vocab));
  return success();
}

} // namespace

LogicalResult lowerLinear(Operation *op, Lowering &L) {
  if (auto o = dyn_cast<ir::LinearOp>(op)) {
    return lowerPlainLinear(o, L);
  }
  if (auto o = dyn_cast<ir::QuantizeOp>(op)) return lowerQuantize(o, L);
  if (auto o = dyn_cast<ir::DequantizeOp>(op)) return lowerDequantize(o, L);
  if (auto o = dyn_cast<ir::Fp8LinearOp>(op)) return lowerFp8Linear(o, L);
  if (auto o = dyn_cast<ir::LogitsOp>(op)) return lowerLogits(o, L);
  return failure();
}

} // namespace axe::cpu
