//===- RuntimeTestArtifact.cpp - tiny artifacts for the runtime's tests ---===//

#include "RuntimeTestArtifact.h"

#include "artifact/ManifestDigest.h"
#include "support/SafetensorsWriter.h"
#include "support/Sha256.h"

#include <algorithm>
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
  m["files"] = {{"weights", {{"path", "weights.safetensors"}, {"bytes", 0}, {"chunk_bytes", kChunkBytes},
                             {"chunk_sha256", json::array()}}},
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
  return withContracts(m);
}

json withContracts(json m) {
  for (size_t k = 0; k < m["kernels"].size(); ++k) {
    json args = json::array(), workgroups = json::array();
    for (const json &e : m["program"]) {
      if (e["kernel"] != k)
        continue;
      if (std::find(workgroups.begin(), workgroups.end(), e["workgroups"]) == workgroups.end())
        workgroups.push_back(e["workgroups"]);
      if (!args.empty())
        continue;
      for (const json &v : e["args"]) {
        json shape = json::array();
        for (const json &d : v["shape"])
          shape.push_back(d.is_number() ? d : json(nullptr));
        args.push_back({{"dtype", m["buffers"][v["buffer"].get<size_t>()]["dtype"]}, {"shape", shape}});
      }
    }
    m["kernels"][k]["args"] = args;
    m["kernels"][k]["workgroups"] = workgroups;
  }
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
                   const std::function<void(json &)> &tamper,
                   const std::function<void(json &)> &editAfterCompile) {
  fs::create_directories(fs::path(dir) / "cpu");
  std::string weightsPath = dir + "/" + manifest["files"]["weights"]["path"].get<std::string>();
  fs::remove(weightsPath);
  {
    SafetensorsWriter writer(weightsPath);
    for (const TestTensor &t : weights)
      writer.declare(t.name, t.dtype, t.shape);
    writer.begin();
    for (const TestTensor &t : weights)
      writer.write(t.bytes.data(), t.bytes.size());
    writer.finish();
  }
  {
    std::ifstream in(weightsPath, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    manifest["files"]["weights"]["bytes"] = bytes.size();
    manifest["files"]["weights"]["chunk_sha256"] =
        sha256Chunks(bytes.data(), bytes.size(), manifest["files"]["weights"]["chunk_bytes"].get<uint64_t>(), 2);
  }
  manifest = withContracts(std::move(manifest));
  if (tamper)
    tamper(manifest);
  // "Compile" the kernels for this manifest: the test library with its digest placeholder filled
  // in, as axe-compile embeds the real one. A new file, never rewritten in place: a loaded library
  // stays mapped.
  std::string kernelsPath = dir + "/cpu/kernels.so";
  fs::remove(kernelsPath);
  std::string library;
  {
    std::ifstream in(testKernelsPath(), std::ios::binary);
    library.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::string placeholder = std::string(kManifestDigestPrefix) + std::string(64, '0');
  size_t at = library.find(placeholder);
  if (at == std::string::npos)
    throw std::runtime_error("the test kernels have no manifest digest placeholder");
  library.replace(at, placeholder.size(), std::string(kManifestDigestPrefix) + manifestDigest(manifest));
  std::ofstream(kernelsPath, std::ios::binary) << library;
  manifest["files"]["cpu_kernels"]["bytes"] = library.size();
  manifest["files"]["cpu_kernels"]["sha256"] = sha256Hex(library.data(), library.size());
  if (editAfterCompile)
    editAfterCompile(manifest);
  std::ofstream(dir + "/manifest.json") << manifest.dump(2);
}

} // namespace axe::test
