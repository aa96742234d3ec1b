//===- PlanBuffers.cpp - liveness reuse of the step's temporaries ----------===//

#include "lowering/common/StepProgram.h"

#include "dialects/axe/AxeOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <map>
#include <vector>

namespace axe {

#define GEN_PASS_DEF_PLANBUFFERSPASS
#include "lowering/common/Passes.h.inc"

namespace {

using namespace mlir;
namespace ir = mlir::axe;

// Temporaries can share when their type and the symbols sizing them are the same.
using ReuseKey = std::pair<const void *, std::vector<ir::StepSymbol>>;
ReuseKey reuseKey(ir::BufferOp b) {
  ReuseKey key{b.getResult().getType().getAsOpaquePointer(), {}};
  for (Value d : b.getDims())
    key.second.push_back(d.getDefiningOp<ir::StepSymbolOp>().getSymbol());
  return key;
}

struct PlanBuffers : impl::PlanBuffersPassBase<PlanBuffers> {
  void runOnOperation() override {
    auto step = getOperation().lookupSymbol<func::FuncOp>(kStepFunctionName);
    if (!step) {
      getOperation().emitError("axe-plan-buffers: no @") << kStepFunctionName;
      return signalPassFailure();
    }
    std::vector<ir::DispatchOp> dispatches;
    std::map<Operation *, int> first, last;
    step.walk([&](ir::DispatchOp d) {
      int i = int(dispatches.size());
      dispatches.push_back(d);
      for (Value v : d.getViews())
        if (ir::BufferOp b = ir::BufferOp::ofView(v)) {
          first.emplace(b, i);
          last[b] = i;
        }
    });
    auto isTemp = [](ir::BufferOp b) { return b && b.getKind() == ir::BufferKind::temp; };

    std::map<Operation *, ir::BufferOp> physical; // a temporary -> the buffer it takes over
    std::map<ReuseKey, std::vector<ir::BufferOp>> free;
    std::vector<std::vector<ir::BufferOp>> endingAt(dispatches.size());
    for (auto [op, i] : last)
      if (isTemp(cast<ir::BufferOp>(op)))
        endingAt[size_t(i)].push_back(cast<ir::BufferOp>(op));
    for (auto [i, d] : llvm::enumerate(dispatches)) {
      for (Value v : d.getViews()) {
        ir::BufferOp b = ir::BufferOp::ofView(v);
        if (!isTemp(b) || first[b] != int(i) || physical.count(b))
          continue;
        std::vector<ir::BufferOp> &pool = free[reuseKey(b)];
        physical[b] = pool.empty() ? b : pool.back();
        if (!pool.empty())
          pool.pop_back();
      }
      // Ending buffers are released in the order they were declared: the same plan every time.
      llvm::sort(endingAt[i], [](ir::BufferOp a, ir::BufferOp b) { return a->isBeforeInBlock(b); });
      for (ir::BufferOp b : endingAt[i])
        free[reuseKey(b)].push_back(physical.count(b) ? physical[b] : b);
    }
    // The buffer taken over must be defined before every use of the one it replaces: moved up
    // to that one's place when the IR declares it later (with its step symbols, which have no
    // operands), which dispatch formation never does.
    SmallVector<ir::BufferOp> erase;
    step.walk([&](ir::BufferOp b) {
      if (!isTemp(b))
        return;
      auto it = physical.find(b);
      if (it == physical.end()) {
        erase.push_back(b); // no dispatch uses it
      } else if (it->second != b) {
        ir::BufferOp kept = it->second;
        if (b->isBeforeInBlock(kept)) {
          kept->moveBefore(b);
          for (Value d : kept.getDims())
            if (b->isBeforeInBlock(d.getDefiningOp()))
              d.getDefiningOp()->moveBefore(kept);
        }
        b.getResult().replaceAllUsesWith(kept.getResult());
        erase.push_back(b);
      }
    });
    for (ir::BufferOp b : erase) {
      for (Operation *user : llvm::make_early_inc_range(b->getUsers()))
        user->erase(); // views no dispatch reads
      b.erase();
    }
  }
};

} // namespace

void registerLoweringPasses() {
  ::mlir::registerPass([] { return createFormCpuDispatchesPass(); });
  ::mlir::registerPass([] { return createPlanBuffersPass(); });
}

} // namespace axe
