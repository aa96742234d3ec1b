//===- Serve.cpp - axe-run serve: the OpenAI-compatible server ------------===//
//
// Flags as vLLM's `vllm serve` spells them. SIGTERM and SIGINT drain: new requests get 503, those
// in flight finish, then the process exits 0. The handler only writes a byte to a pipe; a thread
// reads it and starts the drain (nothing unsafe runs in the signal handler).
//
//===----------------------------------------------------------------------===//

#include "tools/axe-run/Serve.h"

#include "runtime/Artifact.h"
#include "runtime/serve/Engine.h"
#include "runtime/server/OpenAiServer.h"
#include "support/Error.h"
#include "tools/axe-run/CommandLine.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <unistd.h>

namespace axe::cli {

namespace {

const char *kServeUsage =
    "usage: axe-run serve MODEL.axe [options] [engine options of axe-run --help]\n"
    "  --host H                     address to listen on (default 127.0.0.1)\n"
    "  --port P                     port (default 8000; 0: any free port)\n"
    "  --served-model-name NAME     the model's name in the API (default: the artifact's directory name)\n"
    "  --api-key KEY                require 'Authorization: Bearer KEY' on /v1 routes\n"
    "  --reasoning-parser qwen3     return <think>...</think> as reasoning_content\n"
    "  --enable-auto-tool-choice --tool-call-parser qwen3_coder   parse tool calls\n"
    "  --max-payload-bytes N        largest request body (default 16 MiB)\n";

int signalPipe[2] = {-1, -1};

extern "C" void onSignal(int) {
  char b = 1;
  ssize_t ignored = ::write(signalPipe[1], &b, 1);
  (void)ignored;
}

} // namespace

int runServe(int argc, char **argv) {
  std::string model;
  ServerOptions so;
  EngineFlags engineFlags;
  std::string toolParser;
  bool autoToolChoice = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kServeUsage, stdout);
      return 0;
    }
    if (takeModel(arg, model))
      continue;
    FlagReader r(argc, argv, i);
    if (engineFlags.take(r))
      continue;
    const std::string &f = r.flag;
    if (f == "--host") so.host = r.requireValue();
    else if (f == "--port") so.port = int(parseInt(r.requireValue(), f, 0, 65535));
    else if (f == "--served-model-name") so.modelName = r.requireValue();
    else if (f == "--api-key") so.apiKey = r.requireValue();
    else if (f == "--max-payload-bytes") so.maxPayloadBytes = size_t(parseInt(r.requireValue(), f, 1024, INT32_MAX));
    else if (f == "--reasoning-parser") {
      if (r.requireValue() != "qwen3")
        usageError("--reasoning-parser: only 'qwen3' is supported");
      so.reasoningParser = true;
    } else if (f == "--tool-call-parser") {
      toolParser = r.requireValue();
      if (toolParser != "qwen3_coder")
        usageError("--tool-call-parser: only 'qwen3_coder' is supported");
    } else if (f == "--enable-auto-tool-choice") {
      r.requireNoValue();
      autoToolChoice = true;
    } else {
      usageError("unknown option '" + f + "'");
    }
  }
  if (model.empty())
    usageError("no model directory given");
  if (autoToolChoice != !toolParser.empty())
    usageError("--enable-auto-tool-choice and --tool-call-parser qwen3_coder go together");
  so.toolCallParser = autoToolChoice;
  if (so.modelName.empty())
    so.modelName = std::filesystem::path(model).lexically_normal().filename().string();
  if (so.modelName.empty())
    so.modelName = std::filesystem::path(model).lexically_normal().parent_path().filename().string();

  std::unique_ptr<Artifact> artifact = loadArtifact(model, engineFlags);
  std::optional<Tokenizer> tokenizer;
  std::string tokenizerPath = artifact->dir() + "/tokenizer.json";
  if (std::filesystem::exists(tokenizerPath))
    tokenizer = Tokenizer::load(tokenizerPath);
  Engine engine(*artifact, engineFlags.options());
  OpenAiServer server(engine, tokenizer, so);
  server.bind();

  if (::pipe(signalPipe) != 0)
    throw Error("serve: cannot create the signal pipe");
  std::signal(SIGPIPE, SIG_IGN); // a client that goes away must not kill the server
  struct sigaction sa = {};
  sa.sa_handler = onSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::thread watcher([&server] {
    char b;
    if (::read(signalPipe[0], &b, 1) == 1 && b == 1) {
      std::fprintf(stderr, "axe-run serve: draining: new requests get 503, those in flight finish\n");
      server.drain();
    }
  });

  std::fprintf(stderr, "axe-run serve: %s on http://%s:%d (cache: %s)%s\n", so.modelName.c_str(), so.host.c_str(),
               server.port(), engine.cachePlan().summary().c_str(),
               tokenizer ? "" : "; no tokenizer.json: token-id prompts only");
  std::printf("listening on %s:%d\n", so.host.c_str(), server.port());
  std::fflush(stdout);
  server.serve();
  // Wake the watcher if the server stopped for another reason.
  char b = 0;
  ssize_t ignored = ::write(signalPipe[1], &b, 1);
  (void)ignored;
  watcher.join();
  std::fprintf(stderr, "axe-run serve: stopped\n");
  return 0;
}

} // namespace axe::cli
