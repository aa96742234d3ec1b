//===- CudaDriver.cpp - the CUDA driver API, loaded at run time -----------===//

#include "runtime/cuda/CudaDriver.h"

#include "support/Error.h"

#include <dlfcn.h>
#include <mutex>

namespace axe::cuda {

namespace {

constexpr int kComputeCapabilityMajor = 75, kComputeCapabilityMinor = 76; // CUdevice_attribute

template <typename F> void resolve(void *library, F &slot, const char *name) {
  void *symbol = ::dlsym(library, name);
  if (!symbol)
    throw Error(std::string("the CUDA driver (libcuda.so.1) lacks ") + name + "; a driver for CUDA 12 or newer is needed");
  slot = reinterpret_cast<F>(symbol);
}

} // namespace

CudaDriver::CudaDriver() {
  library_ = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library_)
    throw Error(std::string("no CUDA driver: cannot load libcuda.so.1 (") + ::dlerror() +
                "); the GPU path needs an NVIDIA driver and GPU");
  resolve(library_, api_.cuInit, "cuInit");
  resolve(library_, api_.cuDeviceGetCount, "cuDeviceGetCount");
  resolve(library_, api_.cuDeviceGet, "cuDeviceGet");
  resolve(library_, api_.cuDeviceGetName, "cuDeviceGetName");
  resolve(library_, api_.cuDeviceGetAttribute, "cuDeviceGetAttribute");
  resolve(library_, api_.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  resolve(library_, api_.cuCtxSetCurrent, "cuCtxSetCurrent");
  resolve(library_, api_.cuCtxSynchronize, "cuCtxSynchronize");
  resolve(library_, api_.cuModuleLoadData, "cuModuleLoadData");
  resolve(library_, api_.cuModuleUnload, "cuModuleUnload");
  resolve(library_, api_.cuModuleGetFunction, "cuModuleGetFunction");
  resolve(library_, api_.cuFuncSetAttribute, "cuFuncSetAttribute");
  resolve(library_, api_.cuLaunchKernel, "cuLaunchKernel");
  resolve(library_, api_.cuLaunchKernelEx, "cuLaunchKernelEx");
  resolve(library_, api_.cuEventCreate, "cuEventCreate");
  resolve(library_, api_.cuEventRecord, "cuEventRecord");
  resolve(library_, api_.cuEventElapsedTime, "cuEventElapsedTime");
  resolve(library_, api_.cuEventDestroy, "cuEventDestroy_v2");
  resolve(library_, api_.cuMemGetInfo, "cuMemGetInfo_v2");
  resolve(library_, api_.cuStreamCreate, "cuStreamCreate");
  resolve(library_, api_.cuStreamSynchronize, "cuStreamSynchronize");
  resolve(library_, api_.cuStreamDestroy, "cuStreamDestroy_v2");
  resolve(library_, api_.cuMemAlloc, "cuMemAlloc_v2");
  resolve(library_, api_.cuMemFree, "cuMemFree_v2");
  resolve(library_, api_.cuMemcpyHtoD, "cuMemcpyHtoD_v2");
  resolve(library_, api_.cuMemcpyDtoH, "cuMemcpyDtoH_v2");
  resolve(library_, api_.cuMemcpyDtoD, "cuMemcpyDtoD_v2");
  resolve(library_, api_.cuMemsetD8, "cuMemsetD8_v2");
  resolve(library_, api_.cuTensorMapEncodeTiled, "cuTensorMapEncodeTiled");
  resolve(library_, api_.cuGetErrorName, "cuGetErrorName");
  check(api_.cuInit(0), "cuInit");
  int count = 0;
  check(api_.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (count == 0)
    throw Error("no CUDA device: the driver is installed but sees no GPU");
  check(api_.cuDeviceGet(&device_, 0), "cuDeviceGet");
  check(api_.cuDevicePrimaryCtxRetain(&context_, device_), "cuDevicePrimaryCtxRetain");
  makeCurrent();
}

CudaDriver &CudaDriver::get() {
  // Constructed once; a failure is rethrown to every caller (and retried: no driver state kept).
  static std::mutex mutex;
  static CudaDriver *driver = nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (!driver)
    driver = new CudaDriver();
  return *driver;
}

void CudaDriver::check(CUresult result, const char *what) const {
  if (result == 0)
    return;
  const char *name = nullptr;
  if (api_.cuGetErrorName)
    api_.cuGetErrorName(result, &name);
  throw Error(std::string(what) + " failed: " + (name ? name : "CUDA error " + std::to_string(result)));
}

void CudaDriver::makeCurrent() const { check(api_.cuCtxSetCurrent(context_), "cuCtxSetCurrent"); }

std::string CudaDriver::deviceName() const {
  char name[256] = {};
  check(api_.cuDeviceGetName(name, sizeof name, device_), "cuDeviceGetName");
  return name;
}

int CudaDriver::computeCapability() const {
  int major = 0, minor = 0;
  check(api_.cuDeviceGetAttribute(&major, kComputeCapabilityMajor, device_), "cuDeviceGetAttribute");
  check(api_.cuDeviceGetAttribute(&minor, kComputeCapabilityMinor, device_), "cuDeviceGetAttribute");
  return major * 10 + minor;
}

} // namespace axe::cuda
