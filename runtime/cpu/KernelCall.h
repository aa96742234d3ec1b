//===- KernelCall.h - calling a kernel of cpu/kernels.so ------*- C++ -*-===//
//
// The CPU kernel ABI (docs/artifact.md): `void sym(Desc *a0, ..., int64_t s0, ..., int64_t
// wg_begin, int64_t wg_end)`, where Desc is MLIR's ranked memref descriptor. Descriptor pointers and
// int64_t scalars are all INTEGER-class arguments in the SysV x86-64 ABI, so the call can go through
// a function type of N int64_t parameters chosen by the argument count.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_CPU_KERNELCALL_H
#define AXE_RUNTIME_CPU_KERNELCALL_H

#include <array>
#include <cstdint>
#include <vector>

namespace axe {

constexpr int kMaxDescriptorRank = 4;
constexpr int kMaxKernelArgs = 32; // views + scalars + the two workgroup bounds

// MLIR's ranked memref descriptor for any rank r <= kMaxDescriptorRank: the C layout of
// {allocated, aligned, offset, sizes[r], strides[r]} is this struct's prefix, with the strides
// starting at sizesAndStrides[r].
struct MemRefDescriptor {
  void *allocated = nullptr;
  void *aligned = nullptr;
  int64_t offset = 0;
  int64_t sizesAndStrides[2 * kMaxDescriptorRank] = {};

  // Fills the descriptor of a rank-`rank` view of the buffer at `base`, all in elements.
  void set(void *base, int64_t offset, int rank, const int64_t *sizes, const int64_t *strides);
  int64_t size(int i) const { return sizesAndStrides[i]; }
  int64_t stride(int rank, int i) const { return sizesAndStrides[rank + i]; }
};

// One kernel with its leading arguments (descriptor pointers, then scalars) fixed; called once per
// workgroup range.
class KernelCall {
public:
  KernelCall() = default;
  // Throws axe::Error when leadingArgs plus the two workgroup bounds exceed kMaxKernelArgs.
  KernelCall(void *entry, std::vector<int64_t> leadingArgs);

  void operator()(int64_t wgBegin, int64_t wgEnd) const;

  // Descriptor pointers travel as int64_t (same register class).
  static int64_t pointerArg(const void *p) { return int64_t(reinterpret_cast<intptr_t>(p)); }

private:
  void *entry_ = nullptr;
  std::array<int64_t, kMaxKernelArgs> args_{};
  int numArgs_ = 0; // including the two workgroup bounds
};

} // namespace axe

#endif // AXE_RUNTIME_CPU_KERNELCALL_H
