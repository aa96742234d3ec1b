//===- ArtifactTest.cpp - loading model.axe/: files, weights, kernels -----===//

#include "runtime/Artifact.h"

#include "RuntimeTestArtifact.h"
#include "artifact/ManifestDigest.h"
#include "support/Error.h"
#include "support/Sha256.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

namespace {

using axe::Artifact;
using axe::ArtifactLoadOptions;
using namespace axe::test;

// Loads `dir` and returns the error message ("" when it loads).
std::string loadError(const std::string &dir, bool verifyWeights = true) {
  try {
    ArtifactLoadOptions o;
    o.verifyWeights = verifyWeights;
    Artifact::load(dir, o);
    return "";
  } catch (const axe::Error &e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    return msg;
  }
}

#define EXPECT_CONTAINS(haystack, needle)                                                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

TEST(Artifact, LoadsAValidArtifact) {
  TempDir dir;
  writeArtifact(dir.path(), baseManifest(), baseWeights());
  ArtifactLoadOptions o;
  o.verifyWeights = true;
  std::unique_ptr<Artifact> a = Artifact::load(dir.path(), o);
  EXPECT_EQ(a->manifest().kernels.size(), 4u);
  for (size_t k = 0; k < 4; ++k)
    EXPECT_NE(a->kernelEntry(int64_t(k)), nullptr);
  const float *embed = static_cast<const float *>(a->weightData(kEmbed));
  ASSERT_NE(embed, nullptr);
  EXPECT_EQ(embed[0 * kVocab + 1], 1.0f);
  EXPECT_EQ(embed[7 * kVocab + 0], 1.0f);
  EXPECT_EQ(a->weightData(kHidden), nullptr);
}

TEST(Artifact, RejectsMissingPieces) {
  TempDir dir;
  EXPECT_CONTAINS(loadError(dir.path() + "/nope"), "not an artifact directory");
  EXPECT_CONTAINS(loadError(dir.path()), "manifest.json: cannot open");

  writeArtifact(dir.path(), baseManifest(), baseWeights());
  std::remove((dir.path() + "/cpu/kernels.so").c_str());
  EXPECT_CONTAINS(loadError(dir.path()), "cpu/kernels.so: cannot open (manifest files.cpu_kernels)");
}

TEST(Artifact, ChecksSizesAndHashes) {
  TempDir dir;
  writeArtifact(dir.path(), baseManifest(), baseWeights(), {},
                [](json &m) { m["files"]["cpu_kernels"]["bytes"] = 12; });
  EXPECT_CONTAINS(loadError(dir.path()), "cpu/kernels.so: ");
  EXPECT_CONTAINS(loadError(dir.path()), "bytes, but the manifest's files.cpu_kernels.bytes says 12");

  writeArtifact(dir.path(), baseManifest(), baseWeights(), {},
                [](json &m) { m["files"]["cpu_kernels"]["sha256"] = std::string(64, 'a'); });
  EXPECT_CONTAINS(loadError(dir.path()), "does not match the manifest's files.cpu_kernels.sha256");

  // The weights file cut short: its size no longer matches.
  writeArtifact(dir.path(), baseManifest(), baseWeights());
  std::filesystem::resize_file(dir.path() + "/weights.safetensors", 100);
  EXPECT_CONTAINS(loadError(dir.path()), "weights.safetensors: 100 bytes, but the manifest's files.weights.bytes says ");
}

// Issue row 14: one flipped byte in the weights is an error by default, not different logits.
TEST(Artifact, VerifiesTheWeightsByDefault) {
  TempDir dir;
  // Enough weights for two 4096-byte chunks, so that the message names the right one.
  std::vector<TestTensor> weights = baseWeights();
  weights.push_back({"padding", axe::DType::F32, {2048}, std::vector<uint8_t>(8192, 0)});
  writeArtifact(dir.path(), baseManifest(), weights);
  EXPECT_EQ(loadError(dir.path()), "");
  uint64_t size = std::filesystem::file_size(dir.path() + "/weights.safetensors");
  {
    std::fstream f(dir.path() + "/weights.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(size - 10));
    f.put(char(0x40));
  }
  std::string error = loadError(dir.path());
  EXPECT_CONTAINS(error, "weights.safetensors: bytes 8192..");
  EXPECT_CONTAINS(error, "do not match the manifest's files.weights.chunk_sha256[2]: the weights are corrupt");
  // --no-verify-weights: the user's choice to skip the hash (a faster start).
  EXPECT_EQ(loadError(dir.path(), /*verifyWeights=*/false), "");
}

// Issue rows 1-3 and 5: the manifest is bound to the kernels compiled for it, and checked before
// any code of the artifact runs.
TEST(Artifact, RefusesAManifestEditedAfterCompilation) {
  TempDir dir;
  std::string mark = dir.path() + "/constructor-ran";
  ::setenv("AXE_TEST_CONSTRUCTOR_MARK", mark.c_str(), 1);
  auto constructorRan = [&] {
    bool ran = std::filesystem::exists(mark);
    std::filesystem::remove(mark);
    return ran;
  };
  const char *kNotCompiledFor = "cpu/kernels.so: was not compiled for this manifest.json";
  // Each edit is refused by the kernels' contract (in the manifest) or, failing that, by the
  // digest the kernels embed.
  struct Edit {
    const char *what;
    std::function<void(json &)> edit;
    std::string error;
  };
  std::vector<Edit> edits = {
      {"kv_block_size", [](json &m) { m["kv_block_size"] = 2 * kBlockSize; }, kNotCompiledFor},
      {"workgroups", [](json &m) { m["program"][0]["workgroups"] = 100; },
       "program[0] (kernel 'test_embed').workgroups: '100' is not a workgroup count the kernel is compiled for"},
      {"temp shrunk with its views", [](json &m) {
         m["buffers"][kHidden]["shape"] = {"T", 4};
         m["program"][0]["args"][2]["shape"] = {"T", 4};
         m["program"][0]["args"][2]["strides"] = {4, 1};
         m["program"][3]["args"][0]["shape"] = {"T", 4};
         m["program"][3]["args"][0]["strides"] = {4, 1};
       },
       "program[0] (kernel 'test_embed').args[2].shape[1]: '4', but the kernel is compiled for 8"},
      {"temp shrunk with its views and the contract", [](json &m) {
         m["buffers"][kHidden]["shape"] = {"T", 4};
         m["kernels"][0]["args"][2]["shape"] = {nullptr, 4};
         m["kernels"][3]["args"][0]["shape"] = {nullptr, 4};
         for (int e : {0, 3}) {
           int a = e == 0 ? 2 : 0;
           m["program"][e]["args"][a]["shape"] = {"T", 4};
           m["program"][e]["args"][a]["strides"] = {4, 1};
         }
         m["program"][1]["args"][0]["strides"] = {4};
       },
       kNotCompiledFor},
      {"eos", [](json &m) { m["model"]["eos_token_ids"] = {3}; }, kNotCompiledFor},
      {"weights hash", [](json &m) { m["files"]["weights"]["chunk_sha256"][0] = std::string(64, 'b'); },
       kNotCompiledFor},
  };
  for (const Edit &e : edits) {
    writeArtifact(dir.path(), baseManifest(), baseWeights(), {}, e.edit);
    EXPECT_CONTAINS(loadError(dir.path()), e.error) << e.what;
    EXPECT_FALSE(constructorRan()) << e.what << ": the library's code ran before the check";
  }
  // A library changed without the manifest's hash: refused before it is loaded.
  writeArtifact(dir.path(), baseManifest(), baseWeights());
  {
    std::fstream f(dir.path() + "/cpu/kernels.so", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put(char(0x5a));
  }
  EXPECT_CONTAINS(loadError(dir.path()), "does not match the manifest's files.cpu_kernels.sha256");
  EXPECT_FALSE(constructorRan());
  // The intact artifact loads, and its library's constructor runs then (the mark is real).
  writeArtifact(dir.path(), baseManifest(), baseWeights());
  EXPECT_EQ(loadError(dir.path()), "");
  EXPECT_TRUE(constructorRan());
  ::unsetenv("AXE_TEST_CONSTRUCTOR_MARK");
}

// Issue row 2: single-digit edits anywhere in manifest.json never load.
TEST(Artifact, EveryDigitEditOfTheManifestIsRefused) {
  TempDir dir;
  writeArtifact(dir.path(), baseManifest(), baseWeights());
  std::string path = dir.path() + "/manifest.json";
  std::string text;
  {
    std::ifstream in(path);
    text.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::vector<size_t> digits;
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] >= '0' && text[i] <= '9')
      digits.push_back(i);
  ASSERT_GT(digits.size(), 200u);
  int refused = 0, tried = 0;
  for (size_t n = 0; n < 200; ++n) {
    size_t at = digits[n * digits.size() / 200];
    std::string edited = text;
    edited[at] = edited[at] == '9' ? '1' : char(edited[at] + 1);
    std::ofstream(path, std::ios::trunc) << edited;
    ++tried;
    refused += loadError(dir.path()).empty() ? 0 : 1;
  }
  EXPECT_EQ(refused, tried);
}

// Issue row 5, as the compiler would write it: a kernel compiled for [T, 8] rows given [T, 4] views.
TEST(Artifact, ChecksEveryCallAgainstTheKernelsContract) {
  TempDir dir;
  writeArtifact(dir.path(), baseManifest(), baseWeights(), [](json &m) {
    m["buffers"][kHidden]["shape"] = {"T", 4};
    m["program"][0]["args"][2]["shape"] = {"T", 4};
    m["program"][0]["args"][2]["strides"] = {4, 1};
    m["kernels"][0]["args"][2]["shape"] = {nullptr, 8};
  });
  EXPECT_CONTAINS(loadError(dir.path()),
                  "program[0] (kernel 'test_embed').args[2].shape[1]: '4', but the kernel is compiled for 8");
}

// Issue row 15: the weights changed in place while in use: an error, not silently mixed weights;
// cut short under the mapping: one line naming the file instead of a bare SIGBUS.
TEST(Artifact, NoticesWeightsModifiedWhileInUse) {
  TempDir dir;
  writeArtifact(dir.path(), baseManifest(), baseWeights());
  std::unique_ptr<Artifact> a = Artifact::load(dir.path());
  EXPECT_NO_THROW(a->checkUnchanged());
  std::string weights = dir.path() + "/weights.safetensors";
  uint64_t size = std::filesystem::file_size(weights);
  std::filesystem::resize_file(weights, size + 16);
  try {
    a->checkUnchanged();
    ADD_FAILURE() << "no error for a modified weights file";
  } catch (const axe::Error &e) {
    EXPECT_CONTAINS(e.what(), "the weights file was modified while in use");
  }
}

TEST(ArtifactDeathTest, TruncatedMappedWeightsEndWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TempDir dir;
  std::vector<TestTensor> weights = baseWeights();
  weights.push_back({"padding", axe::DType::F32, {4096}, std::vector<uint8_t>(16384, 1)});
  writeArtifact(dir.path(), baseManifest(), weights);
  EXPECT_EXIT(
      {
        std::unique_ptr<Artifact> a = Artifact::load(dir.path());
        std::filesystem::resize_file(dir.path() + "/weights.safetensors", 0);
        volatile const uint8_t *embed = static_cast<const uint8_t *>(a->weightData(kEmbed));
        (void)embed[0];
        std::exit(0);
      },
      ::testing::ExitedWithCode(1), "weights.safetensors: the file was truncated while mapped");
}

TEST(Artifact, ChecksWeightBuffersAgainstTheFile) {
  TempDir dir;
  std::vector<TestTensor> renamed = baseWeights();
  renamed[0].name = "other";
  writeArtifact(dir.path(), baseManifest(), renamed);
  EXPECT_CONTAINS(loadError(dir.path()), "weights.safetensors: weight buffer 7 ('embed'): no tensor of that name");

  std::vector<TestTensor> retyped = baseWeights();
  retyped[0].dtype = axe::DType::I32;
  writeArtifact(dir.path(), baseManifest(), retyped);
  EXPECT_CONTAINS(loadError(dir.path()), "weight buffer 7 ('embed'): the file's dtype is I32, the manifest's F32");

  std::vector<TestTensor> reshaped = baseWeights();
  reshaped[0].shape = {4, 16};
  writeArtifact(dir.path(), baseManifest(), reshaped);
  EXPECT_CONTAINS(loadError(dir.path()), "weight buffer 7 ('embed'): the file's shape is [4, 16], the manifest's [8, 8]");

  std::ofstream(dir.path() + "/weights.safetensors") << "garbage";
  writeArtifact(dir.path(), baseManifest(), baseWeights()); // rewrites it
  EXPECT_EQ(loadError(dir.path()), "");
}

TEST(Artifact, ChecksKernels) {
  TempDir dir;
  writeArtifact(dir.path(), baseManifest(), baseWeights(),
                [](json &m) { m["kernels"][1]["symbol"] = "_mlir_ciface_nope"; });
  EXPECT_CONTAINS(loadError(dir.path()),
                  "cpu/kernels.so: kernels[1] ('test_add_one'): symbol '_mlir_ciface_nope' is not exported");
  // dlsym on the library's handle would find libc's functions: the manifest may not call them.
  for (const char *libc : {"abort", "exit", "system"}) {
    writeArtifact(dir.path(), baseManifest(), baseWeights(), [&](json &m) { m["kernels"][1]["symbol"] = libc; });
    EXPECT_CONTAINS(loadError(dir.path()), std::string("symbol '") + libc + "' is not a kernel entry point");
  }

  // A file that is not a shared library, with a matching size, hash and embedded digest.
  writeArtifact(dir.path(), baseManifest(), baseWeights());
  json m = json::parse(std::ifstream(dir.path() + "/manifest.json"));
  std::string notElf = std::string("not an ELF file ") + axe::kManifestDigestPrefix + axe::manifestDigest(m);
  std::remove((dir.path() + "/cpu/kernels.so").c_str());
  std::ofstream(dir.path() + "/cpu/kernels.so") << notElf;
  m["files"]["cpu_kernels"]["bytes"] = notElf.size();
  m["files"]["cpu_kernels"]["sha256"] = axe::sha256Hex(notElf.data(), notElf.size());
  std::ofstream(dir.path() + "/manifest.json") << m.dump();
  EXPECT_CONTAINS(loadError(dir.path()), "cpu/kernels.so: cannot load: ");
}

TEST(Artifact, ManifestDefectsNameTheFile) {
  TempDir dir;
  writeArtifact(dir.path(), baseManifest(), baseWeights(), [](json &m) { m["version"] = 9; });
  EXPECT_CONTAINS(loadError(dir.path()), dir.path() + "/manifest.json: version: format version 9");
}

TEST(Artifact, ThisCpuRunsX86_64_v3) { EXPECT_NO_THROW(axe::checkCpuFeatures("test")); }

} // namespace
