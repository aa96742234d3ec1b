//===- KernelCallTest.cpp - descriptors and the call ABI ------------------===//

#include "runtime/cpu/KernelCall.h"

#include "RuntimeTestArtifact.h"
#include "support/Error.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <dlfcn.h>

namespace {

using axe::KernelCall;
using axe::MemRefDescriptor;

// The rank-r prefix of MemRefDescriptor is MLIR's descriptor: sizes at 24, strides at 24 + 8r.
static_assert(offsetof(MemRefDescriptor, allocated) == 0);
static_assert(offsetof(MemRefDescriptor, aligned) == 8);
static_assert(offsetof(MemRefDescriptor, offset) == 16);
static_assert(offsetof(MemRefDescriptor, sizesAndStrides) == 24);

class KernelCallTest : public ::testing::Test {
protected:
  void SetUp() override {
    lib = ::dlopen(axe::test::testKernelsPath(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(lib, nullptr) << ::dlerror();
  }
  void TearDown() override {
    if (lib)
      ::dlclose(lib);
  }
  void *symbol(const char *name) {
    void *p = ::dlsym(lib, name);
    EXPECT_NE(p, nullptr) << name;
    return p;
  }
  void *lib = nullptr;
};

TEST_F(KernelCallTest, DescriptorLayoutPerRank) {
  MemRefDescriptor d;
  int64_t sizes[3] = {2, 3, 4}, strides[3] = {12, 4, 1};
  int x;
  d.set(&x, 5, 3, sizes, strides);
  EXPECT_EQ(d.allocated, &x);
  EXPECT_EQ(d.aligned, &x);
  EXPECT_EQ(d.offset, 5);
  const int64_t *words = reinterpret_cast<const int64_t *>(&d);
  EXPECT_EQ(words[3], 2); // sizes[0]
  EXPECT_EQ(words[5], 4); // sizes[2]
  EXPECT_EQ(words[6], 12); // strides[0] right after the rank-3 sizes
  EXPECT_EQ(words[8], 1);
}

TEST_F(KernelCallTest, StridedViewAndWorkgroupRange) {
  // Add 1 to every other element from offset 1: elements 1, 3, 5, 7, 9 for workgroups [1, 4).
  float data[10] = {};
  MemRefDescriptor d;
  int64_t size = 5, stride = 2;
  d.set(data, 1, 1, &size, &stride);
  KernelCall call(symbol("_mlir_ciface_test_add_one"), {KernelCall::pointerArg(&d)});
  call(1, 4);
  float expected[10] = {0, 0, 0, 1, 0, 1, 0, 1, 0, 0};
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(data[i], expected[i]) << i;
}

TEST_F(KernelCallTest, ThirtyTwoArguments) {
  int64_t out[31] = {};
  MemRefDescriptor d;
  int64_t size = 31, stride = 1;
  d.set(out, 0, 1, &size, &stride);
  std::vector<int64_t> args = {KernelCall::pointerArg(&d)};
  for (int64_t i = 0; i < 29; ++i)
    args.push_back(1000 + i * (i % 2 ? -1 : 1) * 77);
  KernelCall call(symbol("_mlir_ciface_test_32_args"), args);
  call(-5, INT64_MAX);
  for (int i = 0; i < 29; ++i)
    EXPECT_EQ(out[i], args[size_t(i) + 1]) << i;
  EXPECT_EQ(out[29], -5);
  EXPECT_EQ(out[30], INT64_MAX);
}

TEST_F(KernelCallTest, RejectsMoreThanThirtyTwoArguments) {
  EXPECT_NO_THROW(KernelCall(nullptr, std::vector<int64_t>(30)));
  try {
    KernelCall(nullptr, std::vector<int64_t>(31));
    FAIL();
  } catch (const axe::Error &e) {
    EXPECT_NE(std::string(e.what()).find("exceed the limit of 32"), std::string::npos) << e.what();
  }
}

} // namespace
