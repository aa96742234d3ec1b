// axe-form-cpu-dispatches: an op the CPU target cannot lower is an error at its location.
// RUN: axe-opt %s --axe-form-cpu-dispatches --split-input-file --verify-diagnostics

func.func @forward_step(%ids: tensor<?xi32> {axe.name = "token_ids", axe.step_value = #axe.step_value<input>,
                                             axe.dims = ["T"]}) -> tensor<?xi32> {
  // expected-error@+1 {{'arith.addi' op has no lowering for this target}}
  %0 = arith.addi %ids, %ids : tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// expected-error@+1 {{the module has no forward_step function to lower}}
module {
  func.func @step() {
    return
  }
}
