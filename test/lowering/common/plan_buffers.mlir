// axe-plan-buffers: a temporary takes over a buffer of the same type and sizes whose last
// dispatch is over; lifetimes that overlap, other types or sizes, and non-temporaries never
// share; unused temporaries go. Running it twice changes nothing.
// RUN: axe-opt %s --axe-plan-buffers | FileCheck %s
// RUN: axe-opt %s --axe-plan-buffers | axe-opt --axe-plan-buffers | FileCheck %s

module {
  module @kernels {
    func.func @copy(%x: memref<?x64xbf16, strided<[?, 1], offset: ?>>,
                    %y: memref<?x64xbf16, strided<[?, 1], offset: ?>>, %b: index, %e: index)
        attributes {axe.kernel_of = "axe.copy"} {
      return
    }
    func.func @widen(%x: memref<?x64xbf16, strided<[?, 1], offset: ?>>,
                     %y: memref<?x64xf32, strided<[?, 1], offset: ?>>, %b: index, %e: index)
        attributes {axe.kernel_of = "axe.widen"} {
      return
    }
    func.func @half(%x: memref<?x32xbf16, strided<[?, 1], offset: ?>>,
                    %y: memref<?x32xbf16, strided<[?, 1], offset: ?>>, %b: index, %e: index)
        attributes {axe.kernel_of = "axe.half"} {
      return
    }
  }
  // CHECK-LABEL: func.func @forward_step()
  func.func @forward_step() {
    %T = axe.step_symbol <T>
    %R = axe.step_symbol <R>
    // CHECK: %[[IN:.+]] = axe.buffer <input> "x"
    // CHECK: %[[A:.+]] = axe.buffer <temp> "a"
    // CHECK: %[[B:.+]] = axe.buffer <temp> "b"
    // CHECK-NOT: "c"
    // CHECK: %[[F:.+]] = axe.buffer <temp> "f"
    // CHECK-NOT: "d"
    // CHECK-NOT: "unused"
    // CHECK: %[[R:.+]] = axe.buffer <temp> "r"
    // CHECK: %[[ST:.+]] = axe.buffer <state> "s"
    // CHECK-NOT: "s2"
    %x = axe.buffer <input> "x"(%T) : memref<?x64xbf16>
    %a = axe.buffer <temp> "a"(%T) : memref<?x64xbf16>
    %b = axe.buffer <temp> "b"(%T) : memref<?x64xbf16>
    %c = axe.buffer <temp> "c"(%T) : memref<?x64xbf16>
    %f = axe.buffer <temp> "f"(%T) : memref<?x64xf32>
    %d = axe.buffer <temp> "d"(%T) : memref<?x64xbf16>
    %unused = axe.buffer <temp> "unused"(%T) : memref<?x64xbf16>
    %r = axe.buffer <temp> "r"(%R) : memref<?x64xbf16>
    %s = axe.buffer <state> "s"(%T) : memref<?x64xbf16>
    %s2 = axe.buffer <temp> "s2"(%T) : memref<?x64xbf16>
    // a: 0-1, b: 1-2 (overlaps a), c: 2-3 takes a's buffer, f: another type, d: 4-5 (through
    // views) takes the buffer released last (a's, by c), r: sized by R, not T, keeps its own.
    // CHECK: axe.dispatch @kernels::@copy(%[[IN]], %[[A]])
    axe.dispatch @kernels::@copy(%x, %a) workgroups(%T) : memref<?x64xbf16>, memref<?x64xbf16>
    // CHECK: axe.dispatch @kernels::@copy(%[[A]], %[[B]])
    axe.dispatch @kernels::@copy(%a, %b) workgroups(%T) : memref<?x64xbf16>, memref<?x64xbf16>
    // CHECK: axe.dispatch @kernels::@copy(%[[B]], %[[A]])
    axe.dispatch @kernels::@copy(%b, %c) workgroups(%T) : memref<?x64xbf16>, memref<?x64xbf16>
    // CHECK: axe.dispatch @kernels::@widen(%[[A]], %[[F]])
    axe.dispatch @kernels::@widen(%c, %f) workgroups(%T) : memref<?x64xbf16>, memref<?x64xf32>
    // CHECK: %[[V0:.+]] = memref.reinterpret_cast %[[A]] to offset: [0], sizes: [%{{.+}}, 32]
    // CHECK: %[[V1:.+]] = memref.reinterpret_cast %[[A]] to offset: [32], sizes: [%{{.+}}, 32]
    // CHECK: axe.dispatch @kernels::@half(%[[V0]], %[[V1]])
    %d0 = memref.reinterpret_cast %d to offset: [0], sizes: [%T, 32], strides: [64, 1]
        : memref<?x64xbf16> to memref<?x32xbf16, strided<[64, 1]>>
    %d1 = memref.reinterpret_cast %d to offset: [32], sizes: [%T, 32], strides: [64, 1]
        : memref<?x64xbf16> to memref<?x32xbf16, strided<[64, 1], offset: 32>>
    axe.dispatch @kernels::@half(%d0, %d1) workgroups(%T)
        : memref<?x32xbf16, strided<[64, 1]>>, memref<?x32xbf16, strided<[64, 1], offset: 32>>
    // CHECK: axe.dispatch @kernels::@copy(%[[A]], %[[R]])
    axe.dispatch @kernels::@copy(%d, %r) workgroups(%T) : memref<?x64xbf16>, memref<?x64xbf16>
    // The state is never handed to a temporary; s2 takes a's buffer again (released by d).
    // CHECK: axe.dispatch @kernels::@copy(%[[ST]], %[[A]])
    axe.dispatch @kernels::@copy(%s, %s2) workgroups(%T) : memref<?x64xbf16>, memref<?x64xbf16>
    return
  }
}
