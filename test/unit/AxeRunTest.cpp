//===- AxeRunTest.cpp - the axe-run command line on a fixture artifact ----===//

#include "RuntimeTestArtifact.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <filesystem>
#include <iterator>
#include <sys/stat.h>
#include <sys/wait.h>

namespace {

using namespace axe::test;

struct Result {
  int status = -1;
  std::string output; // stdout and stderr
};

Result runAxeRun(const std::string &args) {
  Result r;
  std::string command = std::string(AXE_RUN_PATH) + " " + args + " 2>&1";
  FILE *pipe = ::popen(command.c_str(), "r");
  if (!pipe)
    return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    r.output.append(buf, n);
  int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class AxeRunTest : public ::testing::Test {
protected:
  void SetUp() override { writeArtifact(dir.path(), baseManifest(), baseWeights()); }
  std::string firstLine(const std::string &s) { return s.substr(0, s.find('\n')); }
  TempDir dir;
};

TEST_F(AxeRunTest, GeneratesUntilEos) {
  Result r = runAxeRun(dir.path() + " --prompt-ids 2,3 --max-tokens 10 --threads 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(firstLine(r.output), "4 5 6 7"); // 7 is the fixture's EOS
  EXPECT_NE(r.output.find("prefill: 2 tokens"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("decode: 3 tokens"), std::string::npos) << r.output;

  r = runAxeRun(dir.path() + " --prompt-ids 2,3 --max-tokens 4 --profile");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(firstLine(r.output), "4 5 6 7");
  EXPECT_NE(r.output.find("kernel "), std::string::npos) << r.output; // the table's header
  EXPECT_NE(r.output.find("all kernels"), std::string::npos) << r.output;
  EXPECT_NE(runAxeRun(dir.path() + " --prompt-ids 2 --max-tokens 1 --profile=yes").output.find(
                "--profile takes no value"),
            std::string::npos);

  r = runAxeRun(dir.path() + " --prompt-ids 2,3 --max-tokens 6 --ignore-eos --prefill-chunk 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(firstLine(r.output), "4 5 6 7 0 1");

  r = runAxeRun(dir.path() + " --prompt-ids 2 --max-tokens 3 --temperature 0.7 --seed 5 --top-k 3 --top-p 0.9");
  ASSERT_EQ(r.status, 0) << r.output;
  Result again = runAxeRun(dir.path() + " --prompt-ids 2 --max-tokens 3 --temperature 0.7 --seed 5 --top-k 3 --top-p 0.9");
  EXPECT_EQ(firstLine(r.output), firstLine(again.output));
}

TEST_F(AxeRunTest, DumpsOneLogitsRowPerFedToken) {
  TempDir out;
  std::string npy = out.path() + "/logits.npy";
  Result r = runAxeRun(dir.path() + " --prompt-ids 1,2,3 --max-tokens 3 --prefill-chunk 2 --dump-logits " + npy);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(firstLine(r.output), "4 5 6");
  std::ifstream in(npy, std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(file.size(), 10u);
  size_t headerLength = uint8_t(file[8]) | (uint8_t(file[9]) << 8);
  std::string header = file.substr(10, headerLength);
  // Fed: the prompt 1, 2, 3, then the generated 4 and 5 (not the last, 6).
  EXPECT_NE(header.find("'shape': (5, 8)"), std::string::npos) << header;
  ASSERT_EQ(file.size(), 10 + headerLength + 5 * 8 * sizeof(float));
  const char *data = file.data() + 10 + headerLength;
  int32_t fed[5] = {1, 2, 3, 4, 5};
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 8; ++c) {
      float v;
      std::memcpy(&v, data + (r * 8 + c) * sizeof(float), sizeof v);
      float want = (c == (fed[r] + 1) % 8 ? 2.0f : 0.0f) + (c == 0 ? 1.0f : 0.0f);
      EXPECT_EQ(v, want) << "row " << r << " col " << c;
    }
}

TEST_F(AxeRunTest, BadInputIsOneErrorLine) {
  struct Case {
    std::string args, message;
  } cases[] = {
      {dir.path() + "/missing --prompt-ids 1 --max-tokens 1", "not an artifact directory"},
      {dir.path() + " --prompt-ids 1,8 --max-tokens 1", "--prompt-ids: id 8 (position 1) is not below the vocabulary size 8"},
      {dir.path() + " --prompt-ids 1,,2 --max-tokens 1", "--prompt-ids: '' is not a token id"},
      {dir.path() + " --prompt-ids -1 --max-tokens 1", "--prompt-ids: '-1' is not a token id"},
      {dir.path() + " --prompt-ids 99999999999 --max-tokens 1", "--prompt-ids: 99999999999 is outside"},
      {dir.path() + " --prompt-ids 1", "--max-tokens is required"},
      {dir.path() + " --max-tokens 1", "give either --prompt TEXT or --prompt-ids"},
      {dir.path() + " --prompt hello --max-tokens 1", "the artifact has no tokenizer.json"},
      {dir.path() + " --prompt-ids 1 --stop x --max-tokens 1", "--stop goes with --prompt"},
      {"--prompt-ids 1 --max-tokens 1", "no model directory given"},
      {dir.path() + " --prompt-ids 1 --max-tokens x", "--max-tokens: 'x' is not an integer"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --frobnicate 3", "unknown option '--frobnicate'"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --threads", "--threads needs a value"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --temperature -2", "sampling: temperature must be"},
      {dir.path() + " --prompt-ids 1,2,3 --max-tokens 4 --max-model-len 5", "the prompt has 3 tokens and asks for 4 more: 7 exceeds the maximum model length of 5 (--max-model-len)"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --max-model-len 65", "--max-model-len 65 exceeds the model's max_position_embeddings (64)"},
      // Issue 14 row 20: an absurd --max-tokens names the limit and the flag, not an allocation.
      {dir.path() + " --prompt-ids 1,2 --max-tokens 2147483647", "the prompt has 2 tokens and asks for 2147483647 more: 2147483649 exceeds the maximum model length of 64 (--max-model-len)"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --kv-cache-memory 3Q", "--kv-cache-memory: '3Q' is not a positive size"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --kv-cache-memory 100", "cannot hold 1 state slots"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --max-num-batched-tokens 1", "max-num-batched-tokens (1) must be at least max-num-seqs + 1 (2)"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --top-p 2", "sampling: top_p"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --frobnicate", "unknown option '--frobnicate'"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --dump-logits /nonexistent-dir/x.npy", "/nonexistent-dir/x.npy: cannot create"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --dump-logits " + dir.path() + "/x.npy", "is inside the artifact"},
      {dir.path() + " --prompt-ids 1 --max-tokens 1 --dump-logits " + dir.path() + "/manifest.json", "already exists"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.args);
    Result r = runAxeRun(c.args);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_EQ(r.output.rfind("axe-run: error: ", 0), 0u) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
}

// A FIFO would block the open or the read forever and /dev/zero would never end: each file of an
// artifact must be a regular one, refused with one line naming it otherwise. `timeout` turns a hang
// into a failure (status 124) rather than a stuck test.
TEST(AxeRunSpecialFiles, FifoOrDeviceIsOneErrorLine) {
  struct Case {
    std::string file, kind, what, args;
  } cases[] = {
      {"manifest.json", "fifo", "is a FIFO; an artifact manifest must be a regular file", "--prompt-ids 1"},
      {"manifest.json", "zero", "is a character device; an artifact manifest must be a regular file", "--prompt-ids 1"},
      {"weights.safetensors", "fifo", "regular file", "--prompt-ids 1"},
      {"weights.safetensors", "zero", "regular file", "--prompt-ids 1"},
      {"generation_config.json", "fifo", "is a FIFO; a generation config must be a regular file", "--prompt-ids 1"},
      {"tokenizer.json", "fifo", "is a FIFO; a tokenizer file must be a regular file", "--prompt hello"},
      {"tokenizer.json", "zero", "is a character device; a tokenizer file must be a regular file", "--prompt hello"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.file + " as " + c.kind);
    TempDir dir;
    writeArtifact(dir.path(), baseManifest(), baseWeights());
    std::string path = dir.path() + "/" + c.file;
    std::filesystem::remove(path);
    if (c.kind == "fifo")
      ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    else
      std::filesystem::create_symlink("/dev/zero", path);
    std::string command = "timeout 60 " + std::string(AXE_RUN_PATH) + " " + dir.path() + " " + c.args +
                          " --max-tokens 1 2>&1";
    FILE *pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
      output.append(buf, n);
    int status = ::pclose(pipe);
    ASSERT_TRUE(WIFEXITED(status)) << output;
    EXPECT_EQ(WEXITSTATUS(status), 1) << output; // 124: it hung
    EXPECT_EQ(output.rfind("axe-run: error: " + path + ": ", 0), 0u) << output;
    EXPECT_NE(output.find(c.what), std::string::npos) << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
  }
}

} // namespace
