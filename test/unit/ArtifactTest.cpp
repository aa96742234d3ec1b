//===- ArtifactTest.cpp - loading model.axe/: files, weights, kernels -----===//

#include "runtime/Artifact.h"

#include "RuntimeTestArtifact.h"
#include "models/Error.h"
#include "runtime/Sha256.h"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using axe::Artifact;
using axe::ArtifactOptions;
using namespace axe::test;

// Loads `dir` and returns the error message ("" when it loads).
std::string loadError(const std::string &dir, bool verifyWeights = false) {
  try {
    ArtifactOptions o;
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
  ArtifactOptions o;
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
  writeArtifact(dir.path(), baseManifest(), baseWeights(),
                [](json &m) { m["files"]["cpu_kernels"]["bytes"] = 12; });
  EXPECT_CONTAINS(loadError(dir.path()), "cpu/kernels.so: ");
  EXPECT_CONTAINS(loadError(dir.path()), "bytes, but the manifest's files.cpu_kernels.bytes says 12");

  writeArtifact(dir.path(), baseManifest(), baseWeights(),
                [](json &m) { m["files"]["cpu_kernels"]["sha256"] = std::string(64, 'a'); });
  EXPECT_CONTAINS(loadError(dir.path()), "does not match the manifest's files.cpu_kernels.sha256");

  // The weights' hash is checked only on request.
  writeArtifact(dir.path(), baseManifest(), baseWeights(),
                [](json &m) { m["files"]["weights"]["sha256"] = std::string(64, 'b'); });
  EXPECT_EQ(loadError(dir.path()), "");
  EXPECT_CONTAINS(loadError(dir.path(), true),
                  "weights.safetensors: SHA-256 ");
  EXPECT_CONTAINS(loadError(dir.path(), true), "does not match the manifest's files.weights.sha256");

  writeArtifact(dir.path(), baseManifest(), baseWeights(),
                [](json &m) { m["files"]["weights"]["bytes"] = 3; });
  EXPECT_CONTAINS(loadError(dir.path()), "files.weights.bytes says 3");
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

  // A file that is not a shared library, with a matching size and hash.
  writeArtifact(dir.path(), baseManifest(), baseWeights());
  std::remove((dir.path() + "/cpu/kernels.so").c_str());
  std::ofstream(dir.path() + "/cpu/kernels.so") << "not an ELF file";
  json m = json::parse(std::ifstream(dir.path() + "/manifest.json"));
  m["files"]["cpu_kernels"]["bytes"] = 15;
  m["files"]["cpu_kernels"]["sha256"] = axe::sha256File(dir.path() + "/cpu/kernels.so");
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
