//===- Sha256Test.cpp - SHA-256 against the FIPS 180-4 examples -----------===//

#include "support/Sha256.h"

#include "RuntimeTestArtifact.h"
#include "support/Error.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace {

using axe::sha256Hex;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256Hex(two.data(), two.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string four = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                     "klmnopqrlmnopqrsmnopqrstnopqrstu";
  EXPECT_EQ(sha256Hex(four.data(), four.size()),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  std::string million(1000000, 'a');
  EXPECT_EQ(sha256Hex(million.data(), million.size()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 1000; ++i)
    data += char(i * 7 + 3);
  std::string expected = sha256Hex(data.data(), data.size());
  // Every padding boundary (55, 56, 63, 64 bytes) and odd chunk sizes.
  for (size_t chunk : {1, 3, 55, 56, 63, 64, 65, 127, 999}) {
    axe::Sha256 hash;
    for (size_t at = 0; at < data.size(); at += chunk)
      hash.update(data.data() + at, std::min(chunk, data.size() - at));
    EXPECT_EQ(hash.hexDigest(), expected) << "chunk " << chunk;
  }
  for (size_t n : {55, 56, 57, 63, 64, 65, 119, 120, 128}) {
    axe::Sha256 a;
    a.update(data.data(), n);
    axe::Sha256 b;
    b.update(data.data(), n / 2);
    b.update(data.data() + n / 2, n - n / 2);
    EXPECT_EQ(a.hexDigest(), b.hexDigest()) << n;
  }
}

TEST(Sha256, File) {
  axe::test::TempDir dir;
  std::string path = dir.path() + "/abc.txt";
  std::ofstream(path) << "abc";
  EXPECT_EQ(axe::sha256File(path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  try {
    axe::sha256File(dir.path() + "/missing");
    FAIL() << "expected an error";
  } catch (const axe::Error &e) {
    EXPECT_NE(std::string(e.what()).find("missing: cannot open"), std::string::npos) << e.what();
  }
}

} // namespace

namespace {

// The writer's digests (ChunkedSha256, fed in arbitrary pieces) equal the loader's (sha256Chunks).
TEST(Sha256, ChunksWhileWritingEqualChunksOfTheWhole) {
  std::string data;
  for (int i = 0; i < 10000; ++i)
    data += char(i * 13 + 5);
  for (uint64_t chunk : {uint64_t(64), uint64_t(1000), uint64_t(4096), uint64_t(10000), uint64_t(20000)}) {
    std::vector<std::string> whole = axe::sha256Chunks(data.data(), data.size(), chunk, 3);
    EXPECT_EQ(whole.size(), (data.size() + chunk - 1) / chunk);
    EXPECT_EQ(whole[0], sha256Hex(data.data(), size_t(std::min<uint64_t>(chunk, data.size()))));
    for (size_t piece : {size_t(1), size_t(7), size_t(4096), size_t(9999)}) {
      axe::ChunkedSha256 streamed(chunk);
      for (size_t at = 0; at < data.size(); at += piece)
        streamed.update(data.data() + at, std::min(piece, data.size() - at));
      EXPECT_EQ(streamed.finish(), whole) << "chunk " << chunk << ", pieces of " << piece;
    }
  }
  EXPECT_TRUE(axe::sha256Chunks(data.data(), 0, 64, 2).empty());
  EXPECT_TRUE(axe::ChunkedSha256(64).finish().empty());
}

} // namespace
