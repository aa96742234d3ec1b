//===- OpenAiServer.h - an OpenAI-compatible HTTP server ------*- C++ -*-===//
//
// `axe-run serve`: /v1/completions, /v1/chat/completions, /v1/models, /health, /metrics over
// HTTP/1.1 (cpp-httplib), on the serving engine running on its own thread. Each HTTP request
// becomes engine requests (one per prompt, n completions each); tokens come back as events,
// become text on the connection's thread (whole UTF-8 characters, stop strings held back), and go
// out as one JSON response or as server-sent events ending with `data: [DONE]`.
//
// Every bad request gets a 4xx with OpenAI's error object and the server stays up; a streaming
// client that goes away has its requests cancelled (their memory freed) at the next write. drain()
// refuses new requests with 503, lets those in flight finish, then stops (SIGTERM).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVER_OPENAISERVER_H
#define AXE_RUNTIME_SERVER_OPENAISERVER_H

#include "runtime/serve/Engine.h"
#include "runtime/text/Tokenizer.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace axe {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                   // 0: any free port (see port())
  std::string modelName;             // --served-model-name
  std::string apiKey;                // when set, every /v1 request needs "Authorization: Bearer KEY"
  bool reasoningParser = false;      // --reasoning-parser qwen3
  bool toolCallParser = false;       // --enable-auto-tool-choice --tool-call-parser qwen3_coder
  size_t maxPayloadBytes = 16 << 20; // larger bodies get 413
  int httpThreads = 0;               // 0: 2 x max-num-seqs + 8 (a streaming client holds one)
  int timeoutSeconds = 300;          // socket read/write timeout
};

class OpenAiServer {
public:
  // `tokenizer` may be empty: then only token-id prompts are served (and no chat).
  OpenAiServer(Engine &engine, std::optional<Tokenizer> tokenizer, const ServerOptions &options);
  ~OpenAiServer();
  OpenAiServer(const OpenAiServer &) = delete;
  OpenAiServer &operator=(const OpenAiServer &) = delete;

  // Binds the address; throws axe::Error when it cannot.
  void bind();
  int port() const;
  // Serves until drain() has finished (or stop()); returns then.
  void serve();
  // From now on new requests get 503; returns at once; the server stops when the last request in
  // flight has finished. Safe from any thread (not from a signal handler).
  void drain();

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace axe

#endif // AXE_RUNTIME_SERVER_OPENAISERVER_H
