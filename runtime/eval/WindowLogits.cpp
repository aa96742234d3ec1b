//===- WindowLogits.cpp ---------------------------------------------------===//

#include "runtime/eval/WindowLogits.h"

#include "support/Error.h"

#include <algorithm>
#include <map>
#include <string>

namespace axe {

std::vector<std::vector<float>> windowLogits(Engine &engine, const std::vector<std::vector<int32_t>> &windows,
                                             int64_t rowBegin, int64_t rowEnd) {
  const int64_t V = engine.vocabSize();
  std::vector<std::vector<float>> out(windows.size());
  std::map<uint64_t, size_t> windowOf; // request id -> window
  std::string error;
  for (size_t w = 0; w < windows.size(); ++w) {
    if (rowBegin < 0 || rowEnd > int64_t(windows[w].size()) || rowBegin >= rowEnd)
      throw Error("windowLogits: rows [" + std::to_string(rowBegin) + ", " + std::to_string(rowEnd) +
                  ") are not inside a window of " + std::to_string(windows[w].size()) + " tokens");
    out[w].assign(size_t((rowEnd - rowBegin) * V), 0.0f);
    Request request;
    request.promptIds = windows[w];
    request.promptLogits = true;
    request.stop.maxTokens = 1; // the prompt's rows are all that is wanted
    request.stop.ignoreEos = true;
    request.sampling = SamplingParams{}; // greedy: the sampled token is not used
    uint64_t id = engine.submit(std::move(request), [&, rowBegin, rowEnd, V](const SequenceEvent &ev) {
      if (ev.finish == FinishReason::Error && error.empty())
        error = ev.error;
      if (ev.hasToken || ev.logitRows == 0)
        return;
      std::vector<float> &rows = out[windowOf.at(ev.requestId)];
      int64_t first = std::max(ev.firstPromptRow, rowBegin);
      int64_t last = std::min(ev.firstPromptRow + ev.logitRows, rowEnd);
      for (int64_t p = first; p < last; ++p)
        std::copy_n(ev.logits.data() + (p - ev.firstPromptRow) * V, V, rows.data() + (p - rowBegin) * V);
    });
    windowOf[id] = w;
  }
  engine.runUntilIdle();
  if (!error.empty())
    throw Error(error);
  return out;
}

} // namespace axe
