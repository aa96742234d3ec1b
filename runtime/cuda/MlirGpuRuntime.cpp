//===- MlirGpuRuntime.cpp - the mgpu* entry points of MLIR's GPU host code ===//
//
// The host side of the GPU path is MLIR too: gpu-to-llvm and the GPU offloading translation turn
// launches, modules and TMA descriptors into calls to a few `mgpu*` functions, which upstream
// ships as libmlir_cuda_runtime (Debian's MLIR 22 does not). axe implements them here over its
// dlopen'ed driver, in libaxe_cuda_runtime.so, which compiled GPU libraries link against.
// They are called from generated code that cannot handle errors, so a failure prints one line
// and aborts.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaDriver.h"

#include "support/Error.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

using namespace axe::cuda;

namespace {

[[noreturn]] void fail(const std::string &what) {
  std::fprintf(stderr, "axe cuda runtime: %s\n", what.c_str());
  std::abort();
}

template <typename F> auto guarded(const char *where, F &&f) {
  try {
    CudaDriver::get().makeCurrent();
    return f(CudaDriver::get());
  } catch (const axe::Error &e) {
    fail(std::string(where) + ": " + e.what());
  }
}

// Bytes per element of a CUtensorMapDataType.
uint64_t elementBytes(int64_t dataType) {
  switch (dataType) {
  case 0: return 1;                           // UINT8 (also e4m3 codes)
  case 1: case 6: case 9: return 2;           // UINT16, FLOAT16, BFLOAT16
  case 2: case 3: case 7: case 10: case 11: case 12: return 4;
  case 4: case 5: case 8: return 8;
  default: fail("unknown CUtensorMapDataType " + std::to_string(dataType));
  }
}

constexpr int kMaxDynamicSharedMemory = 8; // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES

} // namespace

extern "C" {

void *mgpuModuleLoad(void *data, uint64_t /*size*/) {
  return guarded("mgpuModuleLoad", [&](CudaDriver &d) {
    CUmodule module = nullptr;
    d.check(d.api().cuModuleLoadData(&module, data), "cuModuleLoadData");
    return static_cast<void *>(module);
  });
}

void mgpuModuleUnload(void *module) {
  // The generated code unloads its module from a global destructor. When that runs after the
  // driver has shut down at process exit, the module went with it: nothing is left to free.
  CudaDriver &d = CudaDriver::get();
  CUresult current = d.tryMakeCurrent();
  if (current == CudaDriver::kDeinitialized)
    return;
  guarded("mgpuModuleUnload", [&](CudaDriver &d) {
    CUresult unloaded = d.api().cuModuleUnload(static_cast<CUmodule>(module));
    if (unloaded != CudaDriver::kDeinitialized)
      d.check(unloaded, "cuModuleUnload");
    return 0;
  });
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  return guarded("mgpuModuleGetFunction", [&](CudaDriver &d) {
    CUfunction f = nullptr;
    d.check(d.api().cuModuleGetFunction(&f, static_cast<CUmodule>(module), name), name);
    return static_cast<void *>(f);
  });
}

void *mgpuStreamCreate() {
  return guarded("mgpuStreamCreate", [&](CudaDriver &d) {
    CUstream s = nullptr;
    d.check(d.api().cuStreamCreate(&s, 1 /*non-blocking*/), "cuStreamCreate");
    return static_cast<void *>(s);
  });
}

void mgpuStreamSynchronize(void *stream) {
  guarded("mgpuStreamSynchronize", [&](CudaDriver &d) {
    d.check(d.api().cuStreamSynchronize(static_cast<CUstream>(stream)), "cuStreamSynchronize");
    return 0;
  });
}

void mgpuStreamDestroy(void *stream) {
  guarded("mgpuStreamDestroy", [&](CudaDriver &d) {
    d.check(d.api().cuStreamDestroy(static_cast<CUstream>(stream)), "cuStreamDestroy");
    return 0;
  });
}

void mgpuLaunchKernel(void *function, int64_t gx, int64_t gy, int64_t gz, int64_t bx, int64_t by,
                      int64_t bz, int32_t sharedBytes, void *stream, void **params, void **extra,
                      size_t /*paramsCount*/) {
  guarded("mgpuLaunchKernel", [&](CudaDriver &d) {
    auto f = static_cast<CUfunction>(function);
    if (sharedBytes > 48 * 1024) // beyond the default, a kernel must opt in
      d.check(d.api().cuFuncSetAttribute(f, kMaxDynamicSharedMemory, sharedBytes), "cuFuncSetAttribute");
    d.check(d.api().cuLaunchKernel(f, gx, gy, gz, bx, by, bz, sharedBytes,
                                   static_cast<CUstream>(stream), params, extra),
            "cuLaunchKernel");
    return 0;
  });
}

// A TMA descriptor of a ranked memref (its MLIR descriptor: allocated, aligned, offset,
// sizes[rank], strides[rank]) with the box given outermost first, copied to device memory; the
// kernel receives its device address.
void *mgpuTensorMapEncodeTiledMemref(int64_t rank, void *rankedDescriptor, int64_t dataType,
                                     int64_t interleave, int64_t swizzle, int64_t l2Promotion,
                                     int64_t oobFill, int64_t *boxOuterFirst) {
  return guarded("mgpuTensorMapEncodeTiledMemref", [&](CudaDriver &d) {
    if (rank < 1 || rank > 5)
      fail("TMA descriptors have rank 1 to 5, not " + std::to_string(rank));
    struct Head {
      char *allocated, *aligned;
      int64_t offset;
    };
    auto *head = static_cast<Head *>(rankedDescriptor);
    const int64_t *sizes = reinterpret_cast<int64_t *>(head + 1);
    const int64_t *strides = sizes + rank;
    uint64_t bytes = elementBytes(dataType);
    uint64_t dims[5], strideBytes[5];
    unsigned box[5], elementStrides[5];
    for (int64_t i = 0; i < rank; ++i) { // the driver wants the innermost dimension first
      dims[i] = static_cast<uint64_t>(sizes[rank - 1 - i]);
      box[i] = static_cast<unsigned>(boxOuterFirst[rank - 1 - i]);
      elementStrides[i] = 1;
      if (i > 0)
        strideBytes[i - 1] = static_cast<uint64_t>(strides[rank - 1 - i]) * bytes;
    }
    TensorMap map;
    void *base = head->aligned + head->offset * bytes;
    // The generated host code builds its descriptors on every call: encode and upload each
    // distinct one once (no device allocation per launch).
    static std::mutex mutex;
    static std::map<std::vector<uint64_t>, CUdeviceptr> cache;
    std::vector<uint64_t> key{reinterpret_cast<uint64_t>(base), static_cast<uint64_t>(rank),
                              static_cast<uint64_t>(dataType), static_cast<uint64_t>(interleave),
                              static_cast<uint64_t>(swizzle), static_cast<uint64_t>(l2Promotion),
                              static_cast<uint64_t>(oobFill)};
    for (int64_t i = 0; i < rank; ++i)
      key.insert(key.end(), {dims[i], box[i], i > 0 ? strideBytes[i - 1] : 0});
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end())
      return reinterpret_cast<void *>(it->second);
    d.check(d.api().cuTensorMapEncodeTiled(&map, static_cast<int>(dataType), static_cast<unsigned>(rank),
                                           base, dims, strideBytes, box, elementStrides,
                                           static_cast<int>(interleave), static_cast<int>(swizzle),
                                           static_cast<int>(l2Promotion), static_cast<int>(oobFill)),
            "cuTensorMapEncodeTiled");
    CUdeviceptr device = 0;
    d.check(d.api().cuMemAlloc(&device, sizeof map), "cuMemAlloc");
    d.check(d.api().cuMemcpyHtoD(device, &map, sizeof map), "cuMemcpyHtoD");
    cache[key] = device;
    return reinterpret_cast<void *>(device);
  });
}

} // extern "C"
