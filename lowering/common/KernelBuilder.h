//===- KernelBuilder.h - writing kernel bodies on memrefs -----*- C++ -*-===//
//
// Small helpers to write a kernel's body as scf loops over memref views, computing in f32:
// loads decode the stored type (bf16, f16, f32, f8E4M3FN through its code bits) to f32 and stores encode f32
// back (e4m3 with clamp-then-round-to-nearest-even, written out in integer ops so that no
// library call or APFloat emulation is on the path).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_COMMON_KERNELBUILDER_H
#define AXE_LOWERING_COMMON_KERNELBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <functional>

namespace axe {

class KernelBuilder {
public:
  KernelBuilder(mlir::OpBuilder &b, mlir::func::FuncOp func) : b(b), loc(func.getLoc()), func(func) {}

  mlir::OpBuilder &builder() { return b; }

  // Constants.
  mlir::Value idx(int64_t v);
  mlir::Value f32(float v);
  mlir::Value i32(int32_t v);

  // Index arithmetic.
  mlir::Value addi(mlir::Value a, mlir::Value c);
  mlir::Value subi(mlir::Value a, mlir::Value c);
  mlir::Value muli(mlir::Value a, mlir::Value c);
  mlir::Value divui(mlir::Value a, mlir::Value c);
  mlir::Value remui(mlir::Value a, mlir::Value c);
  mlir::Value cmpi(mlir::arith::CmpIPredicate p, mlir::Value a, mlir::Value c);
  mlir::Value ori(mlir::Value a, mlir::Value c);
  mlir::Value dim(mlir::Value memref, unsigned i);

  // f32 arithmetic and the activations of the model.
  mlir::Value add(mlir::Value a, mlir::Value c);
  mlir::Value sub(mlir::Value a, mlir::Value c);
  mlir::Value mul(mlir::Value a, mlir::Value c);
  mlir::Value div(mlir::Value a, mlir::Value c);
  mlir::Value neg(mlir::Value a);
  mlir::Value max(mlir::Value a, mlir::Value c);
  mlir::Value min(mlir::Value a, mlir::Value c);
  mlir::Value abs(mlir::Value a);
  mlir::Value exp(mlir::Value a);
  mlir::Value log1p(mlir::Value a);
  mlir::Value rsqrt(mlir::Value a);
  mlir::Value sqrt(mlir::Value a);
  mlir::Value sin(mlir::Value a);
  mlir::Value cos(mlir::Value a);
  mlir::Value pow(mlir::Value a, mlir::Value c);
  // sigmoid and silu take f32 or f32 lanes.
  mlir::Value sigmoid(mlir::Value a);
  mlir::Value silu(mlir::Value a);
  // PyTorch's softplus: x above 20 passes through.
  mlir::Value softplus(mlir::Value a);
  mlir::Value cmpf(mlir::arith::CmpFPredicate p, mlir::Value a, mlir::Value c);
  mlir::Value select(mlir::Value cond, mlir::Value a, mlir::Value c);
  mlir::Value indexToF32(mlir::Value i);

  // Memory: f32 in, f32 out, whatever the element type.
  mlir::Value load(mlir::Value memref, mlir::ValueRange indices);
  void store(mlir::Value value, mlir::Value memref, mlir::ValueRange indices);
  // Stores `value` as it is; an i8 e4m3 code (encodeE4M3) into an f8E4M3FN memref is bitcast.
  void storeRaw(mlir::Value value, mlir::Value memref, mlir::ValueRange indices);
  // An integer element (ids, positions, slots) as an index.
  mlir::Value loadIndex(mlir::Value memref, mlir::ValueRange indices);
  void storeIndex(mlir::Value index, mlir::Value memref, mlir::ValueRange indices);
  // Rounds an f32 the way a store to `elementType` would, keeping it in f32.
  mlir::Value roundTo(mlir::Type elementType, mlir::Value value);
  // A per-workgroup scratch array, allocated on the stack once at the kernel's entry.
  mlir::Value scratch(llvm::ArrayRef<int64_t> shape, mlir::Type elementType);

  // sum_i x[xAt..., lo + i] * y[yAt..., lo + i] for i < n, accumulated in f32: 16 lanes of
  // vector FMAs (loads decoded in vector registers) when n is a multiple of 16, else scalar.
  mlir::Value dot(mlir::Value x, mlir::ValueRange xAt, mlir::Value y, mlir::ValueRange yAt,
                  mlir::Value lo, int64_t n);
  // dot() of several x rows with one y row: each y vector is loaded once for all of them, and
  // the accumulators stay in registers (a GEMM's register block over tokens).
  llvm::SmallVector<mlir::Value> dotMany(mlir::Value x, llvm::ArrayRef<llvm::SmallVector<mlir::Value>> xAts,
                                         mlir::Value y, mlir::ValueRange yAt, mlir::Value lo, int64_t n);
  // dot() of every x row with every y row, sums[i][j] = x row i . y row j: each vector of either
  // side is loaded once per K step for all the pairs (a register block over tokens and output
  // rows). Each sum accumulates in the same order as dot() alone would: the same bits.
  // With `prefetchY` (y: weight rows streamed from memory once, as in a decode step's GEMV),
  // each y load is paired with a prefetch of the same column kPrefetchBytes further down the
  // rows, so the memory reads run ahead of the FMAs.
  llvm::SmallVector<llvm::SmallVector<mlir::Value>> dotGrid(mlir::Value x,
                                                            llvm::ArrayRef<llvm::SmallVector<mlir::Value>> xAts,
                                                            mlir::Value y,
                                                            llvm::ArrayRef<llvm::SmallVector<mlir::Value>> yAts,
                                                            mlir::Value lo, int64_t n, bool prefetchY = false);
  // y[yAt..., lo + i] += alpha * x[xAt..., lo + i] for i < n, in f32: 16-lane vector FMAs when n
  // is a multiple of 16 and y is f32 (the state and scratch rows it is meant for), else scalar.
  void axpy(mlir::Value alpha, mlir::Value x, mlir::ValueRange xAt, mlir::Value y, mlir::ValueRange yAt,
            mlir::Value lo, int64_t n);
  // dst[dstAt..., i] = src[srcAt..., i] as f32 for i < n (n a multiple of 16): a weight row
  // decoded once into scratch, so that a GEMM over many tokens does not decode it per token block.
  // Decoding is exact, so dot products over the copy have the same bits as over the source.
  void decodeRow(mlir::Value src, mlir::ValueRange srcAt, mlir::Value dst, mlir::ValueRange dstAt, int64_t n);
  // Scratch for `rows` decoded rows of length n, or null where n is not vectorized (decodeRow
  // needs 16-lane rows; the caller then reads its rows in place).
  mlir::Value decodedRowsScratch(int64_t rows, int64_t n);
  // `lanes` consecutive elements of the innermost dimension as f32 lanes. With `factor`, e4m3
  // lanes come back divided by *factor (256; 1 for other types), for callers that scale once later.
  // e4m3 codes 0x7F/0xFF decode to NaN unless the memref views a kernel argument marked
  // kNoNaNCodesAttr (a weight axe-compile checked), whose decode skips that fix-up.
  mlir::Value loadLanes(mlir::Value memref, mlir::ValueRange indices, int64_t lanes,
                        float *factor = nullptr);
  // Stores f32 lanes into consecutive elements of the innermost dimension, rounded to the
  // memref's type (f32, bf16 or f16) as store() rounds one element.
  void storeLanes(mlir::Value lanes, mlir::Value memref, mlir::ValueRange indices);
  // `lanes` copies of an f32 constant, for lane-wise arithmetic.
  mlir::Value splat(float v, int64_t lanes);

  // E4M3 (float8_e4m3fn) codes as i8 (what f8E4M3FN bitcasts to): decode to f32; encode f32
  // after clamping to ±448. Integer ops only, so no target needs f8 arithmetic.
  mlir::Value decodeE4M3(mlir::Value bits);
  mlir::Value encodeE4M3(mlir::Value value);

  // Loops.
  void forLoop(mlir::Value lo, mlir::Value hi, const std::function<void(mlir::Value)> &body);
  void forLoop(mlir::Value lo, mlir::Value hi, int64_t step, const std::function<void(mlir::Value)> &body);
  // [lo, hi) in blocks: body(block indices) for each full block of `size` consecutive indices,
  // then what is left in blocks of size / 2, size / 4, ... 1 (register blocks over tokens or
  // output rows).
  void forBlocks(mlir::Value lo, mlir::Value hi, int64_t size,
                 const std::function<void(llvm::ArrayRef<mlir::Value>)> &body);
  // With `fullOnly`, hi - lo >= size (the caller's to ensure) and every block is full: the last
  // one ends at hi and overlaps the one before it. For bodies whose results for an index do not
  // depend on the rest of its block (the dot-product grids), so the overlap recomputes the same
  // values where a remainder would run a narrower, slower block.
  void forBlocks(mlir::Value lo, mlir::Value hi, int64_t size,
                 const std::function<void(llvm::ArrayRef<mlir::Value>)> &body, bool fullOnly);
  void forLoop(int64_t lo, int64_t hi, const std::function<void(mlir::Value)> &body) {
    forLoop(idx(lo), idx(hi), body);
  }
  // A loop carrying f32 accumulators; the body returns their next values.
  llvm::SmallVector<mlir::Value>
  reduce(mlir::Value lo, mlir::Value hi, llvm::ArrayRef<mlir::Value> init,
         const std::function<llvm::SmallVector<mlir::Value>(mlir::Value, llvm::ArrayRef<mlir::Value>)> &body);
  mlir::Value reduce1(mlir::Value lo, mlir::Value hi, mlir::Value init,
                      const std::function<mlir::Value(mlir::Value, mlir::Value)> &body);
  void ifThen(mlir::Value cond, const std::function<void()> &then);
  void ifThenElse(mlir::Value cond, const std::function<void()> &then, const std::function<void()> &otherwise);
  // Whether dot products of length n take the 16-lane vector path (decodeRow needs it too).
  static bool vectorized(int64_t n);

private:
  // Whether `memref` may hold e4m3 NaN codes: false only for a view of an argument of this kernel
  // that carries kNoNaNCodesAttr.
  bool mayHoldNaNCodes(mlir::Value memref);

  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::func::FuncOp func;
};

} // namespace axe

#endif // AXE_LOWERING_COMMON_KERNELBUILDER_H
