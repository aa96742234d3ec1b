//===- KernelsToGpu.cpp - the step program's kernels as GPU kernels -------===//
//
// Every kernel of the step program is a func.func over memrefs whose last two arguments are the
// workgroup range it runs (the CPU ABI: the thread pool hands each thread a range). On the GPU a
// block is a workgroup: the body is cloned into a gpu.func with the same arguments and run by
// thread 0 of block b for workgroup wg_begin + b, so a launch of ceil(wg_end - wg_begin) blocks
// runs the whole range. Nothing of the body changes, so the GPU computes what the CPU does.
//
//===----------------------------------------------------------------------===//

#include "lowering/common/StepProgram.h"
#include "lowering/nvvm/NvvmPasses.h"

#include "mlir/IR/IRMapping.h"

namespace axe::nvvm {
#define GEN_PASS_DEF_KERNELSTOGPUPASS
#include "lowering/nvvm/Passes.h.inc"
} // namespace axe::nvvm

using namespace mlir;

namespace {

// The kernels of `module`: a dispatch-level program's (in `module @kernels`) or, for a kernel
// module printed alone (axe-compile --emit=cpu-kernels), its own functions.
SmallVector<func::FuncOp> stepKernels(ModuleOp module) {
  SmallVector<func::FuncOp> kernels;
  auto collect = [&](ModuleOp m) {
    for (func::FuncOp f : m.getOps<func::FuncOp>())
      if (f->hasAttr(::axe::kKernelOfAttr))
        kernels.push_back(f);
  };
  collect(module);
  for (ModuleOp nested : module.getOps<ModuleOp>())
    if (nested.getSymName() == ::axe::kKernelModuleName)
      collect(nested);
  return kernels;
}

LogicalResult buildGpuKernel(OpBuilder &b, func::FuncOp kernel) {
  Region &body = kernel.getBody();
  FunctionType type = kernel.getFunctionType();
  if (!body.hasOneBlock() || type.getNumResults() != 0 || type.getNumInputs() < 2 ||
      !type.getInput(type.getNumInputs() - 1).isIndex() || !type.getInput(type.getNumInputs() - 2).isIndex())
    return kernel.emitError("axe-kernels-to-gpu: a kernel is one block ending in its workgroup range "
                            "(index wg_begin, wg_end) and returns nothing");
  Location loc = kernel.getLoc();
  auto gpuFunc = gpu::GPUFuncOp::create(b, loc, kernel.getSymName(), type);
  gpuFunc->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  gpuFunc->setAttr(::axe::kKernelOfAttr, kernel->getAttr(::axe::kKernelOfAttr));
  Block &entry = gpuFunc.getBody().front();
  OpBuilder kb = OpBuilder::atBlockBegin(&entry);
  unsigned n = type.getNumInputs();
  Value begin = entry.getArgument(n - 2), end = entry.getArgument(n - 1);
  Value block = gpu::BlockIdOp::create(kb, loc, gpu::Dimension::x);
  Value thread = gpu::ThreadIdOp::create(kb, loc, gpu::Dimension::x);
  Value wg = arith::AddIOp::create(kb, loc, begin, block);
  Value one = arith::ConstantIndexOp::create(kb, loc, 1);
  Value zero = arith::ConstantIndexOp::create(kb, loc, 0);
  Value inRange = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::ult, wg, end);
  Value first = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::eq, thread, zero);
  Value runs = arith::AndIOp::create(kb, loc, inRange, first);
  auto ifOp = scf::IfOp::create(kb, loc, runs, /*withElseRegion=*/false);
  gpu::ReturnOp::create(kb, loc);

  OpBuilder inner = ifOp.getThenBodyBuilder();
  IRMapping map;
  Block &source = body.front();
  for (unsigned i = 0; i + 2 < n; ++i)
    map.map(source.getArgument(i), entry.getArgument(i));
  map.map(source.getArgument(n - 2), wg);
  map.map(source.getArgument(n - 1), arith::AddIOp::create(inner, loc, wg, one).getResult());
  for (Operation &op : source.without_terminator())
    inner.clone(op, map);
  return success();
}

struct KernelsToGpuPass : public ::axe::nvvm::impl::KernelsToGpuPassBase<KernelsToGpuPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> kernels = stepKernels(module);
    if (kernels.empty()) {
      module.emitError("axe-kernels-to-gpu: no step-program kernels (func.func with ")
          << ::axe::kKernelOfAttr << ") in this module";
      return signalPassFailure();
    }
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    auto gpuModule = gpu::GPUModuleOp::create(b, module.getLoc(), "axe_kernels");
    b.setInsertionPointToStart(gpuModule.getBody());
    for (func::FuncOp kernel : kernels)
      if (failed(buildGpuKernel(b, kernel)))
        return signalPassFailure();
    for (Operation &op : llvm::make_early_inc_range(module.getBody()->getOperations()))
      if (&op != gpuModule.getOperation())
        op.erase();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
  }
};

} // namespace
