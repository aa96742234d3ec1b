//===- NpyWriterTest.cpp - the .npy header and data read back -------------===//

#include "runtime/NpyWriter.h"

#include "RuntimeTestArtifact.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(NpyWriter, HeaderFormat) {
  std::string h = axe::npyHeader({3, 5});
  ASSERT_EQ(h.size(), 128u);
  EXPECT_EQ(h.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  uint16_t length = uint16_t(uint8_t(h[8]) | (uint8_t(h[9]) << 8));
  EXPECT_EQ(10u + length, h.size());
  EXPECT_EQ(h.back(), '\n');
  EXPECT_EQ(h.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }", 10), 10u) << h;
  EXPECT_NE(axe::npyHeader({7}).find("'shape': (7,), }"), std::string::npos);
  EXPECT_NE(axe::npyHeader({}).find("'shape': (), }"), std::string::npos);
}

TEST(NpyWriter, RoundTrip) {
  axe::test::TempDir dir;
  std::string path = dir.path() + "/logits.npy";
  const int64_t cols = 5;
  std::vector<float> data(4 * cols);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = float(i) * 0.5f - 3.0f;
  {
    axe::NpyWriter writer(path, cols);
    writer.appendRows(data.data(), 1);
    writer.appendRows(data.data() + cols, 3);
    EXPECT_EQ(writer.rows(), 4);
    writer.finish();
  }
  std::string file = readFile(path);
  ASSERT_GE(file.size(), 10u);
  ASSERT_EQ(file.substr(0, 6), "\x93NUMPY");
  size_t headerLength = uint8_t(file[8]) | (uint8_t(file[9]) << 8);
  EXPECT_EQ((10 + headerLength) % 64, 0u);
  std::string header = file.substr(10, headerLength);
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_NE(header.find("'fortran_order': False"), std::string::npos) << header;
  EXPECT_NE(header.find("'shape': (4, 5)"), std::string::npos) << header;
  ASSERT_EQ(file.size(), 10 + headerLength + data.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(file.data() + 10 + headerLength, data.data(), data.size() * sizeof(float)), 0);
}

TEST(NpyWriter, UnwritablePathIsAnError) {
  EXPECT_THROW(axe::NpyWriter("/nonexistent-dir/x.npy", 3), axe::Error);
}

} // namespace
