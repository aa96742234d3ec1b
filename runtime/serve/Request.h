//===- Request.h - what a client asks the engine for, and what it gets back -*- C++ -*-===//
//
// A request is a prompt (token ids), sampling parameters, stop conditions and a number of
// completions n. The engine answers with a stream of events per completion: one per generated
// token (with its logprobs when asked), and a last one that says why the completion finished.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVE_REQUEST_H
#define AXE_RUNTIME_SERVE_REQUEST_H

#include "runtime/Sampler.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace axe {

struct StopConditions {
  // Tokens to generate at most; -1: up to the maximum model length.
  int64_t maxTokens = -1;
  // Ids that end a completion (the token is reported), besides the model's EOS ids.
  std::vector<int32_t> stopTokenIds;
  // Do not stop at the model's EOS ids.
  bool ignoreEos = false;
};

struct Request {
  std::vector<int32_t> promptIds;
  SamplingParams sampling;
  StopConditions stop;
  // Completions of the prompt. They share the prompt's KV blocks; completion i samples with
  // seed `completionSeed(sampling.seed, i)`, so completion 0 is what n = 1 gives.
  int64_t n = 1;
  // Report the raw logits row each token was sampled from (tests, evaluation).
  bool returnLogits = false;
  // Report the logits rows of every prompt position (prompt logprobs, evaluation).
  bool promptLogits = false;
  // Report the recurrent state (CpuDevice::recurrentState) with the completion's last event, as it
  // stands after the last token fed (sensitivity profiling). Not for n > 1.
  bool returnState = false;
};

enum class FinishReason { None, Stop, Length, Cancelled, Error };
const char *finishReasonName(FinishReason reason);

// One event of one completion, delivered on the engine's thread.
struct SequenceEvent {
  uint64_t requestId = 0;
  int64_t index = 0;        // which of the request's n completions
  bool hasToken = false;    // a generated token (with its logprobs when asked)
  SampledToken token;
  // returnLogits: the row `token` was sampled from; promptLogits: rows of prompt positions
  // [firstPromptRow, firstPromptRow + logitRows) before any token.
  std::vector<float> logits;
  int64_t logitRows = 0;
  int64_t firstPromptRow = 0;
  FinishReason finish = FinishReason::None; // not None: the completion's last event
  std::vector<float> recurrentState;        // returnState: with the last event (not on Error)
  std::string error;                        // finish == Error
};

// Called on the engine's thread for every event: it must be quick and must not call back into
// the engine's stepping functions (submit and cancel are fine).
using EventCallback = std::function<void(const SequenceEvent &)>;

// The seed of completion `index` of a request seeded with `seed`; completion 0 keeps `seed`.
uint64_t completionSeed(uint64_t seed, int64_t index);

} // namespace axe

#endif // AXE_RUNTIME_SERVE_REQUEST_H
