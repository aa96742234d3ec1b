//===- Sampler.h - picks the next token from logits -----------*- C++ -*-===//
//
// One sequence's sampler, with the per-request parameters of the OpenAI and vLLM APIs. For each
// step, in this order:
//
//   1. penalties, on a copy of the logits (the caller's are never modified), vLLM semantics:
//      repetition over the prompt and the generated tokens (logit > 0: logit / rp, else
//      logit * rp), then frequency (- fp * times generated) and presence (- pp once generated),
//      over the generated tokens only; computed in double, rounded to f32 once;
//   2. temperature 0: greedy, the argmax of the penalized logits (lowest id on ties); done;
//   3. softmax of penalized logit / temperature, in double, relative to the largest logit;
//   4. top-k: the k most likely (ties: the lower id);
//   5. top-p: the smallest prefix of what top-k left, by descending probability, whose
//      renormalised probability reaches topP;
//   6. min-p: drops tokens whose probability is below minP times the largest one;
//   7. renormalises what is left and draws it, walking the kept tokens by ascending id.
//
// NaN logits are never chosen. When the largest logit is +inf, the +inf logits share all the
// probability equally (the softmax's limit); when every logit is -inf, they are all equally likely.
//
// Deterministic: the RNG is the sequence's own std::mt19937_64, seeded with `seed` (its output is
// fully specified by the standard), and the uniform in [0, 1) is computed here from the top 53 bits
// of one draw rather than by a library distribution. Every non-greedy sample takes exactly one
// draw and greedy takes none, so the same params, seed, prompt and logits give the same tokens,
// whatever else runs.
//
// Reported logprobs are those of the raw logits (before penalties and temperature), as OpenAI and
// vLLM report them.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SAMPLER_H
#define AXE_RUNTIME_SAMPLER_H

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

namespace axe {

// Per-request sampling parameters, as OpenAI/vLLM define them. Error messages name the fields
// as the APIs spell them (top_p, presence_penalty, ...).
struct SamplingParams {
  double temperature = 0.0;       // >= 0, finite; 0: greedy (argmax, lowest id on ties)
  int64_t topK = 0;               // >= 0; 0: no limit
  double topP = 1.0;              // (0, 1]
  double minP = 0.0;              // [0, 1]: drop tokens whose probability < minP * max probability
  double presencePenalty = 0.0;   // [-2, 2], over generated tokens (vLLM semantics)
  double frequencyPenalty = 0.0;  // [-2, 2], over generated tokens
  double repetitionPenalty = 1.0; // > 0, finite; over prompt + generated (logit>0: /rp, else *rp)
  uint64_t seed = 0;
  int64_t logprobs = -1; // -1: none; 0: the chosen token's logprob only; k>0: also the k most
                         // likely (k <= 20)

  // Throws axe::Error("sampling: <field> ...") for any value out of range, NaN and inf included.
  void validate() const;
  // Whether any penalty changes the logits.
  bool hasPenalties() const;
};

constexpr int64_t kMaxLogprobs = 20;

struct TokenLogprob {
  int32_t token;
  float logprob;
};

struct SampledToken {
  int32_t token = -1;
  // Log-softmax of the raw logits (before penalties and temperature); filled when logprobs >= 0.
  float logprob = 0;
  // The `logprobs` most likely tokens of the raw distribution, most likely first (ties: the lower
  // id); fewer when fewer logits are not NaN.
  std::vector<TokenLogprob> top;
};

// One sequence's sampler: owns its RNG and its token history (for the penalties). Used by one
// thread at a time; distinct Samplers share nothing.
class Sampler {
public:
  // Validates `params`; throws axe::Error for a negative prompt id.
  Sampler(const SamplingParams &params, const std::vector<int32_t> &promptIds);

  // Picks the next token from `vocabSize` f32 logits (not modified) and records it as generated.
  // NaN logits are never chosen; throws axe::Error when every logit is NaN, or when a prompt id
  // is not below `vocabSize`.
  SampledToken sample(const float *logits, int64_t vocabSize);

  // The logprob of `token` and the `logprobs` most likely tokens of the raw distribution, as
  // sample() reports them, without drawing or recording anything (prompt logprobs).
  SampledToken score(const float *logits, int64_t vocabSize, int32_t token);

  const SamplingParams &params() const { return params_; }
  // Every token sample() returned, in order.
  const std::vector<int32_t> &generated() const { return generated_; }

private:
  struct Candidate {
    float logit;
    int32_t id;
    double weight; // exp((logit - max) / temperature), where needed
  };
  // Descending logit, then ascending id: the order of top-k, top-p and the logprob list.
  static bool ranksBefore(const Candidate &a, const Candidate &b);
  // candidates_ = the k best of `logits` (fewer when fewer are not NaN), in no particular order.
  void selectBest(const float *logits, int64_t vocabSize, size_t k);
  // The token, from penalized logits; adds to `sumAll` the weights of all tokens when it
  // computes them.
  int32_t draw(const float *logits, int64_t vocabSize, double &sumAll);
  // out.logprob and out.top for out.token; `rawSum` is sum(exp(logit - max)) when already known, else 0.
  void fillLogprobs(const float *logits, int64_t vocabSize, double rawSum, SampledToken &out);

  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<int32_t> generated_;
  int32_t maxPromptId_ = -1;
  // Only with penalties: token -> times generated, plus a 0 for each other prompt token when
  // there is a repetition penalty (which looks at the prompt too).
  std::unordered_map<int32_t, int32_t> counts_;
  // Reused across calls.
  std::vector<float> penalized_;
  std::vector<double> weights_;
  std::vector<Candidate> candidates_;
};

// Applies the penalties of `params` in place to `vocabSize` logits, for a sequence with this
// prompt and these generated tokens (what Sampler does on its copy; exposed for tests). Throws
// axe::Error for an id outside [0, vocabSize).
void applyPenalties(float *logits, int64_t vocabSize, const SamplingParams &params,
                    const std::vector<int32_t> &promptIds, const std::vector<int32_t> &generated);

// Index of the largest logit, the lowest index on ties, NaN skipped; -1 when all are NaN.
int64_t argmax(const float *logits, int64_t n);

} // namespace axe

#endif // AXE_RUNTIME_SAMPLER_H
