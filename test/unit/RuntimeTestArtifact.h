//===- RuntimeTestArtifact.h - tiny artifacts for the runtime's tests -*- C++ -*-===//
//
// Builds model.axe/ directories in temporary folders around the test-only kernels.so
// (RuntimeTestKernels.c). The base manifest is a complete, valid "model" with V = H = 8 whose
// program is a fixture, not model math:
//
//   0 test_embed   hidden[t] = embed[token_ids[t]] * 2             W = T
//   1 test_add_one hidden[t][0] += 1 (a strided rank-1 view)        W = T
//   2 test_record  seen[slot] = {tokens, last position, last block, MB}   W = S
//   3 test_rows    logits[r] = hidden[logit_rows[r]]                W = R
//
// with embed[v] = one-hot((v + 1) % 8), so greedy decoding from token v yields v + 1 (mod 8).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_TEST_UNIT_RUNTIMETESTARTIFACT_H
#define AXE_TEST_UNIT_RUNTIMETESTARTIFACT_H

#include "support/Safetensors.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace axe::test {

using json = nlohmann::json;

// Buffer ids of the base manifest.
enum BaseBuffer : int {
  kTokenIds = 0,
  kPositions,
  kSeqIds,
  kLogitRows,
  kBlockTable,
  kStateSlots,
  kLogits,
  kEmbed,
  kHidden,
  kSeen,
  kKvCache,
  kNumBaseBuffers
};
constexpr int64_t kVocab = 8;
constexpr int64_t kBlockSize = 4;
constexpr int64_t kChunkBytes = 4096; // weights.safetensors is hashed in pieces of this size

// A temporary directory, removed with its contents on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

struct TestTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

json bufferJson(int64_t id, const char *kind, const std::string &name, const char *dtype, json shape);
json viewJson(int64_t buffer, int64_t offset, json shape, json strides);

// The base manifest described above (files.* still to be filled in by writeArtifact).
json baseManifest();
// `m` with each kernel's contract (argument dtypes and fixed sizes, workgroup counts) derived from
// its calls in the program, as the compiler records it.
json withContracts(json m);
// The weights of the base manifest: embed [8, 8] f32.
std::vector<TestTensor> baseWeights();

// Writes an artifact into `dir` as axe-compile would: weights.safetensors from `weights` and its
// chunk digests, the kernel contracts (withContracts), then `tamper` (a manifest the compiler
// wrote that way), then cpu/kernels.so "compiled" for that manifest (the test kernels with its
// digest embedded) and files.cpu_kernels; `editAfterCompile` then edits manifest.json as a user
// could after compilation.
void writeArtifact(const std::string &dir, json manifest, const std::vector<TestTensor> &weights,
                   const std::function<void(json &)> &tamper = {},
                   const std::function<void(json &)> &editAfterCompile = {});

// Path of the built test kernels.so.
const char *testKernelsPath();

} // namespace axe::test

#endif // AXE_TEST_UNIT_RUNTIMETESTARTIFACT_H
