//===- RuntimeTestArtifact.cpp - tiny artifacts for the runtime's tests ---===//

#include "RuntimeTestArtifact.h"

#include "models/SafetensorsWriter.h"
#include "runtime/Sha256.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace axe::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "axe-runtime-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

const char *testKernelsPath() { return AXE_TEST_KERNELS; }

json bufferJson(int64_t id, const char *kind, const std::string &name, const char *dtype, json shape) {
  return {{"id", id}, {"kind", kind}, {"name", name}, {"dtype", dtype}, {"shape", shape}};
}

json viewJson(int64_t buffer, int64_t offset, json shape, json strides) {
  return {{"buffer", buffer}, {"offset", offset}, {"shape", shape}, {"strides", strides}};
}

json baseManifest() {
  json m;
  m["format"] = "axe-artifact";
  m["version"] = 1;
  m["model"] = {{"model_type", "qwen3_5_moe"},
                {"vocab_size", kVocab},
                {"hidden_size", kVocab},
                {"num_layers", 1},
                {"max_position_embeddings", 64},
                {"eos_token_ids", {7}}};
  m["precision"] = {{"policy", "default"},
                    {"kv_cache", "bf16"},
                    {"weights", {{{"name", "embed"}, {"role", "embed"}, {"precision", "f32"}, {"rule", "test"}}}}};
  m["files"] = {{"weights", {{"path", "weights.safetensors"}, {"bytes", 0}, {"sha256", std::string(64, '0')}}},
                {"cpu_kernels",
                 {{"path", "cpu/kernels.so"}, {"bytes", 0}, {"sha256", std::string(64, '0')}, {"target", "x86-64-v3"}}}};
  m["symbols"] = {"T", "S", "R", "MB", "NB", "P"};
  m["kv_block_size"] = kBlockSize;
  m["prefill_alignment"] = 1;
  m["buffers"] = {
      bufferJson(kTokenIds, "input", "token_ids", "i32", {"T"}),
      bufferJson(kPositions, "input", "positions", "i32", {"T"}),
      bufferJson(kSeqIds, "input", "seq_ids", "i32", {"T"}),
      bufferJson(kLogitRows, "input", "logit_rows", "i32", {"R"}),
      bufferJson(kBlockTable, "input", "block_table", "i32", {"S", "MB"}),
      bufferJson(kStateSlots, "input", "state_slots", "i32", {"S"}),
      bufferJson(kLogits, "output", "logits", "f32", {"R", kVocab}),
      bufferJson(kEmbed, "weight", "embed", "f32", {kVocab, kVocab}),
      bufferJson(kHidden, "temp", "hidden", "f32", {"T", kVocab}),
      bufferJson(kSeen, "state", "seen", "i32", {"P", 4}),
      bufferJson(kKvCache, "state", "layers.0.k_cache", "bf16", {"NB", kBlockSize, 2}),
  };
  m["kernels"] = {
      {{"name", "test_embed"}, {"symbol", "_mlir_ciface_test_embed"}, {"op", "axe.embed"}, {"num_args", 3}, {"num_scalars", 1}},
      {{"name", "test_add_one"}, {"symbol", "_mlir_ciface_test_add_one"}, {"op", "test.add_one"}, {"num_args", 1}, {"num_scalars", 0}},
      {{"name", "test_record"}, {"symbol", "_mlir_ciface_test_record"}, {"op", "test.record"}, {"num_args", 5}, {"num_scalars", 1}},
      {{"name", "test_rows"}, {"symbol", "_mlir_ciface_test_rows"}, {"op", "axe.logits"}, {"num_args", 3}, {"num_scalars", 0}},
  };
  m["program"] = {
      {{"kernel", 0},
       {"args",
        {viewJson(kEmbed, 0, {kVocab, kVocab}, {kVocab, 1}), viewJson(kTokenIds, 0, {"T"}, {1}),
         viewJson(kHidden, 0, {"T", kVocab}, {kVocab, 1})}},
       {"scalars", {2}},
       {"workgroups", "T"}},
      {{"kernel", 1}, {"args", {viewJson(kHidden, 0, {"T"}, {kVocab})}}, {"scalars", json::array()}, {"workgroups", "T"}},
      {{"kernel", 2},
       {"args",
        {viewJson(kSeen, 0, {"P", 4}, {4, 1}), viewJson(kStateSlots, 0, {"S"}, {1}),
         viewJson(kPositions, 0, {"T"}, {1}), viewJson(kSeqIds, 0, {"T"}, {1}),
         viewJson(kBlockTable, 0, {"S", "MB"}, {"MB", 1})}},
       {"scalars", {"T"}},
       {"workgroups", "S"}},
      {{"kernel", 3},
       {"args",
        {viewJson(kHidden, 0, {"T", kVocab}, {kVocab, 1}), viewJson(kLogitRows, 0, {"R"}, {1}),
         viewJson(kLogits, 0, {"R", kVocab}, {kVocab, 1})}},
       {"scalars", json::array()},
       {"workgroups", "R"}},
  };
  return m;
}

std::vector<TestTensor> baseWeights() {
  std::vector<float> embed(size_t(kVocab * kVocab), 0.0f);
  for (int64_t v = 0; v < kVocab; ++v)
    embed[size_t(v * kVocab + (v + 1) % kVocab)] = 1.0f;
  TestTensor t{"embed", DType::F32, {kVocab, kVocab}, {}};
  t.bytes.resize(embed.size() * sizeof(float));
  std::memcpy(t.bytes.data(), embed.data(), t.bytes.size());
  return {t};
}

void writeArtifact(const std::string &dir, json manifest, const std::vector<TestTensor> &weights,
                   const std::function<void(json &)> &tamper) {
  fs::create_directories(fs::path(dir) / "cpu");
  {
    SafetensorsWriter writer(dir + "/weights.safetensors");
    for (const TestTensor &t : weights)
      writer.declare(t.name, t.dtype, t.shape);
    writer.begin();
    for (const TestTensor &t : weights)
      writer.write(t.bytes.data(), t.bytes.size());
    writer.finish();
  }
  // A new file, never rewritten in place: a loaded library stays mapped.
  fs::remove(dir + "/cpu/kernels.so");
  fs::copy_file(testKernelsPath(), dir + "/cpu/kernels.so");
  for (const char *key : {"weights", "cpu_kernels"}) {
    std::string path = dir + "/" + manifest["files"][key]["path"].get<std::string>();
    if (!fs::exists(path))
      continue;
    manifest["files"][key]["bytes"] = fs::file_size(path);
    manifest["files"][key]["sha256"] = sha256File(path);
  }
  if (tamper)
    tamper(manifest);
  std::ofstream(dir + "/manifest.json") << manifest.dump(2);
}

} // namespace axe::test
