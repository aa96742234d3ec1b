//===- CpuCodegen.cpp - kernels to an x86-64 shared library ---------------===//

#include "lowering/cpu/CpuCodegen.h"

#include "artifact/ManifestDigest.h"
#include "support/Error.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <fstream>

namespace axe::cpu {

namespace {

void dump(const std::string &dir, const std::string &name, const std::function<void(llvm::raw_ostream &)> &print) {
  if (dir.empty())
    return;
  std::error_code ec;
  llvm::raw_fd_ostream os(dir + "/" + name, ec);
  if (!ec)
    print(os);
}

// exp as a polynomial in f32 (MLIR's Cephes-based approximation: relative error below 2^-22.5,
// results under 2^-126 flushed to zero) instead of llvm.exp, which becomes a libm call per
// element, sixteen of them for one 16-lane vector: SiLU, sigmoid, the softmaxes and the delta
// rule's decays all exponentiate per element. Scalars take the same polynomial, so a value
// computed on lanes or alone has the same bits.
void approximateExp(mlir::ModuleOp module) {
  mlir::RewritePatternSet patterns(module.getContext());
  mlir::populateMathPolynomialApproximationPatterns(
      patterns, [](llvm::StringRef name) { return name == mlir::math::ExpOp::getOperationName(); });
  if (mlir::failed(mlir::applyPatternsGreedily(module, std::move(patterns))))
    throw Error("approximating exp in the CPU kernels did not converge");
}

void lowerToLLVMDialect(mlir::ModuleOp module) {
  approximateExp(module);
  mlir::PassManager pm(module.getContext());
  // bf16 <-> f32 conversions expanded to integer ops (no soft-float library calls); math ops to
  // LLVM intrinsics (sqrt and roundeven become instructions, sin/cos libm calls), anything
  // left to libm; then the standard CPU sequence.
  mlir::arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(mlir::arith::createArithExpandOpsPass(expand));
  pm.addPass(mlir::createConvertMathToLLVMPass());
  pm.addPass(mlir::createConvertMathToLibmPass());
  pm.addPass(mlir::createSCFToControlFlowPass());
  pm.addPass(mlir::createConvertVectorToLLVMPass());
  pm.addPass(mlir::memref::createExpandStridedMetadataPass());
  pm.addPass(mlir::createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(mlir::createArithToLLVMConversionPass());
  pm.addPass(mlir::createConvertIndexToLLVMPass());
  pm.addPass(mlir::createConvertControlFlowToLLVMPass());
  pm.addPass(mlir::createConvertFuncToLLVMPass());
  pm.addPass(mlir::createReconcileUnrealizedCastsPass());
  pm.addPass(mlir::createCanonicalizerPass());
  if (mlir::failed(pm.run(module)))
    throw Error("lowering the CPU kernels to the LLVM dialect failed (see the diagnostics above)");
}

} // namespace

namespace {

// The loader looks for the prefix and the digest in the library's bytes before loading it, and
// reads the exported constant after (artifact/ManifestDigest.h).
void embedManifestDigest(llvm::Module &module, const std::string &digest) {
  if (digest.size() != 64)
    throw Error("internal: the CPU kernels need the manifest's digest");
  llvm::Constant *text = llvm::ConstantDataArray::getString(
      module.getContext(), std::string(kManifestDigestPrefix) + digest, /*AddNull=*/true);
  auto *global = new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                                          llvm::GlobalValue::ExternalLinkage, text,
                                          kManifestDigestSymbol);
  global->setAlignment(llvm::Align(1));
}

} // namespace

void emitSharedLibrary(mlir::ModuleOp kernels, const std::string &soPath, const CodegenOptions &options) {
  if (mlir::failed(mlir::verify(kernels)))
    throw Error("internal: the generated CPU kernels do not verify");
  dump(options.dumpDir, "kernels.mlir", [&](llvm::raw_ostream &os) { kernels.print(os); });
  lowerToLLVMDialect(kernels);
  dump(options.dumpDir, "kernels.llvm.mlir", [&](llvm::raw_ostream &os) { kernels.print(os); });

  mlir::registerBuiltinDialectTranslation(*kernels.getContext());
  mlir::registerLLVMDialectTranslation(*kernels.getContext());
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> module = mlir::translateModuleToLLVMIR(kernels, llvmContext, "axe_kernels");
  if (!module)
    throw Error("translating the CPU kernels to LLVM IR failed");

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple("x86_64-unknown-linux-gnu");
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    throw Error("no x86-64 code generator: " + error);
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, options.cpu, "", targetOptions, llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  module->setTargetTriple(triple);
  module->setDataLayout(machine->createDataLayout());
  embedManifestDigest(*module, options.manifestDigest);

  // -O3 over the kernels (inlining the bodies into their C wrappers, loop optimizations).
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder passBuilder(machine.get());
  passBuilder.registerModuleAnalyses(mam);
  passBuilder.registerCGSCCAnalyses(cam);
  passBuilder.registerFunctionAnalyses(fam);
  passBuilder.registerLoopAnalyses(lam);
  passBuilder.crossRegisterProxies(lam, fam, cam, mam);
  passBuilder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(*module, mam);
  dump(options.dumpDir, "kernels.ll", [&](llvm::raw_ostream &os) { module->print(os, nullptr); });

  std::string objPath = soPath + ".o";
  {
    std::error_code ec;
    llvm::raw_fd_ostream obj(objPath, ec, llvm::sys::fs::OF_None);
    if (ec)
      throw Error(objPath + ": " + ec.message());
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, obj, nullptr, llvm::CodeGenFileType::ObjectFile))
      throw Error("the x86-64 code generator cannot emit an object file");
    codegen.run(*module);
  }
  // Link with the system driver: a shared object that needs only libm (and libc).
  auto cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    throw Error("no C compiler driver ('cc') on PATH to link the CPU kernels");
  llvm::SmallVector<llvm::StringRef> args{*cc, "-shared", "-o", soPath, objPath, "-lm"};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, {}, 0, 0, &message);
  llvm::sys::fs::remove(objPath);
  if (rc != 0)
    throw Error("linking " + soPath + " failed (" + std::to_string(rc) + ") " + message);
}

} // namespace axe::cpu
