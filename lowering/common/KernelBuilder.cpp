//===- KernelBuilder.cpp - writing kernel bodies on memrefs ---------------===//

#include "lowering/common/KernelBuilder.h"
#include "lowering/common/StepProgram.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace axe {

using namespace mlir;

Value KernelBuilder::idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
Value KernelBuilder::f32(float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}
Value KernelBuilder::i32(int32_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
}

Value KernelBuilder::addi(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
Value KernelBuilder::subi(Value a, Value c) { return arith::SubIOp::create(b, loc, a, c); }
Value KernelBuilder::muli(Value a, Value c) { return arith::MulIOp::create(b, loc, a, c); }
Value KernelBuilder::divui(Value a, Value c) { return arith::DivUIOp::create(b, loc, a, c); }
Value KernelBuilder::remui(Value a, Value c) { return arith::RemUIOp::create(b, loc, a, c); }
Value KernelBuilder::cmpi(arith::CmpIPredicate p, Value a, Value c) {
  return arith::CmpIOp::create(b, loc, p, a, c);
}
Value KernelBuilder::ori(Value a, Value c) { return arith::OrIOp::create(b, loc, a, c); }
Value KernelBuilder::dim(Value memref, unsigned i) {
  return memref::DimOp::create(b, loc, memref, i);
}

Value KernelBuilder::add(Value a, Value c) { return arith::AddFOp::create(b, loc, a, c); }
Value KernelBuilder::sub(Value a, Value c) { return arith::SubFOp::create(b, loc, a, c); }
Value KernelBuilder::mul(Value a, Value c) { return arith::MulFOp::create(b, loc, a, c); }
Value KernelBuilder::div(Value a, Value c) { return arith::DivFOp::create(b, loc, a, c); }
Value KernelBuilder::neg(Value a) { return arith::NegFOp::create(b, loc, a); }
Value KernelBuilder::max(Value a, Value c) { return arith::MaximumFOp::create(b, loc, a, c); }
Value KernelBuilder::min(Value a, Value c) { return arith::MinimumFOp::create(b, loc, a, c); }
Value KernelBuilder::abs(Value a) { return math::AbsFOp::create(b, loc, a); }
Value KernelBuilder::exp(Value a) { return math::ExpOp::create(b, loc, a); }
Value KernelBuilder::log1p(Value a) { return math::Log1pOp::create(b, loc, a); }
Value KernelBuilder::rsqrt(Value a) { return div(f32(1.0f), sqrt(a)); }
Value KernelBuilder::sqrt(Value a) { return math::SqrtOp::create(b, loc, a); }
Value KernelBuilder::sin(Value a) { return math::SinOp::create(b, loc, a); }
Value KernelBuilder::cos(Value a) { return math::CosOp::create(b, loc, a); }
Value KernelBuilder::pow(Value a, Value c) { return math::PowFOp::create(b, loc, a, c); }
Value KernelBuilder::sigmoid(Value a) {
  auto lanes = dyn_cast<VectorType>(a.getType());
  Value one = lanes ? splat(1.0f, lanes.getDimSize(0)) : f32(1.0f);
  return div(one, add(one, exp(neg(a))));
}
Value KernelBuilder::silu(Value a) { return mul(a, sigmoid(a)); }
Value KernelBuilder::softplus(Value a) {
  // log1p(exp(x)) without a log1p: below -15, log(1 + e^x) = e^x to f32 precision (and 1 + e^x
  // would round to 1); above 20, x itself, as PyTorch does.
  Value e = exp(a);
  Value mid = math::LogOp::create(b, loc, add(f32(1.0f), e));
  Value low = select(cmpf(arith::CmpFPredicate::OLT, a, f32(-15.0f)), e, mid);
  return select(cmpf(arith::CmpFPredicate::OGT, a, f32(20.0f)), a, low);
}
Value KernelBuilder::cmpf(arith::CmpFPredicate p, Value a, Value c) {
  return arith::CmpFOp::create(b, loc, p, a, c);
}
Value KernelBuilder::select(Value cond, Value a, Value c) {
  return arith::SelectOp::create(b, loc, cond, a, c);
}
Value KernelBuilder::indexToF32(Value i) {
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), i);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), i64);
}

bool KernelBuilder::mayHoldNaNCodes(Value memref) {
  while (auto view = memref.getDefiningOp<ViewLikeOpInterface>())
    memref = view.getViewSource();
  auto arg = dyn_cast<BlockArgument>(memref);
  return !arg || arg.getOwner() != &func.getBody().front() ||
         !func.getArgAttr(arg.getArgNumber(), kNoNaNCodesAttr);
}

Value KernelBuilder::loadLanes(Value memref, ValueRange indices, int64_t lanes, float *factor) {
  Type elem = cast<MemRefType>(memref.getType()).getElementType();
  if (factor)
    *factor = 1.0f;
  Value v = vector::LoadOp::create(b, loc, VectorType::get({lanes}, elem), memref, indices);
  auto f32s = VectorType::get({lanes}, b.getF32Type());
  if (elem.isF32())
    return v;
  if (elem.isBF16() || elem.isF16())
    return arith::ExtFOp::create(b, loc, f32s, v);
  // e4m3 values: the scalar decode's bit moves on their codes, lane-wise (see decodeE4M3).
  if (!isa<Float8E4M3FNType>(elem))
    llvm_unreachable("kernel lane load of an unsupported element type");
  v = arith::BitcastOp::create(b, loc, VectorType::get({lanes}, b.getI8Type()), v);
  auto i16s = VectorType::get({lanes}, b.getI16Type());
  auto splat16 = [&](int16_t c) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(i16s, b.getI16IntegerAttr(c).getValue()));
  };
  Value wide = arith::ExtSIOp::create(b, loc, i16s, v);
  Value shifted = arith::ShLIOp::create(b, loc, wide, splat16(7));
  Value masked = arith::AndIOp::create(b, loc, shifted, splat16(static_cast<int16_t>(0xBF80)));
  // Without NaN codes (a checked weight) the fix-up's three ops per lane vector are dropped: in
  // the FP8 GEMV, which the decode's vector ops bound, they are a quarter of its instructions.
  if (mayHoldNaNCodes(memref)) {
    Value nanBit = arith::AndIOp::create(b, loc, arith::AddIOp::create(b, loc, masked, splat16(0x80)),
                                         splat16(0x4000));
    masked = arith::OrIOp::create(b, loc, masked, nanBit);
  }
  Value half = arith::BitcastOp::create(b, loc, VectorType::get({lanes}, b.getF16Type()), masked);
  Value single = arith::ExtFOp::create(b, loc, f32s, half);
  if (factor) {
    *factor = 256.0f;
    return single;
  }
  Value scale = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32s, 256.0f));
  return arith::MulFOp::create(b, loc, single, scale);
}

void KernelBuilder::storeLanes(Value lanes, Value memref, ValueRange indices) {
  Type elem = cast<MemRefType>(memref.getType()).getElementType();
  auto vt = cast<VectorType>(lanes.getType());
  if (elem.isBF16() || elem.isF16())
    lanes = arith::TruncFOp::create(b, loc, VectorType::get(vt.getShape(), elem), lanes);
  else if (!elem.isF32())
    llvm_unreachable("kernel lane store of an unsupported element type");
  vector::StoreOp::create(b, loc, lanes, memref, indices);
}

Value KernelBuilder::splat(float v, int64_t lanes) {
  auto f32s = VectorType::get({lanes}, b.getF32Type());
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32s, v));
}

namespace {

constexpr int64_t kLanes = 16; // f32 lanes of the row loops (two AVX2 registers)

// The indices of element i of the row at `prefix`.
SmallVector<Value> at(ValueRange prefix, Value i) {
  SmallVector<Value> idx(prefix.begin(), prefix.end());
  idx.push_back(i);
  return idx;
}

// The sum of a vector's lanes as a tree of halves: lanes i and i + n/2 first, then on down. A
// plain vector.reduction is ordered (sixteen dependent scalar adds, ~64 cycles); the tree is four
// vector adds, and a fixed order written here, so both CPU targets compute the same bits.
Value laneSum(OpBuilder &b, Location loc, Value v) {
  int64_t n = cast<VectorType>(v.getType()).getDimSize(0);
  while (n > 1) {
    n /= 2;
    SmallVector<int64_t> loLanes, hiLanes;
    for (int64_t i = 0; i < n; ++i) {
      loLanes.push_back(i);
      hiLanes.push_back(n + i);
    }
    Value lo = vector::ShuffleOp::create(b, loc, v, v, loLanes), hi = vector::ShuffleOp::create(b, loc, v, v, hiLanes);
    v = arith::AddFOp::create(b, loc, lo, hi);
  }
  return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0});
}

// e4m3 and bf16 rows are decoded 32 lanes at a time where n allows: the integer moves of the
// e4m3 decode then run on full 512-bit registers of x86-64-v4 (half the instructions per weight),
// and a streamed row's prefetch (one per decode) covers a whole 64-byte line of bf16 instead of
// half of one. f32 rows take 16.
int64_t decodeLanes(Value memref, int64_t n) {
  Type elem = cast<MemRefType>(memref.getType()).getElementType();
  bool wide = isa<Float8E4M3FNType>(elem) || elem.isBF16();
  return wide && n % (2 * kLanes) == 0 ? 2 * kLanes : kLanes;
}

// How far ahead of its loads a streamed weight row is prefetched. Measured with a C++ model of the
// kernel's loop over a 128 MB bf16 GEMV (2 rows per block, one thread, AVX-512): 7.7 GB/s without prefetches, 11.7 at 1 KB ahead,
// 12.8-14.5 at 4-8 KB; a plain streaming read of the same buffer ran at 15.5.
constexpr int64_t kPrefetchBytes = 6144;

// Prefetches the element at `indices` of a row-major memref (rows: the next-to-last index) from
// the row that lies about kPrefetchBytes further on, clamped to the last row so the address stays
// inside the memref. Rows narrower than a cache line, or of dynamic width, are not prefetched.
void prefetchRowsAhead(OpBuilder &b, Location loc, Value memref, ArrayRef<Value> indices) {
  auto type = cast<MemRefType>(memref.getType());
  int64_t rank = type.getRank(), width = type.getShape().back();
  if (rank < 2 || ShapedType::isDynamic(width))
    return;
  int64_t rowBytes = width * std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
  if (rowBytes < 64)
    return;
  int64_t ahead = (kPrefetchBytes + rowBytes - 1) / rowBytes;
  SmallVector<Value> at(indices.begin(), indices.end());
  Value row = at[rank - 2];
  Value rows = memref::DimOp::create(b, loc, memref, rank - 2);
  Value last = arith::SubIOp::create(b, loc, rows, arith::ConstantIndexOp::create(b, loc, 1));
  Value next = arith::AddIOp::create(b, loc, row, arith::ConstantIndexOp::create(b, loc, ahead));
  at[rank - 2] = arith::MinUIOp::create(b, loc, next, last);
  memref::PrefetchOp::create(b, loc, memref, at, /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
}

} // namespace

Value KernelBuilder::dot(Value x, ValueRange xAt, Value y, ValueRange yAt, Value lo, int64_t n) {
  if (n % kLanes == 0)
    return dotMany(x, {SmallVector<Value>(xAt.begin(), xAt.end())}, y, yAt, lo, n)[0];
  return reduce1(idx(0), idx(n), f32(0.0f), [&](Value i, Value s) {
    Value k = addi(lo, i);
    return add(s, mul(load(x, at(xAt, k)), load(y, at(yAt, k))));
  });
}

void KernelBuilder::forBlocks(Value lo, Value hi, int64_t size, const std::function<void(ArrayRef<Value>)> &body) {
  Value full = addi(lo, muli(divui(subi(hi, lo), idx(size)), idx(size)));
  forLoop(lo, full, size, [&](Value first) {
    SmallVector<Value> block;
    for (int64_t i = 0; i < size; ++i)
      block.push_back(addi(first, idx(i)));
    body(block);
  });
  // What is left in halving blocks (4: then at most one block of 2 and one of 1), so that a
  // remainder of 3 still shares its loads.
  if (size > 1)
    forBlocks(full, hi, size / 2, body);
}

void KernelBuilder::forBlocks(Value lo, Value hi, int64_t size, const std::function<void(ArrayRef<Value>)> &body,
                              bool fullOnly) {
  if (!fullOnly)
    return forBlocks(lo, hi, size, body);
  Value lastStart = subi(hi, idx(size));
  forLoop(lo, hi, size, [&](Value first) {
    Value start = arith::MinUIOp::create(b, loc, first, lastStart);
    SmallVector<Value> block;
    for (int64_t i = 0; i < size; ++i)
      block.push_back(addi(start, idx(i)));
    body(block);
  });
}

SmallVector<Value> KernelBuilder::dotMany(Value x, ArrayRef<SmallVector<Value>> xAts, Value y, ValueRange yAt,
                                          Value lo, int64_t n) {
  SmallVector<SmallVector<Value>> grid = dotGrid(x, xAts, y, {SmallVector<Value>(yAt.begin(), yAt.end())}, lo, n);
  SmallVector<Value> sums;
  for (const SmallVector<Value> &row : grid)
    sums.push_back(row[0]);
  return sums;
}

SmallVector<SmallVector<Value>> KernelBuilder::dotGrid(Value x, ArrayRef<SmallVector<Value>> xAts, Value y,
                                                       ArrayRef<SmallVector<Value>> yAts, Value lo, int64_t n,
                                                       bool prefetchY) {
  constexpr int64_t lanes = kLanes;
  SmallVector<SmallVector<Value>> sums(xAts.size());
  if (n % lanes != 0) {
    for (auto [i, xAt] : llvm::enumerate(xAts))
      for (const SmallVector<Value> &yAt : yAts)
        sums[i].push_back(reduce1(idx(0), idx(n), f32(0.0f), [&](Value j, Value s) {
          Value k = addi(lo, j);
          return add(s, mul(load(x, at(xAt, k)), load(y, at(yAt, k))));
        }));
    return sums;
  }
  auto f32s = VectorType::get({lanes}, b.getF32Type());
  Value zero = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32s, 0.0f));
  size_t cols = yAts.size();
  SmallVector<Value> init(xAts.size() * cols, zero);
  // y rows decoded decodeLanes at a time; each 16-lane piece feeds the accumulators in turn, the
  // order of plain 16-lane steps, so the sums keep their bits.
  int64_t pieces = decodeLanes(y, n) / lanes;
  auto loop = scf::ForOp::create(b, loc, idx(0), idx(n), idx(lanes * pieces), init);
  float xFactor = 1.0f, yFactor = 1.0f;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value k = addi(lo, loop.getInductionVar());
    // e4m3 lanes stay 2^-8 of their value and the sums are scaled back once: scaling by a power
    // of two is exact, so the sums are the same bits (outside f32's subnormal range) for two
    // fewer multiplies per 16 lanes in the FP8 GEMV's inner loop.
    SmallVector<SmallVector<Value>> yv(pieces); // yv[p][j]: lanes p of row j
    for (const SmallVector<Value> &yAt : yAts) {
      if (prefetchY)
        prefetchRowsAhead(b, loc, y, at(yAt, k));
      Value wide = loadLanes(y, at(yAt, k), lanes * pieces, &yFactor);
      for (int64_t p = 0; p < pieces; ++p) {
        SmallVector<int64_t> piece; // a shuffle, which every target lowers directly
        for (int64_t l = 0; l < lanes; ++l)
          piece.push_back(p * lanes + l);
        yv[p].push_back(pieces == 1 ? wide : vector::ShuffleOp::create(b, loc, wide, wide, piece).getResult());
      }
    }
    SmallVector<Value> acc(loop.getRegionIterArgs().begin(), loop.getRegionIterArgs().end());
    for (int64_t p = 0; p < pieces; ++p) {
      Value kp = p == 0 ? k : addi(k, idx(p * lanes));
      for (auto [i, xAt] : llvm::enumerate(xAts)) {
        Value xv = loadLanes(x, at(xAt, kp), lanes, &xFactor);
        for (size_t j = 0; j < cols; ++j)
          acc[i * cols + j] = vector::FMAOp::create(b, loc, xv, yv[p][j], acc[i * cols + j]);
      }
    }
    scf::YieldOp::create(b, loc, acc);
  }
  for (auto [index, acc] : llvm::enumerate(loop.getResults())) {
    Value sum = laneSum(b, loc, acc);
    sums[index / cols].push_back(xFactor * yFactor == 1.0f ? sum : mul(sum, f32(xFactor * yFactor)));
  }
  return sums;
}

bool KernelBuilder::vectorized(int64_t n) { return n % kLanes == 0; }

void KernelBuilder::decodeRow(Value src, ValueRange srcAt, Value dst, ValueRange dstAt, int64_t n) {
  if (!vectorized(n))
    llvm_unreachable("decodeRow of a row that is not a multiple of 16 lanes");
  int64_t lanes = decodeLanes(src, n);
  auto loop = scf::ForOp::create(b, loc, idx(0), idx(n), idx(lanes));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value i = loop.getInductionVar();
  vector::StoreOp::create(b, loc, loadLanes(src, at(srcAt, i), lanes), dst, at(dstAt, i));
}

Value KernelBuilder::decodedRowsScratch(int64_t rows, int64_t n) {
  return vectorized(n) ? scratch({rows, n}, b.getF32Type()) : Value();
}

void KernelBuilder::axpy(Value alpha, Value x, ValueRange xAt, Value y, ValueRange yAt, Value lo, int64_t n) {
  constexpr int64_t lanes = kLanes;
  if (n % lanes != 0 || !cast<MemRefType>(y.getType()).getElementType().isF32()) {
    forLoop(idx(0), idx(n), [&](Value i) {
      Value k = addi(lo, i);
      store(add(load(y, at(yAt, k)), mul(alpha, load(x, at(xAt, k)))), y, at(yAt, k));
    });
    return;
  }
  auto f32s = VectorType::get({lanes}, b.getF32Type());
  Value a = vector::BroadcastOp::create(b, loc, f32s, alpha);
  auto loop = scf::ForOp::create(b, loc, idx(0), idx(n), idx(lanes));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value k = addi(lo, loop.getInductionVar());
  Value sum = vector::FMAOp::create(b, loc, a, loadLanes(x, at(xAt, k), lanes), loadLanes(y, at(yAt, k), lanes));
  vector::StoreOp::create(b, loc, sum, y, at(yAt, k));
}

Value KernelBuilder::decodeE4M3(Value bits) {
  // e4m3 -> f16 by moving the fields into place: sign to bit 15, exponent and mantissa to
  // bits 13..7 (a shift by 7 of the sign-extended byte, then clearing bit 14). The f16 then
  // equals the e4m3 value times 2^-8, subnormals included; scale back by 256 exactly.
  // The NaN codes 0x7F/0xFF (and only they) move to 0x3F80 | sign, the only field pattern to
  // which adding 0x80 carries into bit 14: OR-ing that carry in gives an f16 NaN (exponent all
  // ones, mantissa 0x380). Two integer ops, no compare and select in the GEMV's inner loop.
  Type i16 = b.getI16Type();
  auto c16 = [&](int16_t v) { return arith::ConstantOp::create(b, loc, b.getI16IntegerAttr(v)); };
  Value wide = arith::ExtSIOp::create(b, loc, i16, bits);
  Value shifted = arith::ShLIOp::create(b, loc, wide, c16(7));
  Value masked = arith::AndIOp::create(b, loc, shifted, c16(static_cast<int16_t>(0xBF80)));
  Value nanBit = arith::AndIOp::create(b, loc, arith::AddIOp::create(b, loc, masked, c16(0x80)),
                                       c16(0x4000));
  masked = arith::OrIOp::create(b, loc, masked, nanBit);
  Value half = arith::BitcastOp::create(b, loc, b.getF16Type(), masked);
  Value single = arith::ExtFOp::create(b, loc, b.getF32Type(), half);
  return mul(single, f32(256.0f));
}

Value KernelBuilder::encodeE4M3(Value value) {
  // Clamp first (the scheme: the cast is not saturating everywhere), then round to nearest even.
  Type i32t = b.getI32Type();
  Value clamped = max(min(value, f32(448.0f)), f32(-448.0f));
  Value bits = arith::BitcastOp::create(b, loc, i32t, clamped);
  auto ci = [&](int32_t v) { return i32(v); };
  Value sign = arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, bits, ci(24)), ci(0x80));
  Value magnitudeBits = arith::AndIOp::create(b, loc, bits, ci(0x7fffffff));
  Value magnitude = arith::BitcastOp::create(b, loc, b.getF32Type(), magnitudeBits);
  // Subnormals (below 2^-6) are multiples of 2^-9: round magnitude * 512 to an even integer.
  Value scaled = math::RoundEvenOp::create(b, loc, mul(magnitude, f32(512.0f)));
  Value subnormal = arith::FPToSIOp::create(b, loc, i32t, scaled);
  // Normals: keep 3 mantissa bits, round the 20 dropped ones half to even; a carry out of the
  // mantissa lands in the exponent by plain addition.
  Value exponent = arith::SubIOp::create(b, loc, arith::ShRUIOp::create(b, loc, magnitudeBits, ci(23)), ci(127));
  Value mantissa = arith::AndIOp::create(b, loc, magnitudeBits, ci(0x7fffff));
  Value kept = arith::ShRUIOp::create(b, loc, mantissa, ci(20));
  Value dropped = arith::AndIOp::create(b, loc, mantissa, ci(0xfffff));
  Value above = cmpi(arith::CmpIPredicate::ugt, dropped, ci(0x80000));
  Value tie = cmpi(arith::CmpIPredicate::eq, dropped, ci(0x80000));
  Value odd = cmpi(arith::CmpIPredicate::ne, arith::AndIOp::create(b, loc, kept, ci(1)), ci(0));
  Value up = arith::OrIOp::create(b, loc, above, arith::AndIOp::create(b, loc, tie, odd));
  Value upInt = arith::ExtUIOp::create(b, loc, i32t, up);
  Value code = arith::AddIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, arith::AddIOp::create(b, loc, exponent, ci(7)), ci(3)),
      arith::AddIOp::create(b, loc, kept, upInt));
  Value isSub = cmpf(arith::CmpFPredicate::OLT, magnitude, f32(0.015625f));
  Value chosen = select(isSub, subnormal, code);
  // NaN (kept by the clamp's minimumf/maximumf) encodes as the NaN code, as the decode reads it.
  chosen = select(cmpf(arith::CmpFPredicate::UNO, value, value), ci(0x7f), chosen);
  Value withSign = arith::OrIOp::create(b, loc, chosen, sign);
  return arith::TruncIOp::create(b, loc, b.getI8Type(), withSign);
}

Value KernelBuilder::load(Value memref, ValueRange indices) {
  Value v = memref::LoadOp::create(b, loc, memref, indices);
  Type t = v.getType();
  if (t.isF32())
    return v;
  if (t.isBF16() || t.isF16())
    return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  if (isa<Float8E4M3FNType>(t))
    return decodeE4M3(arith::BitcastOp::create(b, loc, b.getI8Type(), v));
  llvm_unreachable("kernel load of an unsupported element type");
}

Value KernelBuilder::roundTo(Type elementType, Value value) {
  if (elementType.isF32())
    return value;
  if (elementType.isBF16() || elementType.isF16())
    return arith::ExtFOp::create(b, loc, b.getF32Type(),
                                 arith::TruncFOp::create(b, loc, elementType, value).getResult());
  if (isa<Float8E4M3FNType>(elementType))
    return decodeE4M3(encodeE4M3(value));
  llvm_unreachable("rounding to an unsupported element type");
}

void KernelBuilder::store(Value value, Value memref, ValueRange indices) {
  Type t = cast<MemRefType>(memref.getType()).getElementType();
  Value stored = value;
  if (t.isBF16() || t.isF16())
    stored = arith::TruncFOp::create(b, loc, t, value);
  else if (isa<Float8E4M3FNType>(t))
    stored = arith::BitcastOp::create(b, loc, t, encodeE4M3(value));
  else if (!t.isF32())
    llvm_unreachable("kernel store of an unsupported element type");
  memref::StoreOp::create(b, loc, stored, memref, indices);
}

void KernelBuilder::storeRaw(Value value, Value memref, ValueRange indices) {
  Type t = cast<MemRefType>(memref.getType()).getElementType();
  if (isa<Float8E4M3FNType>(t) && value.getType().isInteger(8))
    value = arith::BitcastOp::create(b, loc, t, value); // an e4m3 code from encodeE4M3
  memref::StoreOp::create(b, loc, value, memref, indices);
}

Value KernelBuilder::loadIndex(Value memref, ValueRange indices) {
  Value v = memref::LoadOp::create(b, loc, memref, indices);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

void KernelBuilder::storeIndex(Value index, Value memref, ValueRange indices) {
  Type t = cast<MemRefType>(memref.getType()).getElementType();
  Value v = arith::IndexCastOp::create(b, loc, t, index);
  memref::StoreOp::create(b, loc, v, memref, indices);
}

Value KernelBuilder::scratch(ArrayRef<int64_t> shape, Type elementType) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());
  return memref::AllocaOp::create(b, loc, MemRefType::get(shape, elementType));
}

void KernelBuilder::forLoop(Value lo, Value hi, const std::function<void(Value)> &body) {
  forLoop(lo, hi, 1, body);
}

void KernelBuilder::forLoop(Value lo, Value hi, int64_t step, const std::function<void(Value)> &body) {
  auto loop = scf::ForOp::create(b, loc, lo, hi, idx(step));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVar());
}

SmallVector<Value>
KernelBuilder::reduce(Value lo, Value hi, ArrayRef<Value> init,
                      const std::function<SmallVector<Value>(Value, ArrayRef<Value>)> &body) {
  auto loop = scf::ForOp::create(b, loc, lo, hi, idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> carried(loop.getRegionIterArgs().begin(), loop.getRegionIterArgs().end());
    SmallVector<Value> next = body(loop.getInductionVar(), carried);
    scf::YieldOp::create(b, loc, next);
  }
  return SmallVector<Value>(loop.getResults().begin(), loop.getResults().end());
}

Value KernelBuilder::reduce1(Value lo, Value hi, Value init,
                             const std::function<Value(Value, Value)> &body) {
  return reduce(lo, hi, {init}, [&](Value iv, ArrayRef<Value> acc) -> SmallVector<Value> {
    return {body(iv, acc[0])};
  })[0];
}

void KernelBuilder::ifThenElse(Value cond, const std::function<void()> &then, const std::function<void()> &otherwise) {
  auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  then();
  b.setInsertionPointToStart(&ifOp.getElseRegion().front());
  otherwise();
}

void KernelBuilder::ifThen(Value cond, const std::function<void()> &then) {
  auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  then();
}

} // namespace axe
