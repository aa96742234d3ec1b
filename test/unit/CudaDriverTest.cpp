//===- CudaDriverTest.cpp - the CUDA driver loaded at run time ------------===//
//
// The GPU path must build and fail cleanly where there is no driver or GPU (CI, this machine):
// asking for the driver gives one clear axe::Error, and asking again gives it again (no crash,
// no half-initialised state). Where a GPU is present the driver comes up and names its device.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaDriver.h"

#include "support/Error.h"

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
