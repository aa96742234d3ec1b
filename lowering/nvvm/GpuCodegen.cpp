//===- GpuCodegen.cpp - the step program's kernels for a GPU --------------===//

#include "lowering/nvvm/GpuCodegen.h"

#include "lowering/nvvm/NvvmPasses.h"
#include "support/Error.h"

#include "mlir/Pass/PassManager.h"

namespace axe::nvvm {

namespace {

// The gpu.binary's object after the pipeline in `format` (isa: PTX text, bin: cubin).
std::string lower(mlir::ModuleOp kernels, const std::string &chip, const std::string &format) {
  mlir::OwningOpRef<mlir::ModuleOp> copy(mlir::cast<mlir::ModuleOp>(kernels->clone()));
  mlir::PassManager pm(kernels.getContext());
  pm.addPass(createKernelsToGpuPass());
  buildNvvmPipeline(pm, chip, format);
  if (mlir::failed(pm.run(*copy)))
    throw Error("the " + chip + " kernels did not compile (" + (format == "bin" ? "cubin" : "PTX") +
                "); see above");
  std::string data;
  copy->walk([&](mlir::gpu::BinaryOp binary) {
    for (mlir::Attribute object : binary.getObjects())
      data += mlir::cast<mlir::gpu::ObjectAttr>(object).getObject().getValue().str();
  });
  if (data.empty())
    throw Error("internal: the " + chip + " pipeline produced no gpu.binary");
  return data;
}

} // namespace

GpuKernelFiles compileGpuKernels(mlir::ModuleOp kernels, const std::string &chip) {
  if (chip != "sm_90a")
    throw Error("GPU target '" + chip + "' is not supported (supported: sm_90a)");
  return {lower(kernels, chip, "isa"), lower(kernels, chip, "bin")};
}

} // namespace axe::nvvm
