//===- Fp8LinearKernels.cpp - the fused FP8 linear on sm_90a --------------===//
//
// The kernels are written as MLIR templates (gpu, nvgpu, scf, arith, memref), instantiated per
// weight shape and parsed into the kernel module: the shape is the only thing that varies, and
// the template reads as the kernel it is.
//
//===----------------------------------------------------------------------===//

#include "lowering/nvvm/Fp8LinearKernels.h"

#include "mlir/IR/Builders.h"
#include "mlir/Parser/Parser.h"

#include <map>

namespace axe::nvvm {

namespace {

// Types shared by the templates.
const char *kPrelude = R"mlir(!bar = !nvgpu.mbarrier.group<memorySpace = #gpu.address_space<workgroup>, num_barriers = 1>
!aMap = !nvgpu.tensormap.descriptor<tensor = memref<64x128xf8E4M3FN, 3>, swizzle = swizzle_128b, l2promo = none, oob = zero, interleave = none>
!bMap = !nvgpu.tensormap.descriptor<tensor = memref<128x128xf8E4M3FN, 3>, swizzle = swizzle_128b, l2promo = none, oob = zero, interleave = none>
!acc = !nvgpu.warpgroup.accumulator<fragmented = vector<64x128xf32>>
!regs = !llvm.struct<(struct<({F32X64})>)>
#smem = #gpu.address_space<workgroup>
)mlir";

// The e4m3 x e4m3 -> f32 GEMM with its epilogue, one 64x128 tile per CTA.
const char *kGemm = R"mlir(func.func @{NAME}_gemm(%x8: memref<?x{K}xf8E4M3FN>, %xs: memref<?xf32>, %w8: memref<{N}x{K}xf8E4M3FN>, %ws: memref<{N}xf32>, %out: memref<?x{N}xbf16>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c63 = arith.constant 63 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %gridN = arith.constant {GRID_N} : index
  %smemBytes = arith.constant 32768 : i32
  %m = memref.dim %x8, %c0 : memref<?x{K}xf8E4M3FN>
  %mPad = arith.addi %m, %c63 : index
  %gridM = arith.divui %mPad, %c64 : index
  %ux = memref.cast %x8 : memref<?x{K}xf8E4M3FN> to memref<*xf8E4M3FN>
  %uw = memref.cast %w8 : memref<{N}x{K}xf8E4M3FN> to memref<*xf8E4M3FN>
  %da = nvgpu.tma.create.descriptor %ux box[%c64, %c128] : memref<*xf8E4M3FN> -> !aMap
  %db = nvgpu.tma.create.descriptor %uw box[%c128, %c128] : memref<*xf8E4M3FN> -> !bMap
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %gridN, %gy = %gridM, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1)
             dynamic_shared_memory_size %smemBytes {
    %k0 = arith.constant 0 : index
    %kEnd = arith.constant {K} : index
    %kStep = arith.constant 128 : index
    %aBytes = arith.constant 8192 : index
    %tile = arith.constant 8192 : index
    %txBytes = arith.constant 24576 : index
    %ticks = arith.constant 10000000 : index
    %one = arith.constant 1 : index
    %zero = arith.constant 0 : index
    %tileN = arith.constant 128 : index
    %tileM = arith.constant 64 : index
    %n0 = arith.muli %bx, %tileN : index
    %m0 = arith.muli %by, %tileM : index
    %dyn = gpu.dynamic_shared_memory : memref<?xi8, #smem>
    %sa = memref.view %dyn[%zero][] : memref<?xi8, #smem> to memref<64x128xf8E4M3FN, #smem>
    %sb = memref.view %dyn[%aBytes][] : memref<?xi8, #smem> to memref<128x128xf8E4M3FN, #smem>
    %barrier = nvgpu.mbarrier.create -> !bar
    %leader = arith.cmpi eq, %tx, %zero : index
    scf.if %leader {
      nvgpu.mbarrier.init %barrier[%zero], %one : !bar
      nvgpu.tma.prefetch.descriptor %da : !aMap
      nvgpu.tma.prefetch.descriptor %db : !bMap
    }
    gpu.barrier
    // The running sum lives in plain f32 registers (!regs: the accumulator's own layout, 64
    // values per thread); each K block's wgmmas start from a zero accumulator that is added into
    // it once the block is done. FP8 wgmma keeps only about 14 bits in its accumulator
    // (DeepSeek-V3 section 3.3), so a chain over all of K = 4096 would lose precision that the
    // bf16 output still shows; promoting every 128 K, as DeepGEMM does, bounds each chain to
    // 4 wgmmas, and costs 64 FADDs per thread per block.
    %zeroAcc = nvgpu.warpgroup.mma.init.accumulator -> !acc
    %init = builtin.unrealized_conversion_cast %zeroAcc : !acc to !regs
    // One 64x128x128 step per K block: TMA both tiles, wait on the barrier's phase, wgmma.
    %sum = scf.for %k = %k0 to %kEnd step %kStep iter_args(%sumIn = %init) -> (!regs) {
      scf.if %leader {
        nvgpu.mbarrier.arrive.expect_tx %barrier[%zero], %txBytes : !bar
        nvgpu.tma.async.load %da[%k, %m0], %barrier[%zero] to %sa : !aMap, !bar -> memref<64x128xf8E4M3FN, #smem>
        nvgpu.tma.async.load %db[%k, %n0], %barrier[%zero] to %sb : !bMap, !bar -> memref<128x128xf8E4M3FN, #smem>
      }
      %iter = arith.divui %k, %kStep : index
      %two = arith.constant 2 : index
      %odd = arith.remui %iter, %two : index
      %parity = arith.index_cast %odd : index to i1
      nvgpu.mbarrier.try_wait.parity %barrier[%zero], %parity, %ticks : !bar
      // One m64n128k32 wgmma per 32-wide K slice of both tiles. Both are K-major (a row of 128
      // e4m3 = one 128-B swizzle row), so slice kk starts kk bytes into each tile; the slices
      // are taken here because upstream's k-stepping inside one warpgroup.mma advances B by its
      // MN-major stride (128 rows x 32 B), not the 32 B a K-major operand needs.
      %k32 = arith.constant 32 : index
      %blockInit = nvgpu.warpgroup.mma.init.accumulator -> !acc
      %accOut = scf.for %kk = %zero to %kStep step %k32 iter_args(%accK = %blockInit) -> (!acc) {
        %saK = memref.subview %sa[0, %kk] [64, 32] [1, 1] : memref<64x128xf8E4M3FN, #smem> to memref<64x32xf8E4M3FN, strided<[128, 1], offset: ?>, #smem>
        %sbK = memref.subview %sb[0, %kk] [128, 32] [1, 1] : memref<128x128xf8E4M3FN, #smem> to memref<128x32xf8E4M3FN, strided<[128, 1], offset: ?>, #smem>
        %dA = nvgpu.warpgroup.generate.descriptor %saK, %da : memref<64x32xf8E4M3FN, strided<[128, 1], offset: ?>, #smem>, !aMap -> !nvgpu.warpgroup.descriptor<tensor = memref<64x32xf8E4M3FN, 3>>
        %dB = nvgpu.warpgroup.generate.descriptor %sbK, %db : memref<128x32xf8E4M3FN, strided<[128, 1], offset: ?>, #smem>, !bMap -> !nvgpu.warpgroup.descriptor<tensor = memref<32x128xf8E4M3FN, 3>>
        %accNext = nvgpu.warpgroup.mma %dA, %dB, %accK : <tensor = memref<64x32xf8E4M3FN, 3>>, <tensor = memref<32x128xf8E4M3FN, 3>>, !acc -> !acc
        scf.yield %accNext : !acc
      }
      nvvm.wgmma.wait.group.sync.aligned 0
      gpu.barrier
      %block = builtin.unrealized_conversion_cast %accOut : !acc to !regs
{PROMOTE}      scf.yield %sum64 : !regs
    }
    %result = builtin.unrealized_conversion_cast %sum : !regs to !acc
    // Epilogue: accumulators to shared memory, then y = acc * token scale * channel scale -> bf16.
    %sc = memref.view %dyn[%zero][] : memref<?xi8, #smem> to memref<64x128xf32, #smem>
    nvgpu.warpgroup.mma.store %result, %sc : !acc to memref<64x128xf32, #smem>
    gpu.barrier
    %rows = memref.dim %out, %zero : memref<?x{N}xbf16>
    scf.for %i = %tx to %tile step %sx {
      %r = arith.divui %i, %tileN : index
      %c = arith.remui %i, %tileN : index
      %row = arith.addi %m0, %r : index
      %col = arith.addi %n0, %c : index
      %inside = arith.cmpi ult, %row, %rows : index
      scf.if %inside {
        %a = memref.load %sc[%r, %c] : memref<64x128xf32, #smem>
        %st = memref.load %xs[%row] : memref<?xf32>
        %sw = memref.load %ws[%col] : memref<{N}xf32>
        %t = arith.mulf %a, %st : f32
        %y = arith.mulf %t, %sw : f32
        %b = arith.truncf %y : f32 to bf16
        memref.store %b, %out[%row, %col] : memref<?x{N}xbf16>
      }
    }
    gpu.terminator
  }
  return
}
)mlir";

// Per-token dynamic quantization: s = max(amax, 1e-10) / 448, q = e4m3(clamp(x / s, ±448)).
const char *kQuantize = R"mlir(func.func @{NAME}_quantize(%x: memref<?x{K}x{IN}>, %x8: memref<?x{K}xf8E4M3FN>, %xs: memref<?xf32>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %m = memref.dim %x, %c0 : memref<?x{K}x{IN}>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %m, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<128xf32, #gpu.address_space<workgroup>>) {
    %k = arith.constant {K} : index
    %zero = arith.constant 0.0 : f32
    %lim = arith.constant 448.0 : f32
    %nlim = arith.constant -448.0 : f32
    %eps = arith.constant 1.0e-10 : f32
    %onef = arith.constant 1.0 : f32
    %amax = scf.for %i = %tx to %k step %sx iter_args(%a = %zero) -> (f32) {
      %v = memref.load %x[%bx, %i] : memref<?x{K}x{IN}>
      {TO_F32}
      %abs = math.absf %f : f32
      %n = arith.maximumf %a, %abs : f32
      scf.yield %n : f32
    }
    memref.store %amax, %partial[%tx] : memref<128xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %all = scf.for %i = %c0 to %sx step %c1 iter_args(%a = %zero) -> (f32) {
      %v = memref.load %partial[%i] : memref<128xf32, #gpu.address_space<workgroup>>
      %n = arith.maximumf %a, %v : f32
      scf.yield %n : f32
    }
    %s1 = arith.maximumf %all, %eps : f32
    %scale = arith.divf %s1, %lim : f32
    %lead = arith.cmpi eq, %tx, %c0 : index
    scf.if %lead {
      memref.store %scale, %xs[%bx] : memref<?xf32>
    }
    scf.for %i = %tx to %k step %sx {
      %v = memref.load %x[%bx, %i] : memref<?x{K}x{IN}>
      {TO_F32}
      %q = arith.divf %f, %scale : f32
      %c = arith.minimumf %q, %lim : f32
      %c2 = arith.maximumf %c, %nlim : f32
      %e = arith.truncf %c2 : f32 to f8E4M3FN
      memref.store %e, %x8[%bx, %i] : memref<?x{K}xf8E4M3FN>
    }
    gpu.terminator
  }
  return
}
)mlir";

// %sum64 = %sumIn + %block, element by element over the 64 accumulator registers of a thread.
std::string promotion() {
  std::string text;
  for (int i = 0; i < 64; ++i) {
    std::string at = "[0, " + std::to_string(i) + "]";
    std::string in = i == 0 ? "%sumIn" : "%sum" + std::to_string(i);
    text += "      %b" + std::to_string(i) + " = llvm.extractvalue %block" + at + " : !regs\n" +
            "      %s" + std::to_string(i) + " = llvm.extractvalue " + in + at + " : !regs\n" +
            "      %t" + std::to_string(i) + " = llvm.fadd %s" + std::to_string(i) + ", %b" +
            std::to_string(i) + " : f32\n" + "      %sum" + std::to_string(i + 1) +
            " = llvm.insertvalue %t" + std::to_string(i) + ", " + in + at + " : !regs\n";
  }
  return text;
}

std::string instantiate(std::string text, const std::map<std::string, std::string> &values) {
  for (const auto &[key, value] : values) {
    std::string pattern = "{" + key + "}";
    for (size_t at = text.find(pattern); at != std::string::npos; at = text.find(pattern, at + value.size()))
      text.replace(at, pattern.size(), value);
  }
  return text;
}

} // namespace

bool hasFp8TensorCores(const std::string &chip) { return chip == "sm_90a"; }

mlir::LogicalResult buildFp8LinearKernels(mlir::ModuleOp kernels, mlir::Location loc,
                                          const std::string &name, int64_t n, int64_t k,
                                          mlir::Type inputType) {
  if (n % kTileN != 0 || k % kTileK != 0)
    return mlir::emitError(loc) << "rule 'nvvm.fp8_tile': the sm_90a FP8 GEMM tiles N by " << kTileN
                                << " and K by " << kTileK << "; this linear is " << n << " x " << k
                                << " (no FP8 tensor-core kernel for it)";
  std::map<std::string, std::string> values{{"NAME", name},
                                            {"N", std::to_string(n)},
                                            {"K", std::to_string(k)},
                                            {"GRID_N", std::to_string(n / kTileN)},
                                            {"PROMOTE", promotion()}};
  std::string f32x64;
  for (int i = 0; i < 64; ++i)
    f32x64 += i ? ", f32" : "f32";
  std::string text = instantiate(kPrelude, {{"F32X64", f32x64}}) + std::string("module {\n") + instantiate(kGemm, values);
  if (inputType) {
    std::string in;
    llvm::raw_string_ostream os(in);
    os << inputType;
    values["IN"] = in;
    // Widen to f32 (an f32 input passes through; mulf by 1 keeps the sign of zeros).
    values["TO_F32"] = inputType.isF32() ? "%f = arith.mulf %v, %onef : f32"
                                          : "%f = arith.extf %v : " + in + " to f32";
    text += instantiate(kQuantize, values);
  }
  text += "}\n";
  mlir::OwningOpRef<mlir::ModuleOp> parsed = mlir::parseSourceString<mlir::ModuleOp>(text, kernels.getContext());
  if (!parsed)
    return mlir::emitError(loc) << "internal: the FP8 linear kernel template did not parse";
  mlir::OpBuilder b(kernels.getContext());
  b.setInsertionPointToEnd(kernels.getBody());
  for (mlir::Operation &op : llvm::make_early_inc_range(*parsed->getBody())) {
    op.remove();
    b.insert(&op);
  }
  return mlir::success();
}

} // namespace axe::nvvm
