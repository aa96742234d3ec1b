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

void quantizeInto(Lowering &L, const KernelArg &in, const KernelArg &codes, const KernelArg &scales,
                  int64_t group) {
  int64_t k = in.type.getDimSize(1);
  bool widened = codes.type.getElementType().isF32();
  bool perToken = scales.type.getRank() == 1;
  std::vector<KernelArg> args{in, codes, scales};
  int kernel = L.kernel("axe.quantize", args, 0,
                        [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value inView = a[in.name], codesView = a[codes.name], scalesView = a[scales.name];
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
  L.dispatch(kernel, args, {}, in.view.shape[0]);
}

namespace {

// A GEMM's register block: kTokenBlock tokens x kRowBlock output rows, so each weight vector is
// loaded (and decoded) once per kTokenBlock tokens and each input vector once per kRowBlock rows.
// 8 accumulators of 16 lanes fill the 16 AVX2 registers of x86-64-v3.
constexpr int64_t kTokenBlock = 4, kRowBlock = 2;

// Prefill's cache block: a workgroup walks its rows once per tile of this many tokens, so the
// tile's inputs (64 x K f32: 256 KB at K = 1024) stay in L2 while every row passes over them,
// instead of streaming all T inputs from L3 or memory once per row. A tile with more than
// kTokenBlock tokens has each weight row decoded once into f32 scratch for all its blocks: the
// decode (e4m3 especially) costs more vector instructions per block than the FMAs it feeds.
constexpr int64_t kTokenTile = 64;
// The decoded path's register block: kTokenBlock tokens x 4 rows, 16 accumulators (half the
// registers of x86-64-v4), each input vector loaded once for 4 rows: the inputs' loads from L2,
// not the FMAs, bound the 4 x 2 block there.
constexpr int64_t kDecodedRowBlock = 4;

// The head's register block: 4 vocabulary rows, so that each bf16 input vector is converted once
// per 4 rows. The head is the largest GEMV of a decode step (a third of its bytes on `large`);
// on a Zen 4 host, where the bf16 GEMVs are bound by instructions rather than by memory, 4 rows
// instead of 2 gave decode 30.7/30.6 -> 31.7/32.3 tok/s (1 thread, alternating).
constexpr int64_t kLogitsRowBlock = 4;

// Calls `block(tokens, rows)` for the tokens [lo, hi) in groups of kTokenBlock (what is left in
// groups of 2 and 1, or with `full`, hi - lo >= kTokenBlock, in a last full block overlapping
// the one before); `rows` are the tokens' row indices of a [T, K] input, for dotGrid. Each call
// computes weight rows against its tokens, sharing the weights' loads.
using TokenBlock = std::function<void(ArrayRef<Value> tokens, ArrayRef<SmallVector<Value>> rows)>;
void forTokenBlocks(KernelBuilder &kb, Value lo, Value hi, const TokenBlock &block, bool full = false) {
  kb.forBlocks(lo, hi, kTokenBlock, [&](ArrayRef<Value> tokens) {
    SmallVector<SmallVector<Value>> rows;
    for (Value t : tokens)
      rows.push_back({t});
    block(tokens, rows);
  }, full);
}

// Calls body(lo, hi, many) for the tokens [0, T) in tiles of kTokenTile; `many` is whether the
// tile holds more than one register block, the case where rows are worth decoding once.
void forTokenTiles(KernelBuilder &kb, Value numTokens,
                   const std::function<void(Value lo, Value hi, Value many)> &body) {
  kb.forLoop(kb.idx(0), numTokens, kTokenTile, [&](Value lo) {
    Value hi = arith::MinUIOp::create(kb.builder(), lo.getLoc(), kb.addi(lo, kb.idx(kTokenTile)), numTokens);
    body(lo, hi, kb.cmpi(arith::CmpIPredicate::ugt, kb.subi(hi, lo), kb.idx(kTokenBlock)));
  });
}

// Runs body(decoded) for a tile of more than one register block (`many`), body(null) otherwise;
// a body given `decoded` (scratch for kDecodedRowBlock rows) decodes its rows into it and reads
// them there. Chosen once per tile, so that decode's loops are the plain ones.
void perTilePath(KernelBuilder &kb, Value decoded, Value many, const std::function<void(Value)> &body) {
  if (!decoded)
    return body(Value());
  kb.ifThenElse(many, [&] { body(decoded); }, [&] { body(Value()); });
}

// Rows `rows` of w where body reads them: decoded into decoded[0..] when given, else in place.
// Returns the memref and each row's indices in it.
std::pair<Value, SmallVector<SmallVector<Value>>> rowsFor(KernelBuilder &kb, Value w, ArrayRef<Value> rows,
                                                          int64_t k, Value decoded) {
  SmallVector<SmallVector<Value>> at;
  for (auto [j, r] : llvm::enumerate(rows)) {
    if (!decoded) {
      at.push_back({r});
      continue;
    }
    at.push_back({kb.idx(int64_t(j))});
    kb.decodeRow(w, {r}, decoded, at.back(), k);
  }
  return {decoded ? decoded : w, at};
}

// y[t, n] = Σ_k x[t, k] w[n, k] over n in the workgroup range, for every token t. Also the
// f8 x f8 -> f32 matmul of the unfused per-channel form: loads decode e4m3 codes.
LogicalResult lowerPlainLinear(ir::LinearOp op, Lowering &L) {
  ViewArg x = L.view(op.getInput()), w = L.view(op.getWeight());
  ViewArg out = L.result(op.getResult());
  auto wt = tensorType(op.getWeight());
  int64_t n = wt.getDimSize(0), k = wt.getDimSize(1);
  std::vector<KernelArg> args = {{"x", x, L.memrefType(tensorType(op.getInput()))},
      {"w", w, L.memrefType(wt)},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int kernel = L.kernel("axe.linear", args,
                        0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value xView = a["x"], wView = a["w"], outView = a["out"];
    Value scratch = kb.decodedRowsScratch(kDecodedRowBlock, k);
    forTokenTiles(kb, kb.dim(xView, 0), [&](Value lo, Value hi, Value many) {
      perTilePath(kb, scratch, many, [&](Value decoded) {
        kb.forBlocks(wb, we, decoded ? kDecodedRowBlock : kRowBlock, [&](ArrayRef<Value> outRows) {
          auto [w, wAt] = rowsFor(kb, wView, outRows, k, decoded);
          forTokenBlocks(kb, lo, hi, [&](ArrayRef<Value> ts, ArrayRef<SmallVector<Value>> rows) {
            SmallVector<SmallVector<Value>> sums = kb.dotGrid(xView, rows, w, wAt, kb.idx(0), k, !decoded);
            for (auto [t, row] : llvm::zip(ts, sums))
              for (auto [r, sum] : llvm::zip(outRows, row))
                kb.store(sum, outView, {t, r});
          }, bool(decoded));
        });
      });
    });
  });
  L.dispatch(kernel, args, {}, SymInt::of(n));
  return success();
}

LogicalResult lowerQuantize(ir::QuantizeOp op, Lowering &L) {
  ViewArg x = L.view(op.getInput());
  ViewArg q = L.result(op.getResult()), s = L.result(op.getScale());
  auto in = tensorType(op.getInput());
  int64_t group = op.getGroupSize().value_or(in.getDimSize(1));
  quantizeInto(L, {"in", x, L.memrefType(in)}, {"codes", q, L.memrefType(tensorType(op.getResult()))},
               {"scales", s, L.memrefType(tensorType(op.getScale()))}, group);
  return success();
}

LogicalResult lowerDequantize(ir::DequantizeOp op, Lowering &L) {
  ViewArg acc = L.view(op.getAcc()), st = L.view(op.getActScale()), sw = L.view(op.getWeightScale());
  ViewArg out = L.result(op.getResult());
  int64_t n = tensorType(op.getAcc()).getDimSize(1);
  std::vector<KernelArg> args = {{"acc", acc, L.memrefType(tensorType(op.getAcc()))},
      {"st", st, L.memrefType(tensorType(op.getActScale()))},
      {"sw", sw, L.memrefType(tensorType(op.getWeightScale()))},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int kernel = L.kernel("axe.dequantize", args,
                        0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value accView = a["acc"], stView = a["st"], swView = a["sw"], outView = a["out"];
    kb.forLoop(wb, we, [&](Value t) {
      Value tokenScale = kb.load(stView, {t});
      kb.forLoop(0, n, [&](Value c) {
        kb.store(kb.mul(kb.mul(kb.load(accView, {t, c}), tokenScale), kb.load(swView, {c})), outView, {t, c});
      });
    });
  });
  L.dispatch(kernel, args, {}, acc.shape[0]);
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
    quantizeInto(L, {"in", x, L.memrefType(in)}, {"codes", codes, L.memrefType(codesType)},
                 {"scales", scales, L.memrefType(scalesType)}, bk);
  }
  ViewArg w = L.view(op.getWeight()), ws = L.view(op.getWeightScale());
  ViewArg out = L.result(op.getResult());
  auto wsType = tensorType(op.getWeightScale());
  bool blockScales = block.has_value();
  std::vector<KernelArg> args = {{"codes", codes, L.memrefType(codesType)},
      {"scales", scales, L.memrefType(scalesType)},
      {"w", w, L.memrefType(wt)},
      {"ws", ws, L.memrefType(wsType)},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  int kernel = L.kernel("axe.fp8_linear", args,
                        0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value codesView = a["codes"], scalesView = a["scales"], wView = a["w"], wsView = a["ws"], outView = a["out"];
    Value scratch = kb.decodedRowsScratch(kDecodedRowBlock, k);
    forTokenTiles(kb, kb.dim(codesView, 0), [&](Value lo, Value hi, Value many) {
      perTilePath(kb, scratch, many, [&](Value decoded) {
        // One row at a time in place (decode), kDecodedRowBlock decoded.
        kb.forBlocks(wb, we, decoded ? kDecodedRowBlock : 1, [&](ArrayRef<Value> outRows) {
          auto [w, wAt] = rowsFor(kb, wView, outRows, k, decoded);
          forTokenBlocks(kb, lo, hi, [&](ArrayRef<Value> ts, ArrayRef<SmallVector<Value>> rows) {
            size_t numRows = outRows.size();
            SmallVector<Value> zeros(ts.size() * numRows, kb.f32(0.0f));
            SmallVector<Value> totals = kb.reduce(kb.idx(0), kb.idx(k / bk), zeros, [&](Value g, ArrayRef<Value> sums) {
              Value base = kb.muli(g, kb.idx(bk));
              SmallVector<SmallVector<Value>> partials = kb.dotGrid(codesView, rows, w, wAt, base, bk, !decoded);
              SmallVector<Value> next;
              for (auto [i, t] : llvm::enumerate(ts)) {
                Value tokenScale = blockScales ? kb.load(scalesView, {t, g}) : kb.load(scalesView, {t});
                for (auto [j, row] : llvm::enumerate(outRows)) {
                  Value weightScale =
                      blockScales ? kb.load(wsView, {kb.divui(row, kb.idx(bn)), g}) : kb.load(wsView, {row});
                  next.push_back(
                      kb.add(sums[i * numRows + j], kb.mul(partials[i][j], kb.mul(tokenScale, weightScale))));
                }
              }
              return next;
            });
            for (auto [i, t] : llvm::enumerate(ts))
              for (auto [j, row] : llvm::enumerate(outRows))
                kb.store(totals[i * numRows + j], outView, {t, row});
          }, bool(decoded));
        });
      });
    });
  });
  L.dispatch(kernel, args, {}, SymInt::of(n));
  return success();
}

LogicalResult lowerLogits(ir::LogitsOp op, Lowering &L) {
  ViewArg h = L.view(op.getHidden()), w = L.view(op.getWeight()), rows = L.view(op.getRows());
  ViewArg out = L.result(op.getResult()); // the step's output: [R, V] as forward_step declares
  auto wt = tensorType(op.getWeight());
  int64_t vocab = wt.getDimSize(0), d = wt.getDimSize(1);
  std::vector<KernelArg> args = {{"h", h, L.memrefType(tensorType(op.getHidden()))},
      {"w", w, L.memrefType(wt)},
      {"rows", rows, L.memrefType(tensorType(op.getRows()))},
      {"out", out, L.memrefType(tensorType(op.getResult()))}};
  // An FP8 head: scales per row ([V]) or per 128x128 block ([V/128, D/128]).
  bool fp8 = bool(op.getWeightScale());
  bool blockScales = fp8 && tensorType(op.getWeightScale()).getRank() == 2;
  int64_t bk = blockScales ? 128 : d;
  if (fp8)
    args.push_back({"ws", L.view(op.getWeightScale()), L.memrefType(tensorType(op.getWeightScale()))});
  int kernel = L.kernel("axe.logits", args,
                        0, [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value hView = a["h"], wView = a["w"], rowsView = a["rows"], outView = a["out"];
    Value wsView = fp8 ? a["ws"] : Value();
    Value numRows = kb.dim(rowsView, 0);
    // Register blocks of kLogitsRowBlock vocabulary rows x kTokenBlock logits rows.
    kb.forBlocks(wb, we, kLogitsRowBlock, [&](ArrayRef<Value> vs) {
      SmallVector<SmallVector<Value>> wAt;
      for (Value v : vs)
        wAt.push_back({v});
      kb.forBlocks(kb.idx(0), numRows, kTokenBlock, [&](ArrayRef<Value> rs) {
        SmallVector<SmallVector<Value>> hAt;
        for (Value r : rs)
          hAt.push_back({kb.loadIndex(rowsView, {r})});
        SmallVector<Value> zeros(rs.size() * vs.size(), kb.f32(0.0f));
        SmallVector<Value> totals = kb.reduce(kb.idx(0), kb.idx(d / bk), zeros, [&](Value g, ArrayRef<Value> sums) {
          SmallVector<SmallVector<Value>> parts = kb.dotGrid(hView, hAt, wView, wAt, kb.muli(g, kb.idx(bk)), bk,
                                                                /*prefetchY=*/true);
          SmallVector<Value> next;
          for (size_t i = 0; i < rs.size(); ++i)
            for (auto [j, v] : llvm::enumerate(vs)) {
              if (!fp8) { // one group: the plain dot product
                next.push_back(parts[i][j]);
                continue;
              }
              Value scale = blockScales ? kb.load(wsView, {kb.divui(v, kb.idx(128)), g}) : kb.load(wsView, {v});
              next.push_back(kb.add(sums[i * vs.size() + j], kb.mul(parts[i][j], scale)));
            }
          return next;
        });
        for (size_t i = 0; i < rs.size(); ++i)
          for (size_t j = 0; j < vs.size(); ++j)
            kb.store(totals[i * vs.size() + j], outView, {rs[i], vs[j]});
      });
    });
  });
  L.dispatch(kernel, args, {}, SymInt::of(vocab));
  return success();
}

} // namespace

void populateLinearPatterns(RewritePatternSet &patterns, DispatchFormation &formation) {
  addDispatchPattern<ir::LinearOp>(patterns, formation, lowerPlainLinear);
  addDispatchPattern<ir::QuantizeOp>(patterns, formation, lowerQuantize);
  addDispatchPattern<ir::DequantizeOp>(patterns, formation, lowerDequantize);
  addDispatchPattern<ir::Fp8LinearOp>(patterns, formation, lowerFp8Linear);
  addDispatchPattern<ir::LogitsOp>(patterns, formation, lowerLogits);
}

} // namespace axe::cpu
