//===- KernelCall.cpp - calling a kernel of cpu/kernels.so ----------------===//

#include "runtime/cpu/KernelCall.h"

#include "support/Error.h"

#include <utility>

namespace axe {

namespace {

template <size_t> using Int64 = int64_t;

// Calls `entry` as a function of N int64_t parameters, N = sizeof...(I).
template <size_t... I> void callWith(void *entry, const int64_t *args) {
  using Fn = void (*)(Int64<I>...);
  reinterpret_cast<Fn>(entry)(args[I]...);
}

using Thunk = void (*)(void *entry, const int64_t *args);

template <typename Seq> struct ThunkOf;
template <size_t... I> struct ThunkOf<std::index_sequence<I...>> {
  static constexpr Thunk value = &callWith<I...>;
};

// kThunks[n] calls a kernel of n arguments.
template <size_t... N>
constexpr std::array<Thunk, sizeof...(N)> makeThunks(std::index_sequence<N...>) {
  return {ThunkOf<std::make_index_sequence<N>>::value...};
}
constexpr auto kThunks = makeThunks(std::make_index_sequence<kMaxKernelArgs + 1>());

} // namespace

void MemRefDescriptor::set(void *base, int64_t viewOffset, int rank, const int64_t *sizes,
                           const int64_t *strides) {
  allocated = aligned = base;
  offset = viewOffset;
  for (int i = 0; i < rank; ++i) {
    sizesAndStrides[i] = sizes[i];
    sizesAndStrides[rank + i] = strides[i];
  }
}

KernelCall::KernelCall(void *entry, std::vector<int64_t> leadingArgs) : entry_(entry) {
  if (leadingArgs.size() + 2 > size_t(kMaxKernelArgs))
    throw Error("kernel call: " + std::to_string(leadingArgs.size()) +
                " arguments plus the two workgroup bounds exceed the limit of " +
                std::to_string(kMaxKernelArgs));
  for (size_t i = 0; i < leadingArgs.size(); ++i)
    args_[i] = leadingArgs[i];
  numArgs_ = int(leadingArgs.size()) + 2;
}

void KernelCall::operator()(int64_t wgBegin, int64_t wgEnd) const {
  std::array<int64_t, kMaxKernelArgs> args = args_;
  args[size_t(numArgs_ - 2)] = wgBegin;
  args[size_t(numArgs_ - 1)] = wgEnd;
  kThunks[size_t(numArgs_)](entry_, args.data());
}

} // namespace axe
