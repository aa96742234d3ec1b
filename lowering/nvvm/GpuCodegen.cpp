//===- GpuCodegen.cpp - the step program's kernels for a GPU --------------===//

#include "lowering/nvvm/GpuCodegen.h"

#include "lowering/nvvm/NvvmPasses.h"
#include "support/Error.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

namespace axe::nvvm {

namespace {

// The gpu.binary's object after the pipeline in `format` (isa: PTX text).
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

// The cubin of `ptx`, by ptxas with the options the pipeline's format=bin uses (-arch, -O3): the
// PTX is lowered once and the artifact's kernels.ptx is exactly what was assembled.
std::string assemble(const std::string &ptx, const std::string &chip) {
  std::string toolkit = cudaToolkitPath();
  std::string ptxas = toolkit.empty() ? "" : toolkit + "/bin/ptxas";
  if (ptxas.empty() || !llvm::sys::fs::can_execute(ptxas)) {
    llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName("ptxas");
    if (!found)
      throw Error("ptxas not found (looked in $CUDA_HOME/bin, /usr/local/cuda/bin and PATH): the " + chip +
                  " kernels need the CUDA toolkit's assembler");
    ptxas = *found;
  }
  llvm::SmallString<128> in, out, log;
  for (auto [path, suffix] : {std::pair{&in, "ptx"}, {&out, "cubin"}, {&log, "log"}})
    if (llvm::sys::fs::createTemporaryFile("axe-kernels", suffix, *path))
      throw Error("cannot create a temporary file for ptxas");
  llvm::FileRemover removeIn(in), removeOut(out), removeLog(log);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(in, ec);
    os << ptx;
    if (ec || (os.close(), os.has_error()))
      throw Error(std::string(in) + ": cannot write the PTX for ptxas");
  }
  llvm::StringRef args[] = {ptxas, "-arch", chip, "--opt-level", "3", in, "-o", out};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log), llvm::StringRef(log)};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects, 0, 0, &error);
  if (rc != 0) {
    auto text = llvm::MemoryBuffer::getFile(log);
    std::string message = text ? (*text)->getBuffer().trim().str() : error;
    throw Error("ptxas (" + ptxas + ") refused the " + chip + " kernels: " + message.substr(0, 2000));
  }
  auto cubin = llvm::MemoryBuffer::getFile(out, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!cubin || (*cubin)->getBufferSize() == 0)
    throw Error("ptxas wrote no cubin for the " + chip + " kernels");
  return (*cubin)->getBuffer().str();
}

} // namespace

GpuKernelFiles compileGpuKernels(mlir::ModuleOp kernels, const std::string &chip) {
  if (chip != "sm_90a")
    throw Error("GPU target '" + chip + "' is not supported (supported: sm_90a)");
  std::string ptx = lower(kernels, chip, "isa");
  return {ptx, assemble(ptx, chip)};
}

} // namespace axe::nvvm
