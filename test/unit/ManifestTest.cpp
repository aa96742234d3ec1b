//===- ManifestTest.cpp - manifest.json validation, defect by defect ------===//
//
// The base manifest of RuntimeTestArtifact.h is valid; each case below breaks one thing and checks
// the one-line message names the file and the field.
//
//===----------------------------------------------------------------------===//

#include "artifact/Manifest.h"
#include "artifact/ManifestDigest.h"
#include "artifact/ManifestWriter.h"

#include "RuntimeTestArtifact.h"
#include "support/Error.h"

#include <gtest/gtest.h>

#include <functional>

namespace {

using axe::Manifest;
using namespace axe::test;

const char *kPath = "/a/model.axe/manifest.json";

TEST(Manifest, BaseIsValid) {
  Manifest m = Manifest::parse(baseManifest().dump(), kPath);
  EXPECT_EQ(m.model.vocabSize, kVocab);
  EXPECT_EQ(m.model.eosTokenIds, std::vector<int64_t>{7});
  EXPECT_EQ(m.kvBlockSize, kBlockSize);
  EXPECT_EQ(m.buffers.size(), size_t(kNumBaseBuffers));
  EXPECT_EQ(m.logitsId, kLogits);
  EXPECT_EQ(m.input(axe::InputBuffer::BlockTable).id, kBlockTable);
  EXPECT_EQ(m.kernels.size(), 4u);
  ASSERT_EQ(m.program.size(), 4u);
  EXPECT_EQ(m.program[2].args[4].strides[0].symbol, int(axe::Symbol::MB));
  EXPECT_EQ(m.program[0].scalars[0].value, 2);
  EXPECT_EQ(m.program[3].workgroups.symbol, int(axe::Symbol::R));
}

// The compiler writes with manifestJson what the runtime parses: every field survives the round
// trip, and what is written parses back to the same manifest (same digest).
TEST(Manifest, WriterRoundTripsEveryField) {
  json original = baseManifest();
  Manifest m = Manifest::parse(original.dump(), kPath);
  json written = json::parse(axe::manifestJson(m).dump());
  EXPECT_EQ(written, original) << "written:\n" << written.dump(1) << "\noriginal:\n" << original.dump(1);
  Manifest again = Manifest::parse(written.dump(), kPath);
  EXPECT_EQ(again.digest, m.digest);
  EXPECT_EQ(json::parse(axe::manifestJson(again).dump()), written);
}

TEST(Manifest, WriterLeavesOutTheKernelsEntryUntilTheyAreCompiled) {
  Manifest m = Manifest::parse(baseManifest().dump(), kPath);
  m.cpuKernelsFile = {};
  json written = json::parse(axe::manifestJson(m).dump());
  EXPECT_FALSE(written["files"].contains("cpu_kernels"));
  // The digest covers everything but files.cpu_kernels, so it is the same as the full manifest's.
  EXPECT_EQ(axe::manifestDigest(written), m.digest);
}

TEST(Manifest, BuffersMayBeListedInAnyIdOrder) {
  json m = baseManifest();
  std::swap(m["buffers"][7], m["buffers"][9]);
  EXPECT_NO_THROW(Manifest::parse(m.dump(), kPath));
}

TEST(Manifest, ViewWithAnotherDim0SymbolIsCheckedAsTheBuffers) {
  // Rows [R, 8] of the [T, 8] hidden state: accepted (the device checks R <= T per step).
  json m = baseManifest();
  m["program"][3]["args"][0] = viewJson(kHidden, 0, {"R", kVocab}, {kVocab, 1});
  EXPECT_NO_THROW(Manifest::parse(m.dump(), kPath));
}

struct Defect {
  const char *what;
  std::function<void(json &)> edit;
  std::string message;
};

json &buf(json &m, int id) { return m["buffers"][size_t(id)]; }
json &entry(json &m, int i) { return m["program"][size_t(i)]; }

const std::vector<Defect> &defects() {
  static const std::vector<Defect> list = {
      {"format", [](json &m) { m["format"] = "onnx"; }, "format: 'onnx' is not 'axe-artifact'"},
      {"version", [](json &m) { m["version"] = 2; }, "version: format version 2 is not supported"},
      {"version type", [](json &m) { m["version"] = "1"; }, "manifest.version: must be an integer"},
      {"missing model", [](json &m) { m.erase("model"); }, "manifest: missing field 'model'"},
      {"vocab missing", [](json &m) { m["model"].erase("vocab_size"); }, "model: missing field 'vocab_size'"},
      {"vocab float", [](json &m) { m["model"]["vocab_size"] = 8.5; }, "model.vocab_size: must be an integer"},
      {"vocab zero", [](json &m) { m["model"]["vocab_size"] = 0; }, "model.vocab_size: 0 is outside"},
      {"model_type", [](json &m) { m["model"]["model_type"] = 3; }, "model.model_type: must be a string"},
      {"eos", [](json &m) { m["model"]["eos_token_ids"] = {1, -2}; }, "model.eos_token_ids[1]: -2 is outside"},
      {"eos type", [](json &m) { m["model"]["eos_token_ids"] = 7; }, "model.eos_token_ids: must be an array"},
      {"precision role", [](json &m) { m["precision"]["weights"][0]["role"] = 1; },
       "precision.weights[0].role: must be a string"},
      {"precision kv", [](json &m) { m["precision"].erase("kv_cache"); }, "precision: missing field 'kv_cache'"},
      {"files sha", [](json &m) { m["files"]["cpu_kernels"]["sha256"] = "ABC"; },
       "files.cpu_kernels.sha256: must be 64 lowercase hex digits"},
      {"files chunk size", [](json &m) { m["files"]["weights"]["chunk_bytes"] = 0; },
       "files.weights.chunk_bytes: 0 is outside [4096, "},
      {"files chunk count", [](json &m) { m["files"]["weights"]["bytes"] = 4097; },
       "files.weights.chunk_sha256: 0 digests for 4097 bytes in chunks of 4096 (expected 2)"},
      {"files chunk digest", [](json &m) {
         m["files"]["weights"]["bytes"] = 10;
         m["files"]["weights"]["chunk_sha256"] = {"xyz"};
       },
       "files.weights.chunk_sha256[0]: must be 64 lowercase hex digits"},
      {"files bytes", [](json &m) { m["files"]["weights"]["bytes"] = -1; }, "files.weights.bytes: -1 is outside"},
      {"files path", [](json &m) { m["files"]["cpu_kernels"]["path"] = "../evil.so"; },
       "files.cpu_kernels.path: '../evil.so' must be a relative path inside the artifact"},
      {"files absolute", [](json &m) { m["files"]["weights"]["path"] = "/etc/passwd"; },
       "files.weights.path: '/etc/passwd' must be a relative path"},
      {"files target", [](json &m) { m["files"]["cpu_kernels"]["target"] = "x86-64-v4"; },
       "files.cpu_kernels.target: 'x86-64-v4' is not supported"},
      {"cpu v4 target", [](json &m) { m["files"]["cpu_kernels_v4"] = m["files"]["cpu_kernels"]; },
       "files.cpu_kernels_v4.target: 'x86-64-v3' is not supported (expected x86-64-v4)"},
      // GPU kernels come as a pair (cubin and PTX), for sm_90a.
      {"gpu kernels alone", [](json &m) { m["files"]["gpu_kernels"] = m["files"]["cpu_kernels"]; },
       "files.gpu_kernels.target: 'x86-64-v3' is not supported (expected sm_90a)"},
      {"gpu ptx missing", [](json &m) {
         m["files"]["gpu_kernels"] = m["files"]["cpu_kernels"];
         m["files"]["gpu_kernels"]["target"] = "sm_90a";
       },
       "files: missing field 'gpu_ptx'"},
      {"gpu kernels missing", [](json &m) { m["files"]["gpu_ptx"] = m["files"]["cpu_kernels"]; },
       "files: missing field 'gpu_kernels'"},
      {"gpu path", [](json &m) {
         for (const char *key : {"gpu_kernels", "gpu_ptx"}) {
           m["files"][key] = m["files"]["cpu_kernels"];
           m["files"][key]["target"] = "sm_90a";
         }
         m["files"]["gpu_ptx"]["path"] = "../k.ptx";
       },
       "files.gpu_ptx.path: '../k.ptx' must be a relative path inside the artifact"},
      {"symbol unknown", [](json &m) { m["symbols"].push_back("Q"); }, "symbols[6]: unknown symbol 'Q'"},
      {"symbol twice", [](json &m) { m["symbols"][1] = "T"; }, "symbols[1]: symbol 'T' appears twice"},
      {"symbol undeclared", [](json &m) { m["symbols"].erase(5); },
       "buffers[9] ('seen').shape[0]: symbol 'P' is not in the manifest's 'symbols'"},
      {"kv block", [](json &m) { m["kv_block_size"] = -1; }, "manifest.kv_block_size: -1 is outside"},
      // 0 means "no KV cache" (a model without full attention), which this one has.
      {"kv block zero", [](json &m) { m["kv_block_size"] = 0; },
       "manifest.kv_block_size: is 0 (no KV cache) but buffer 'layers.0.k_cache' is a KV cache of NB blocks"},
      {"buffer id twice", [](json &m) { buf(m, 8)["id"] = 7; }, "buffers[8].id: buffer id 7 appears twice"},
      {"buffer id sparse", [](json &m) { buf(m, 8)["id"] = 20; },
       "buffers[8].id: 20 is not in [0, 11) (ids must be dense: 0..10)"},
      {"buffer id type", [](json &m) { buf(m, 8)["id"] = "8"; }, "buffers[8].id: must be an integer"},
      {"buffer kind", [](json &m) { buf(m, 8)["kind"] = "scratch"; },
       "buffers[8] ('hidden').kind: unknown kind 'scratch'"},
      {"buffer dtype", [](json &m) { buf(m, 8)["dtype"] = "f64"; }, "buffers[8] ('hidden').dtype: unknown dtype 'f64'"},
      {"buffer shape", [](json &m) { buf(m, 8)["shape"] = {"T", -1}; }, "buffers[8] ('hidden').shape[1]: -1 is outside"},
      {"buffer shape symbol", [](json &m) { buf(m, 8)["shape"] = {8, "T"}; },
       "buffers[8] ('hidden').shape[1]: only the first dimension may be a symbol"},
      {"buffer shape type", [](json &m) { buf(m, 8)["shape"] = {"T", 8.0}; },
       "buffers[8] ('hidden').shape[1]: must be an integer or a symbol"},
      {"weight symbolic", [](json &m) { buf(m, 7)["shape"] = {"T", 8}; },
       "buffers[7] ('embed').shape[0]: a weight's shape must be integers"},
      {"state symbol", [](json &m) { buf(m, 9)["shape"] = {"T", 4}; },
       "buffers[9] ('seen').shape[0]: a state buffer is sized at load"},
      {"huge buffer", [](json &m) { buf(m, 8)["shape"] = {"T", 1 << 30, 1 << 30}; }, "more than 2^48 elements"},
      {"input order", [](json &m) { std::swap(buf(m, 0)["name"], buf(m, 1)["name"]); },
       "buffer 0 ('positions'): input 0 must be 'token_ids'"},
      {"input dtype", [](json &m) { buf(m, 3)["dtype"] = "i64"; }, "buffer 3 ('logit_rows').dtype: must be i32"},
      {"input shape", [](json &m) { buf(m, 3)["shape"] = {"T"}; }, "buffer 3 ('logit_rows').shape: [T] must be [R]"},
      {"block table shape", [](json &m) { buf(m, 4)["shape"] = {"S", 4}; },
       "buffer 4 ('block_table').shape: [S, 4] must be [S, MB]"},
      {"input missing", [](json &m) { buf(m, 5)["kind"] = "temp"; }, "expected exactly 6 input buffers"},
      {"logits shape", [](json &m) { buf(m, 6)["shape"] = {"R", 9}; },
       "buffer 6 ('logits').shape: [R, 9] must be [R, 8] (vocab_size)"},
      {"logits dtype", [](json &m) { buf(m, 6)["dtype"] = "bf16"; }, "buffer 6 ('logits').dtype: must be f32"},
      {"two outputs", [](json &m) { buf(m, 8)["kind"] = "output"; }, "expected exactly one output buffer"},
      {"kernel args", [](json &m) { m["kernels"][0]["num_args"] = -1; },
       "kernels[0] ('test_embed').num_args: -1 is outside"},
      {"kernel symbol", [](json &m) { m["kernels"][1].erase("symbol"); },
       "kernels[1] ('test_add_one'): missing field 'symbol'"},
      {"kernel arity", [](json &m) { m["kernels"][1]["num_args"] = 20; m["kernels"][1]["num_scalars"] = 11; },
       "kernels[1] ('test_add_one'): 20 views + 11 scalars + 2 workgroup bounds exceed the 32-argument limit"},
      {"entry kernel", [](json &m) { entry(m, 1)["kernel"] = 9; }, "program[1].kernel: 9 is not a kernel index (4 kernels)"},
      {"entry args", [](json &m) { entry(m, 1)["args"].push_back(entry(m, 1)["args"][0]); },
       "program[1] (kernel 'test_add_one').args: 2 views, but the kernel takes 1"},
      {"entry scalars", [](json &m) { entry(m, 0)["scalars"] = json::array(); },
       "program[0] (kernel 'test_embed').scalars: 0 scalars, but the kernel takes 1"},
      {"entry scalar type", [](json &m) { entry(m, 0)["scalars"] = {"2"}; },
       "program[0] (kernel 'test_embed').scalars[0]: unknown symbol '2'"},
      {"entry workgroups", [](json &m) { entry(m, 1)["workgroups"] = -4; },
       "program[1] (kernel 'test_add_one').workgroups: -4 is outside"},
      {"entry workgroups symbol", [](json &m) { entry(m, 1)["workgroups"] = "W"; },
       "program[1] (kernel 'test_add_one').workgroups: unknown symbol 'W'"},
      {"view buffer", [](json &m) { entry(m, 1)["args"][0]["buffer"] = 99; },
       "program[1] (kernel 'test_add_one').args[0].buffer: 99 is not a buffer id (11 buffers)"},
      {"view offset", [](json &m) { entry(m, 1)["args"][0]["offset"] = "T"; },
       "program[1] (kernel 'test_add_one').args[0].offset: must be an integer"},
      {"view rank", [](json &m) { entry(m, 1)["args"][0] = viewJson(kHidden, 0, {1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}); },
       "args[0].shape: rank 5 exceeds the maximum view rank 4"},
      {"view strides", [](json &m) { entry(m, 1)["args"][0]["strides"] = {8, 1}; },
       "program[1] (kernel 'test_add_one').args[0].strides: 2 strides for a rank-1 view"},
      {"view negative stride", [](json &m) { entry(m, 1)["args"][0]["strides"] = {-8}; },
       "args[0].strides[0]: -8 is outside"},
      {"view offset overflow", [](json &m) { entry(m, 1)["args"][0]["offset"] = 8; },
       "program[1] (kernel 'test_add_one').args[0]: view (offset 8, shape [T], strides [8]) can exceed "
       "buffer 8 ('hidden') of shape [T, 8]"},
      {"view stride overflow", [](json &m) { entry(m, 0)["args"][2]["strides"] = {9, 1}; },
       "program[0] (kernel 'test_embed').args[2]: view (offset 0, shape [T, 8], strides [9, 1]) can exceed"},
      {"view symbolic on fixed", [](json &m) { entry(m, 0)["args"][0]["shape"] = {"T", 8}; },
       "program[0] (kernel 'test_embed').args[0]: view (offset 0, shape [T, 8], strides [8, 1]) can exceed "
       "buffer 7 ('embed') of shape [8, 8]"},
      {"view fixed too big", [](json &m) { entry(m, 0)["args"][0]["shape"] = {9, 8}; }, "can exceed buffer 7 ('embed')"},
      {"view block table", [](json &m) { entry(m, 2)["args"][4]["strides"] = {"S", 1}; },
       "program[2] (kernel 'test_record').args[4]: view (offset 0, shape [S, MB], strides [S, 1]) can exceed"},
      {"view state", [](json &m) { entry(m, 2)["args"][0]["shape"] = {"NB", 4}; }, "can exceed buffer 9 ('seen')"},
      {"kernel signature", [](json &m) {
         m["program"].push_back(entry(m, 1));
         entry(m, 4)["args"][0] = viewJson(kHidden, 0, {"T", 8}, {8, 1});
       },
       "program[4] (kernel 'test_add_one').args[0]: a rank-2 f32 view, but the kernel is compiled for a rank-1 f32 view"},
      {"kernel dtype", [](json &m) {
         m["program"].push_back(entry(m, 1));
         entry(m, 4)["args"][0] = viewJson(kTokenIds, 0, {"T"}, {1});
       },
       "a rank-1 i32 view, but the kernel is compiled for a rank-1 f32 view"},
      // The kernels' contract: a view smaller than the sizes fixed in a kernel's code, or a
      // workgroup count it was not compiled for, would make it touch memory outside its buffers.
      {"contract size", [](json &m) {
         m["kernels"][0]["args"][0]["shape"] = {8, 16};
       },
       "program[0] (kernel 'test_embed').args[0].shape[1]: '8', but the kernel is compiled for 16"},
      {"contract symbolic size", [](json &m) {
         m["kernels"][0]["args"][2]["shape"] = {8, 8};
       },
       "program[0] (kernel 'test_embed').args[2].shape[0]: 'T', but the kernel is compiled for 8"},
      {"contract workgroups", [](json &m) { entry(m, 0)["workgroups"] = "NB"; },
       "program[0] (kernel 'test_embed').workgroups: 'NB' is not a workgroup count the kernel is compiled for"},
      {"contract missing", [](json &m) { m["kernels"][2].erase("args"); },
       "kernels[2] ('test_record'): missing field 'args'"},
      {"contract arity", [](json &m) { m["kernels"][2]["args"].erase(0); },
       "kernels[2] ('test_record').args: 4 argument contracts for 5 views"},
      {"contract dtype", [](json &m) { m["kernels"][2]["args"][0]["dtype"] = "f64"; },
       "kernels[2] ('test_record').args[0].dtype: unknown dtype 'f64'"},
      {"contract no workgroups", [](json &m) { m["kernels"][2]["workgroups"] = json::array(); },
       "kernels[2] ('test_record').workgroups: must list the kernel's workgroup counts"},
  };
  return list;
}

TEST(Manifest, RejectsEachDefectWithItsMessage) {
  for (const Defect &d : defects()) {
    SCOPED_TRACE(d.what);
    json m = baseManifest();
    d.edit(m);
    try {
      Manifest::parse(m.dump(), kPath);
      ADD_FAILURE() << "accepted; expected: " << d.message;
    } catch (const axe::Error &e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.rfind(std::string(kPath) + ": ", 0), 0u) << msg;
      EXPECT_NE(msg.find(d.message), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

TEST(Manifest, RejectsMalformedJson) {
  try {
    Manifest::parse("{\"format\": ", kPath);
    FAIL();
  } catch (const axe::Error &e) {
    EXPECT_NE(std::string(e.what()).find("malformed JSON"), std::string::npos) << e.what();
  }
  try {
    Manifest::parse("{\"format\": \"axe-artifact\", \"format\": \"x\"}", kPath);
    FAIL();
  } catch (const axe::Error &e) {
    EXPECT_NE(std::string(e.what()).find("key 'format' appears twice"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Manifest::parse("[1, 2]", kPath), axe::Error);
  EXPECT_THROW(Manifest::load("/nonexistent/manifest.json"), axe::Error);
}

} // namespace
