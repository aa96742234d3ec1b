// Dispatch formation (a dialect conversion): an op no pattern lowers, and each pattern's refusal,
// is an error at the op's location.
// RUN: axe-opt %s --axe-form-cpu-dispatches --split-input-file --verify-diagnostics

func.func @forward_step(%ids: tensor<?xi32> {axe.name = "token_ids", axe.step_value = #axe.step_value<input>,
                                             axe.dims = ["T"]}) -> tensor<?xi32> {
  // expected-error@+1 {{failed to legalize operation 'arith.addi'}}
  %0 = arith.addi %ids, %ids : tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// An axe op the CPU target has patterns for, but in a form it does not lower: its result's
// dynamic dimension is not the first dimension of any operand.
func.func @forward_step(%x: tensor<8x16xf32> {axe.name = "x", axe.step_value = #axe.step_value<input>, axe.dims = []},
                        %w: tensor<16xf32> {axe.name = "w", axe.step_value = #axe.step_value<input>, axe.dims = []})
    -> tensor<?x16xf32> {
  // expected-error@+2 {{'axe.rms_norm' op a result has a dynamic dimension that no operand's first dimension sizes}}
  // expected-error@+1 {{failed to legalize operation 'axe.rms_norm'}}
  %0 = axe.rms_norm %x, %w {eps = 1.0e-06 : f32} : tensor<8x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

func.func @forward_step(%x: tensor<?x8xf32> {axe.name = "x", axe.step_value = #axe.step_value<input>, axe.dims = ["T"]})
    -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %d = tensor.dim %x, %c0 : tensor<?x8xf32>
  // expected-error@+2 {{tensor.extract_slice with a dynamic offset cannot be lowered}}
  // expected-error@+1 {{failed to legalize operation 'tensor.extract_slice'}}
  %0 = tensor.extract_slice %x[0, %c2] [%d, 4] [1, 1] : tensor<?x8xf32> to tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @forward_step(%x: tensor<?x8xf32> {axe.name = "x", axe.step_value = #axe.step_value<input>, axe.dims = ["T"]})
    -> tensor<?x8xf32> {
  // expected-error@+2 {{forward_step result #0 needs axe.name and axe.step_value}}
  // expected-error@+1 {{failed to legalize operation 'func.return'}}
  return %x : tensor<?x8xf32>
}

// -----

func.func @forward_step(%x: tensor<?x8xf32> {axe.name = "x", axe.step_value = #axe.step_value<input>, axe.dims = ["T"]})
    -> (tensor<?x8xf32> {axe.name = "logits", axe.step_value = #axe.step_value<output>, axe.dims = ["T"]}) {
  // expected-error@+2 {{forward_step result #0 is the step's output, but no op computes it (it is buffer 'x')}}
  // expected-error@+1 {{failed to legalize operation 'func.return'}}
  return %x : tensor<?x8xf32>
}

// -----

// expected-error@+1 {{forward_step argument #0 needs axe.name and an input or state axe.step_value}}
func.func @forward_step(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}

// -----

// expected-error@+1 {{the module has no forward_step function to lower}}
module {
  func.func @step() {
    return
  }
}
