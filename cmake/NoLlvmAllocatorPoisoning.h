//===- NoLlvmAllocatorPoisoning.h - ASan with an uninstrumented LLVM ------===//
//
// Force-included in the sanitizer build. LLVM's BumpPtrAllocator poisons its free slab space when
// the including code is built with ASan, and unpoisons what it hands out. axe's instrumented code
// and the Debian libMLIR/libLLVM (not instrumented) share allocators through inline templates, so
// memory handed out by the library would stay poisoned and its first use would be reported. Only
// LLVM's manual poisoning is turned off; ASan still checks every access of axe's own code.
// Targets without LLVM on their include path (support/, artifact/, runtime/: see AxeMlir in the
// top CMakeLists.txt) cannot use its allocators, and get nothing from this header.
//
//===----------------------------------------------------------------------===//
#if __has_include("llvm/Support/Compiler.h")
#include "llvm/Support/Compiler.h"

#if LLVM_ADDRESS_SANITIZER_BUILD
#define __asan_poison_memory_region(p, size) ((void)(p), (void)(size))
#define __asan_unpoison_memory_region(p, size) ((void)(p), (void)(size))
#endif
#endif
