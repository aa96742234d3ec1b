//===- MoeKernels.cpp - routing and the grouped SwiGLU experts ------------===//
//
// Routing: one workgroup per token: softmax over all experts, top-k, renormalise. Grouping
// (axe.moe_group): one workgroup counting-sorts the step's (token, slot) pairs by expert, so the
// expert passes walk only the experts some token chose, each weight vector decoded once for a
// block of that expert's tokens. Experts: the gate/up rows, SiLU·mul, then the down rows, each
// split over output channels; down writes every pair's product apart and a last pass sums a
// token's slots in slot order, so the result does not depend on how tokens were grouped. FP8
// experts quantize the token and the SwiGLU product dynamically (per token, or per 1 x bk group
// with block scales) and accumulate e4m3 products in f32, as axe.fp8_linear does. The grids never
// depend on routing.
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/CpuKernels.h"

#include "dialects/axe/AxeOps.h"

#include <cmath>

namespace axe::cpu {

using namespace mlir;
namespace ir = mlir::axe;

namespace {

// Register blocks, sized for the 16 AVX2 registers of x86-64-v3 (a 16-lane f32 vector is two):
// both passes take kGroupTokens tokens of one expert at a time, so each weight vector is decoded
// once for them all, against gate_up's gate and up rows of one output row or down's kDownRows
// output rows, so each activation vector is loaded once for them. This cuts the decoding and the
// re-reads from cache that bound prefill.
constexpr int64_t kGroupTokens = 4, kDownRows = 2;
// An expert with more tokens than this (several register blocks: prefill, large batches) has its
// weight rows decoded once into scratch, and its blocks read the f32 copy: decoding e4m3 costs more
// vector instructions than the FMAs it feeds, so per block it bounds the loop. With fewer tokens
// (decode) the rows are read as they are, which touches memory once instead of twice.
constexpr int64_t kDecodeOnceTokens = kGroupTokens;
static_assert(kDecodeOnceTokens >= kGroupTokens, "the decoded path's blocks are all full");
// Output rows per register block of the decoded paths, where the inputs' loads (from L2) bound the
// loop: gate_up 4 tokens x 2 x (gate, up), down 4 x 4, 16 accumulators, half the registers of
// x86-64-v4. (In place, for decode, gate_up keeps one row and down kDownRows.)
constexpr int64_t kGateUpRows = 2, kDecodedDownRows = 4;

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

  // Several input rows (inAt[i]) of one expert e against its weight rows `rows`, K in groups: each
  // weight vector is loaded and decoded once for all the inputs, each input vector once for all the
  // rows. Plain, or e4m3 products scaled per K group by input i's scale (inputScale(i, g)) and the
  // row's weight scale. sums[i][j]: input i with row j, each accumulated as dot() alone would.
  // With `decoded`, row j's values are read from decoded[j] (decodeRows) instead of w.
  auto expertGrid = [=](KernelBuilder &kb, Value input, ArrayRef<SmallVector<Value>> inAt, int64_t k, int64_t group,
                        const std::function<Value(size_t, Value)> &inputScale, Value w, Value ws, Value e,
                        ArrayRef<Value> rows, Value decoded) -> SmallVector<SmallVector<Value>> {
    SmallVector<SmallVector<Value>> wAt;
    for (auto [j, r] : llvm::enumerate(rows))
      wAt.push_back(decoded ? SmallVector<Value>{kb.idx(int64_t(j))} : SmallVector<Value>{e, r});
    bool inPlace = !decoded; // weights streamed from memory: prefetched ahead
    if (decoded)
      w = decoded;
    if (!fp8)
      return kb.dotGrid(input, inAt, w, wAt, kb.idx(0), k, inPlace);
    SmallVector<Value> zeros(inAt.size() * rows.size(), kb.f32(0.0f));
    SmallVector<Value> flat = kb.reduce(kb.idx(0), kb.idx(k / group), zeros, [&](Value g, ArrayRef<Value> sums) {
      Value base = kb.muli(g, kb.idx(group)); // both rows' group starts at base
      SmallVector<SmallVector<Value>> partials = kb.dotGrid(input, inAt, w, wAt, base, group, inPlace);
      SmallVector<Value> next;
      for (size_t i = 0; i < inAt.size(); ++i) {
        Value scale = inputScale(i, g);
        for (auto [j, r] : llvm::enumerate(rows)) {
          Value wscale = block ? kb.load(ws, {e, kb.divui(r, kb.idx(bn)), g}) : kb.load(ws, {e, r});
          next.push_back(kb.add(sums[i * rows.size() + j], kb.mul(partials[i][j], kb.mul(scale, wscale))));
        }
      }
      return next;
    });
    SmallVector<SmallVector<Value>> out(inAt.size());
    for (auto [index, sum] : llvm::enumerate(flat))
      out[index / rows.size()].push_back(sum);
    return out;
  };
  // Rows `rows` of expert e decoded into decoded[0..].
  auto decodeRows = [=](KernelBuilder &kb, Value w, Value e, ArrayRef<Value> rows, int64_t k, Value decoded) {
    for (auto [j, r] : llvm::enumerate(rows))
      kb.decodeRow(w, {e, r}, decoded, {kb.idx(int64_t(j))}, k);
  };
  // Runs body(decoded) when expert e has more than kDecodeOnceTokens tokens, else body(null); a
  // body given `decoded` decodes its rows into it (decodeRows) and reads them there. Chosen once
  // per expert, so that the decode path's loops are the plain ones.
  // `only` restricts a kernel to one of the two paths (the experts it skips are another kernel's).
  enum class Only { Either, FewTokens, ManyTokens };
  auto perExpertPath = [=](KernelBuilder &kb, Value offsets, Value e, Value decoded,
                           const std::function<void(Value)> &body, Only only = Only::Either) {
    if (!decoded && only == Only::Either)
      return body(Value());
    Value count = kb.subi(kb.loadIndex(offsets, {kb.addi(e, kb.idx(1))}), kb.loadIndex(offsets, {e}));
    Value many = kb.cmpi(arith::CmpIPredicate::ugt, count, kb.idx(kDecodeOnceTokens));
    if (only == Only::ManyTokens)
      return kb.ifThen(many, [&] { body(decoded); });
    if (only == Only::FewTokens)
      return kb.ifThenElse(many, [] {}, [&] { body(Value()); });
    kb.ifThenElse(many, [&] { body(decoded); }, [&] { body(Value()); });
  };
  // Calls body(e) for each expert e that has tokens (`used` of the grouping dispatch). The expert
  // passes run expert by expert, each over its range of output rows: an expert's rows are
  // contiguous, so its weights stream from memory in order (row by row across the experts, the
  // reads were 1 KB pieces 1 MB apart, bound by memory latency, not bandwidth).
  auto forUsedExperts = [=](KernelBuilder &kb, Value used, const std::function<void(Value)> &body) {
    kb.forLoop(kb.idx(0), kb.loadIndex(used, {kb.idx(0)}), [&](Value k) {
      body(kb.loadIndex(used, {kb.addi(k, kb.idx(1))}));
    });
  };
  // Calls body(tokens, slots) for expert e's (token, slot) pairs (offsets and entries of the
  // grouping dispatch), kGroupTokens at a time. With `full` (an expert with at least kGroupTokens
  // tokens) every block is full, the last overlapping the one before (KernelBuilder::forBlocks).
  auto forExpertTokens = [=](KernelBuilder &kb, Value offsets, Value entries, Value e, bool full,
                             const std::function<void(ArrayRef<Value>, ArrayRef<Value>)> &body) {
    Value lo = kb.loadIndex(offsets, {e}), hi = kb.loadIndex(offsets, {kb.addi(e, kb.idx(1))});
    kb.forBlocks(lo, hi, kGroupTokens, [&](ArrayRef<Value> at) {
      SmallVector<Value> ts, slots;
      for (Value i : at) {
        Value entry = kb.loadIndex(entries, {kb.divui(i, kb.idx(topK)), kb.remui(i, kb.idx(topK))});
        ts.push_back(kb.divui(entry, kb.idx(topK)));
        slots.push_back(kb.remui(entry, kb.idx(topK)));
      }
      body(ts, slots);
    }, full);
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

  // The (token, slot) pairs grouped by expert, so that gate_up decodes each weight vector once for
  // several tokens: offsets [E + 1] into entries [T, topK] (read flat), each t * topK + slot, in
  // increasing order within an expert. One workgroup: a counting sort of T * topK ids. An id out of
  // range counts as expert 0, as everywhere else here (its weight is then zero).
  // used [E + 1]: how many experts have tokens, then those experts in increasing order (a decode
  // step touches topK of them, and gate_up visits only those).
  auto offsetsType = RankedTensorType::get({experts + 1}, IntegerType::get(ctx, 32));
  auto entriesType = RankedTensorType::get({kDyn, topK}, IntegerType::get(ctx, 32));
  ViewArg offsets = L.temp(offsetsType, "moe_offsets_"), entries = L.temp(entriesType, "moe_entries_");
  ViewArg used = L.temp(offsetsType, "moe_used_");
  std::vector<KernelArg> groupArgs{{"ids", ids, L.memrefType(idt)},
                                   {"offsets", offsets, L.memrefType(offsetsType)},
                                   {"entries", entries, L.memrefType(entriesType)},
                                   {"used", used, L.memrefType(offsetsType)}};
  int group = L.kernel("axe.moe_group", groupArgs, 0,
                       [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value idsView = a["ids"], offsetsView = a["offsets"], entriesView = a["entries"], usedView = a["used"];
    Value cursor = kb.scratch({experts}, kb.builder().getI32Type());
    Value tokens = kb.dim(idsView, 0);
    kb.forLoop(wb, we, [&](Value) {
      kb.forLoop(0, experts, [&](Value e) { kb.storeIndex(kb.idx(0), cursor, {e}); });
      kb.forLoop(kb.idx(0), tokens, [&](Value t) {
        kb.forLoop(0, topK, [&](Value slot) {
          Value e = expertOf(kb, idsView, t, slot).first;
          kb.storeIndex(kb.addi(kb.loadIndex(cursor, {e}), kb.idx(1)), cursor, {e});
        });
      });
      // Counts to starts: offsets[e] = entries before expert e; the cursors start there.
      SmallVector<Value> totals = kb.reduce(kb.idx(0), kb.idx(experts), {kb.idx(0), kb.idx(0)},
                                            [&](Value e, ArrayRef<Value> acc) -> SmallVector<Value> {
        Value before = acc[0], numUsed = acc[1];
        Value count = kb.loadIndex(cursor, {e});
        kb.storeIndex(before, offsetsView, {e});
        kb.storeIndex(before, cursor, {e});
        // Written at every e, kept only where the expert has tokens (the next one overwrites).
        kb.storeIndex(e, usedView, {kb.addi(numUsed, kb.idx(1))});
        Value has = kb.cmpi(arith::CmpIPredicate::ne, count, kb.idx(0));
        return {kb.addi(before, count), kb.select(has, kb.addi(numUsed, kb.idx(1)), numUsed)};
      });
      kb.storeIndex(totals[0], offsetsView, {kb.idx(experts)});
      kb.storeIndex(totals[1], usedView, {kb.idx(0)});
      kb.forLoop(kb.idx(0), tokens, [&](Value t) {
        kb.forLoop(0, topK, [&](Value slot) {
          Value e = expertOf(kb, idsView, t, slot).first;
          Value at = kb.loadIndex(cursor, {e});
          kb.storeIndex(kb.addi(kb.muli(t, kb.idx(topK)), slot), entriesView,
                        {kb.divui(at, kb.idx(topK)), kb.remui(at, kb.idx(topK))});
          kb.storeIndex(kb.addi(at, kb.idx(1)), cursor, {e});
        });
      });
    });
  });
  L.dispatch(group, groupArgs, {}, SymInt::of(1));

  // act [T, topK, I]; the quantizer and its scales see it as [T, topK * I].
  auto actType = RankedTensorType::get({kDyn, topK, inter}, rounding);
  auto actFlatType = RankedTensorType::get({kDyn, topK * inter}, rounding);
  ViewArg act = L.temp(actType, "moe_act_");
  auto flat = [&](ViewArg v) {
    v.shape = {v.shape[0], SymInt::of(topK * inter)};
    v.strides = {SymInt::of(topK * inter), SymInt::of(1)};
    return v;
  };
  std::vector<KernelArg> guArgs{{"x", xIn, L.memrefType(xInType)},
                                {"offsets", offsets, L.memrefType(offsetsType)},
                                {"entries", entries, L.memrefType(entriesType)},
                                {"used", used, L.memrefType(offsetsType)},
                                {"gateUp", gu, L.memrefType(gut)}, {"act", act, L.memrefType(actType)}};
  if (fp8)
    guArgs.insert(guArgs.end(), {{"xScales", xScales, L.memrefType(xScalesType)},
                                 {"gateUpScales", sgu, L.memrefType(tensorType(op.getGateUpScale()))}});
  // Two kernels when rows can be decoded: the experts with few tokens (decode) and those with
  // many. In one function, the many-token path's 16 accumulators made the other's loop 30 %
  // slower (decode steps, measured), so each gets its own.
  bool splitGateUp = KernelBuilder::vectorized(hidden);
  auto gateUpKernel = [&](Only only) {
    return L.kernel("axe.moe_experts", guArgs, 0,
                        [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value xView = a["x"], offsetsView = a["offsets"], entriesView = a["entries"], gateUpView = a["gateUp"];
    Value actView = a["act"], usedView = a["used"];
    Value xScalesView = fp8 ? a["xScales"] : Value(), gateUpScalesView = fp8 ? a["gateUpScales"] : Value();
    // Each expert, each output row r: the expert's tokens kGroupTokens at a time, so each vector
    // of its gate and up rows is loaded (and decoded) once for all of them. Decoded rows go
    // kGateUpRows output rows at a time (a gate and an up row each), so that each input vector is
    // loaded once for all of them too.
    Value decoded = only == Only::FewTokens ? Value() : kb.decodedRowsScratch(2 * kGateUpRows, hidden);
    forUsedExperts(kb, usedView, [&](Value e) {
      perExpertPath(kb, offsetsView, e, decoded, [&](Value rowsAt) {
        // In place (decode) row by row, as a plain loop: a block loop of 1 measured slower.
        auto rowLoop = [&](const std::function<void(ArrayRef<Value>)> &body) {
          if (rowsAt)
            kb.forBlocks(wb, we, kGateUpRows, body);
          else
            kb.forLoop(wb, we, [&](Value r) { body({r}); });
        };
        rowLoop([&](ArrayRef<Value> rs) {
          SmallVector<Value> rows; // the gate row, the up row of each r
          for (Value r : rs)
            rows.append({r, kb.addi(r, kb.idx(inter))});
          if (rowsAt)
            decodeRows(kb, gateUpView, e, rows, hidden, rowsAt);
          forExpertTokens(kb, offsetsView, entriesView, e, bool(rowsAt), [&](ArrayRef<Value> ts, ArrayRef<Value> slots) {
            SmallVector<SmallVector<Value>> xAt;
            for (Value t : ts)
              xAt.push_back({t});
            auto scaleOf = [&](size_t i, Value g) {
              return block ? kb.load(xScalesView, {ts[i], g}) : kb.load(xScalesView, {ts[i]});
            };
            SmallVector<SmallVector<Value>> dots =
                expertGrid(kb, xView, xAt, hidden, xGroup, scaleOf, gateUpView, gateUpScalesView, e, rows, rowsAt);
            for (size_t i = 0; i < ts.size(); ++i)
              for (auto [q, r] : llvm::enumerate(rs)) {
                Value gate = kb.roundTo(rounding, dots[i][2 * q]), up = kb.roundTo(rounding, dots[i][2 * q + 1]);
                kb.store(kb.mul(kb.silu(gate), up), actView, {ts[i], slots[i], r});
              }
          });
        });
      }, only);
    });
  });
  };
  if (splitGateUp) {
    L.dispatch(gateUpKernel(Only::FewTokens), guArgs, {}, SymInt::of(inter));
    L.dispatch(gateUpKernel(Only::ManyTokens), guArgs, {}, SymInt::of(inter));
  } else {
    L.dispatch(gateUpKernel(Only::Either), guArgs, {}, SymInt::of(inter));
  }

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
  // parts [T, topK, H]: each (token, slot)'s down product before its routing weight, computed
  // grouped by expert and then summed over the slots in slot order (the same sum as per token).
  auto partsType = RankedTensorType::get({kDyn, topK, hidden}, f32);
  ViewArg parts = L.temp(partsType, "moe_parts_");
  std::vector<KernelArg> dnArgs{{"act", actIn, L.memrefType(actInType)}, {"ids", ids, L.memrefType(idt)},
                                {"weights", weights, L.memrefType(wtt)}, {"down", dn, L.memrefType(dnt)},
                                {"out", out, L.memrefType(tensorType(op.getResult()))},
                                {"offsets", offsets, L.memrefType(offsetsType)},
                                {"entries", entries, L.memrefType(entriesType)},
                                {"used", used, L.memrefType(offsetsType)},
                                {"parts", parts, L.memrefType(partsType)}};
  if (fp8)
    dnArgs.insert(dnArgs.end(), {{"actScales", actScales, L.memrefType(actScalesType)},
                                 {"downScales", sdn, L.memrefType(tensorType(op.getDownScale()))}});
  int down = L.kernel("axe.moe_experts", dnArgs, 0,
                      [=](KernelBuilder &kb, const KernelArgValues &a, ArrayRef<Value>, Value wb, Value we) {
    Value actView = a["act"], idsView = a["ids"], weightsView = a["weights"], downView = a["down"], outView = a["out"];
    Value offsetsView = a["offsets"], entriesView = a["entries"], usedView = a["used"], partsView = a["parts"];
    Value actScalesView = fp8 ? a["actScales"] : Value(), downScalesView = fp8 ? a["downScales"] : Value();
    Value tokens = kb.dim(actView, 0);
    Value decoded = kb.decodedRowsScratch(kDecodedDownRows, inter);
    forUsedExperts(kb, usedView, [&](Value e) {
      perExpertPath(kb, offsetsView, e, decoded, [&](Value rowsAt) {
      kb.forBlocks(wb, we, rowsAt ? kDecodedDownRows : kDownRows, [&](ArrayRef<Value> cs) {
        if (rowsAt)
          decodeRows(kb, downView, e, cs, inter, rowsAt);
        forExpertTokens(kb, offsetsView, entriesView, e, bool(rowsAt), [&](ArrayRef<Value> ts, ArrayRef<Value> slots) {
          SmallVector<SmallVector<Value>> actAt;
          for (auto [t, slot] : llvm::zip(ts, slots))
            actAt.push_back({t, slot});
          auto scaleOf = [&](size_t i, Value g) {
            return kb.load(actScalesView, {ts[i], kb.addi(kb.muli(slots[i], kb.idx(inter / actGroup)), g)});
          };
          SmallVector<SmallVector<Value>> dots =
              expertGrid(kb, actView, actAt, inter, actGroup, scaleOf, downView, downScalesView, e, cs, rowsAt);
          for (size_t i = 0; i < ts.size(); ++i)
            for (auto [c, dot] : llvm::zip(cs, dots[i]))
              kb.store(dot, partsView, {ts[i], slots[i], c});
        });
        });
      });
    });
    // Each token's output channels [wb, we): its slots' parts weighted, summed in slot order.
    kb.forLoop(kb.idx(0), tokens, [&](Value t) {
      kb.forLoop(wb, we, [&](Value c) {
        Value y = kb.reduce1(kb.idx(0), kb.idx(topK), kb.f32(0.0f), [&](Value slot, Value sum) {
          Value valid = expertOf(kb, idsView, t, slot).second;
          Value weight = kb.select(valid, kb.load(weightsView, {t, slot}), kb.f32(0.0f));
          return kb.add(sum, kb.mul(weight, kb.roundTo(rounding, kb.load(partsView, {t, slot, c}))));
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
