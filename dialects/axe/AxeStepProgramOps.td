//===- AxeStepProgramOps.td - the dispatch-level step program -*- tablegen -*-===//
//
// What dispatch formation turns `forward_step` into, and what the artifact writer serializes:
// buffers, strided views of them (upstream `memref.reinterpret_cast`) and kernel calls in order.
// The kernels are `func.func`s over memrefs in the nested module `@kernels`.
//
//===----------------------------------------------------------------------===//

#ifndef AXE_STEP_PROGRAM_OPS_TD
#define AXE_STEP_PROGRAM_OPS_TD

include "dialects/axe/AxeBase.td"
include "dialects/axe/AxeAttrs.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Axe_StepSymbolOp : Op<Axe_Dialect, "step_symbol", [Pure]> {
  let summary = "a size the step is run at (T, S, R, MB, NB, P), known only at run time";
  let description = [{
    The runtime sets the step's sizes before each step; views, scalars and workgroup counts that
    depend on one use this value.

    ```mlir
    %T = axe.step_symbol <T>
    ```
  }];
  let arguments = (ins Axe_StepSymbolAttr:$symbol);
  let results = (outs Index:$result);
  let assemblyFormat = "$symbol attr-dict";
}

def Axe_BufferOp : Op<Axe_Dialect, "buffer"> {
  let summary = "a buffer of the step program: input, weight, state, temporary or output";
  let description = [{
    A contiguous buffer, named as the artifact names it (a weight by its tensor in
    weights.safetensors). Dynamic dimensions are sized by step symbols, one operand each.

    Rules: `buffer.dims` (one `axe.step_symbol` operand per dynamic dimension),
    `buffer.layout` (identity layout).

    ```mlir
    %T = axe.step_symbol <T>
    %x = axe.buffer <temp> "t7"(%T) : memref<?x64xbf16>
    ```
  }];
  let arguments = (ins Axe_BufferKindAttr:$kind, StrAttr:$name, Variadic<Index>:$dims);
  let results = (outs AnyMemRef:$result);
  let assemblyFormat = "$kind $name (`(` $dims^ `)`)? attr-dict `:` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    // The buffer a dispatch's view reads or writes: the view itself, or the source of the
    // memref.reinterpret_cast it is; null for anything else (rule dispatch.view refuses it).
    static BufferOp ofView(::mlir::Value view);
  }];
}

def Axe_DispatchOp : Op<Axe_Dialect, "dispatch", [AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a call of a kernel over views of buffers, split into workgroups";
  let description = [{
    Runs `kernel` (a `func.func` of `@kernels`) on the views, its index scalars and the workgroup
    range [0, workgroups), which the runtime splits across threads. Views are buffers or
    `memref.reinterpret_cast`s of them; scalars and the workgroup count are constants or step
    symbols.

    Rules: `dispatch.kernel` (the kernel exists, takes the views, then one index per scalar and
    the workgroup range), `dispatch.view` (each view is an `axe.buffer` or a
    `memref.reinterpret_cast` of one with a static offset, and has the rank, sizes, element type
    and every static stride and offset of the kernel's argument: a kernel compiled for a unit
    innermost stride never gets another), `dispatch.size` (scalars and the workgroup count are
    `arith.constant`s or `axe.step_symbol`s).

    ```mlir
    axe.dispatch @kernels::@k3_rms_norm(%x, %w, %y) workgroups(%T)
        : memref<?x64xbf16>, memref<64xf32>, memref<?x64xbf16>
    ```
  }];
  let arguments = (ins SymbolRefAttr:$kernel, Variadic<AnyMemRef>:$views, Variadic<Index>:$scalars,
                       Index:$workgroups);
  let assemblyFormat = [{
    $kernel `(` $views `)` (`scalars` `(` $scalars^ `)`)? `workgroups` `(` $workgroups `)` attr-dict
    `:` type($views)
  }];
  let hasVerifier = 1;
}

#endif // AXE_STEP_PROGRAM_OPS_TD
