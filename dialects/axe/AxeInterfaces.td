//===- AxeInterfaces.td - op interfaces of the axe dialect ---*- tablegen -*-===//

#ifndef AXE_INTERFACES_TD
#define AXE_INTERFACES_TD

include "mlir/IR/OpBase.td"

// State of the step (the KV caches, the conv and recurrent state pools) is a value: an op takes
// it and returns it updated. The update is in place: lowering places each updated result in its
// operand's buffer, and the op's kernel writes there. That is only sound if nothing reads the old
// value after the update, so the interface's verifier checks, on every such op:
//   state.used_after_update  no op after it in the block uses the state it updates;
//   state.updated_twice      no other op (and no other operand of the same op) updates that state.
def Axe_StateUpdateOpInterface : OpInterface<"StateUpdateOpInterface"> {
  let cppNamespace = "::mlir::axe";
  let description = [{
    An op that updates state of the step in place: each (operand, result) pair of
    `getStateUpdates()` is one state value before and after the op, with the same type and the
    same buffer.
  }];
  let methods = [
    InterfaceMethod<"(operand index, result index) of each state this op updates in place",
                    "::llvm::SmallVector<std::pair<unsigned, unsigned>>", "getStateUpdates">,
  ];
  let verify = [{ return ::mlir::axe::verifyStateUpdate($_op); }];
}

// An op that owns weights (axe.param operands) and knows what each one is for. Precision
// assignment, the weight table and the precision report ask this instead of matching op names.
def Axe_WeightOwnerOpInterface : OpInterface<"WeightOwnerOpInterface"> {
  let cppNamespace = "::mlir::axe";
  let description = [{
    `getWeights()` lists each weight operand (the values, not their scales) with its role: one
    precision decision each. `getWeightRole(n)` also answers for a scale operand, with the role of
    the weight it scales.
  }];
  let methods = [
    InterfaceMethod<"(operand index, role) of each weight this op owns",
                    "::llvm::SmallVector<std::pair<unsigned, ::mlir::axe::Role>>", "getWeights">,
    InterfaceMethod<"The role of operand `index` if it is a weight or a weight's scale",
                    "::std::optional<::mlir::axe::Role>", "getWeightRole", (ins "unsigned":$index)>,
  ];
}

#endif // AXE_INTERFACES_TD
