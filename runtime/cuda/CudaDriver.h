//===- CudaDriver.h - the CUDA driver API, loaded at run time -*- C++ -*-===//
//
// axe links no CUDA library: libcuda.so.1 is dlopen'ed when a GPU is first needed and the few
// driver entry points axe uses are resolved by name (as IREE's HAL does), so every binary builds
// and runs where there is no driver and no GPU, and says so clearly when one is asked for.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_CUDA_CUDADRIVER_H
#define AXE_RUNTIME_CUDA_CUDADRIVER_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace axe::cuda {

// Opaque driver handles (CUdevice is an int, the others pointers).
using CUresult = int;
using CUdevice = int;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUdeviceptr = unsigned long long;

// CUlaunchConfig of cuLaunchKernelEx (cuda.h, CUDA 12): the grid, block, dynamic shared memory,
// stream and launch attributes (none yet: the generic kernels need no cluster or PDL).
struct LaunchConfig {
  unsigned gridDimX = 1, gridDimY = 1, gridDimZ = 1;
  unsigned blockDimX = 1, blockDimY = 1, blockDimZ = 1;
  unsigned sharedMemBytes = 0;
  CUstream stream = nullptr;
  void *attrs = nullptr; // CUlaunchAttribute *
  unsigned numAttrs = 0;
};

struct TensorMap {
  alignas(64) unsigned long long opaque[16]; // CUtensorMap: 128 bytes
};

// The driver functions axe calls, resolved from libcuda.so.1.
struct DriverApi {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, CUstream, void **, void **);
  CUresult (*cuLaunchKernelEx)(const LaunchConfig *, CUfunction, void **, void **);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuMemGetInfo)(size_t *, size_t *);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuMemcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*cuTensorMapEncodeTiled)(TensorMap *, int, unsigned, void *, const uint64_t *,
                                     const uint64_t *, const unsigned *, const unsigned *, int, int,
                                     int, int);
  CUresult (*cuGetErrorName)(CUresult, const char **);
};

// The process-wide driver: loaded, initialised, device 0's primary context current on the
// calling thread. Throws axe::Error ("no CUDA driver ..." / "no CUDA device ...") otherwise.
class CudaDriver {
public:
  static CudaDriver &get();
  const DriverApi &api() const { return api_; }
  CUdevice device() const { return device_; }
  std::string deviceName() const;
  int computeCapability() const; // e.g. 90
  // Throws axe::Error naming `what` and the driver's error name unless `result` is success.
  void check(CUresult result, const char *what) const;
  // Makes the context current on the calling thread (kernels may be launched from any thread).
  void makeCurrent() const;
  // The same, returning the driver's code: CUDA_ERROR_DEINITIALIZED (kDeinitialized) once the
  // driver has shut down at process exit, which destructors must tolerate.
  CUresult tryMakeCurrent() const { return api_.cuCtxSetCurrent(context_); }
  static constexpr CUresult kDeinitialized = 4;

private:
  CudaDriver();
  DriverApi api_{};
  void *library_ = nullptr;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
};

} // namespace axe::cuda

#endif // AXE_RUNTIME_CUDA_CUDADRIVER_H
