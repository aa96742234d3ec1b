//===- CudaDriverTest.cpp - the CUDA driver loaded at run time ------------===//
//
// The GPU path must build and fail cleanly where there is no driver or GPU (CI, this machine):
// asking for the driver gives one clear axe::Error, and asking again gives it again (no crash,
// no half-initialised state). Where a GPU is present the driver comes up and names its device.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaDriver.h"

#include "support/Error.h"

#include <cstddef>
#include <dlfcn.h>
#include <gtest/gtest.h>

namespace {

bool driverLibraryPresent() {
  void *h = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (h)
    ::dlclose(h);
  return h != nullptr;
}

TEST(CudaDriver, NoDriverOrGpuIsAClearError) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      axe::cuda::CudaDriver &d = axe::cuda::CudaDriver::get();
      // A machine with a GPU: the driver is usable.
      EXPECT_TRUE(driverLibraryPresent());
      EXPECT_FALSE(d.deviceName().empty());
      EXPECT_GT(d.computeCapability(), 0);
      return;
    } catch (const axe::Error &e) {
      std::string message = e.what();
      if (!driverLibraryPresent())
        EXPECT_EQ(message.rfind("no CUDA driver: cannot load libcuda.so.1", 0), 0u) << message;
      else
        EXPECT_TRUE(message.rfind("no CUDA device", 0) == 0 || message.rfind("cuInit failed", 0) == 0)
            << message;
    }
  }
}

} // namespace

// axe declares the few driver types it passes by pointer itself (it includes no CUDA header);
// where the toolkit's cuda.h is present, they must match it field for field.
#ifdef AXE_CUDA_H
#include AXE_CUDA_H
static_assert(sizeof(axe::cuda::LaunchConfig) == sizeof(CUlaunchConfig), "CUlaunchConfig size");
static_assert(offsetof(axe::cuda::LaunchConfig, gridDimX) == offsetof(CUlaunchConfig, gridDimX), "gridDimX");
static_assert(offsetof(axe::cuda::LaunchConfig, blockDimX) == offsetof(CUlaunchConfig, blockDimX), "blockDimX");
static_assert(offsetof(axe::cuda::LaunchConfig, sharedMemBytes) == offsetof(CUlaunchConfig, sharedMemBytes),
              "sharedMemBytes");
static_assert(offsetof(axe::cuda::LaunchConfig, stream) == offsetof(CUlaunchConfig, hStream), "hStream");
static_assert(offsetof(axe::cuda::LaunchConfig, attrs) == offsetof(CUlaunchConfig, attrs), "attrs");
static_assert(offsetof(axe::cuda::LaunchConfig, numAttrs) == offsetof(CUlaunchConfig, numAttrs), "numAttrs");
static_assert(sizeof(axe::cuda::TensorMap) == sizeof(CUtensorMap), "CUtensorMap size");
TEST(CudaDriver, DeclarationsMatchCudaH) { SUCCEED() << "checked at compile time against " AXE_CUDA_H; }
#endif
