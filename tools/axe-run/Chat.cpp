//===- Chat.cpp - axe-run chat: an interactive terminal chat --------------===//
//
// A line of input is a user turn; the reply streams as it is generated: the model's thinking dimmed
// (or hidden with --hide-thinking, or off with --no-thinking), then the answer. The history is
// kept and rendered with the native chat format each turn. Ctrl-C during a reply stops that reply
// (the request is cancelled, what was said stays in the history); Ctrl-C at the prompt clears the
// line; Ctrl-D (end of input) or /exit ends the chat.
//
//===----------------------------------------------------------------------===//

#include "tools/axe-run/Chat.h"

#include "runtime/Artifact.h"
#include "runtime/serve/Engine.h"
#include "runtime/server/TextStream.h"
#include "runtime/text/ChatFormat.h"
#include "runtime/text/OutputParser.h"
#include "runtime/text/Tokenizer.h"
#include "support/Error.h"
#include "tools/axe-run/CommandLine.h"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>
#include <unistd.h>

namespace axe::cli {

namespace {

const char *kChatUsage =
    "usage: axe-run chat MODEL.axe [options] [sampling and engine options of axe-run --help]\n"
    "  --system TEXT        a system prompt\n"
    "  --no-thinking        ask for an answer without thinking (enable_thinking = false)\n"
    "  --hide-thinking      think, but do not show the thinking\n"
    "  --max-tokens N       longest reply (default: what the context leaves)\n"
    "Type a message and Enter. Ctrl-C stops a reply; Ctrl-D or /exit ends the chat.\n";

std::atomic<bool> interrupted{false};

extern "C" void onInterrupt(int) { interrupted = true; }

// One line from standard input without the newline; false at the end of input. Ctrl-C while
// typing discards the line and asks again.
bool readLine(std::string &line) {
  line.clear();
  for (;;) {
    char c;
    ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n == 1) {
      if (c == '\n')
        return true;
      line += c;
      continue;
    }
    if (n < 0 && errno == EINTR && interrupted.exchange(false)) {
      line.clear();
      std::fputs("^C\n> ", stdout);
      std::fflush(stdout);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return !line.empty(); // end of input: the last line, if unterminated
  }
}

} // namespace

int runChat(int argc, char **argv) {
  std::string model, system;
  bool thinking = true, showThinking = true;
  int64_t maxTokens = -1;
  SamplingFlags sampling;
  EngineFlags engineFlags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kChatUsage, stdout);
      return 0;
    }
    if (takeModel(arg, model))
      continue;
    FlagReader r(argc, argv, i);
    if (sampling.take(r) || engineFlags.take(r))
      continue;
    if (r.flag == "--system")
      system = r.requireValue();
    else if (r.flag == "--no-thinking")
      r.requireNoValue(), thinking = false;
    else if (r.flag == "--hide-thinking")
      r.requireNoValue(), showThinking = false;
    else if (r.flag == "--max-tokens")
      maxTokens = parseInt(r.requireValue(), r.flag, 1, INT32_MAX);
    else
      usageError("unknown option '" + r.flag + "'");
  }
  if (model.empty())
    usageError("no model directory given");

  std::unique_ptr<Artifact> artifact = loadArtifact(model, engineFlags);
  std::string tokenizerPath = artifact->dir() + "/tokenizer.json";
  if (!std::filesystem::exists(tokenizerPath))
    throw Error(model + ": the artifact has no tokenizer.json (its checkpoint had none): chat needs one");
  Tokenizer tokenizer = Tokenizer::load(tokenizerPath);
  EngineOptions engineOptions = engineFlags.options();
  engineOptions.maxNumSeqs = 1;
  Engine engine(*artifact, engineOptions);
  SamplingParams params = sampling.apply(engine.defaultSampling());
  engine.start();

  struct sigaction sa = {};
  sa.sa_handler = onInterrupt; // no SA_RESTART: a blocked read returns EINTR
  sigaction(SIGINT, &sa, nullptr);
  bool tty = ::isatty(STDOUT_FILENO);
  const char *dim = tty ? "\x1b[2m" : "", *plain = tty ? "\x1b[0m" : "";

  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!system.empty())
    messages.push_back({{"role", "system"}, {"content", system}});
  std::fprintf(stderr, "axe-run chat: %s (Ctrl-C stops a reply; Ctrl-D or /exit ends)\n", model.c_str());
  std::string line;
  for (;;) {
    std::fputs("> ", stdout);
    std::fflush(stdout);
    if (!readLine(line) || line == "/exit")
      break;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    messages.push_back({{"role", "user"}, {"content", line}});
    ChatFormatOptions format;
    format.enableThinking = thinking;
    Request request;
    request.promptIds = tokenizer.encode(formatChat(messages, nullptr, format), /*allowSpecial=*/true);
    request.sampling = params;
    request.stop.maxTokens = maxTokens;
    params.seed = completionSeed(params.seed, 1); // a new draw each turn

    std::mutex mutex;
    std::condition_variable cv;
    std::deque<SequenceEvent> events;
    uint64_t id;
    try {
      id = engine.submit(request, [&](const SequenceEvent &ev) {
        std::lock_guard<std::mutex> lock(mutex);
        events.push_back(ev);
        cv.notify_one();
      });
    } catch (const Error &e) {
      std::fprintf(stderr, "axe-run chat: %s\n", e.what());
      messages.erase(messages.end() - 1);
      continue;
    }
    OutputParserOptions parsing;
    parsing.reasoning = true;
    parsing.startsInReasoning = thinking;
    OutputParser parser(parsing);
    TextStream text(tokenizer, {});
    std::string reasoning, content;
    bool inThinking = false, done = false, cancelled = false;
    auto show = [&](const OutputDelta &d) {
      reasoning += d.reasoning;
      content += d.content;
      if (!d.reasoning.empty() && showThinking) {
        std::fputs(inThinking ? "" : dim, stdout);
        inThinking = true;
        std::fwrite(d.reasoning.data(), 1, d.reasoning.size(), stdout);
      }
      if (!d.content.empty()) {
        if (inThinking)
          std::fputs(plain, stdout), std::fputs("\n", stdout);
        inThinking = false;
        std::fwrite(d.content.data(), 1, d.content.size(), stdout);
      }
      std::fflush(stdout);
    };
    interrupted = false;
    while (!done) {
      std::deque<SequenceEvent> batch;
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return !events.empty(); });
        batch.swap(events);
      }
      if (interrupted.exchange(false) && !cancelled) {
        engine.cancel(id);
        cancelled = true;
      }
      for (const SequenceEvent &ev : batch) {
        if (ev.hasToken && ev.finish != FinishReason::Stop)
          show(parser.feed(text.push(ev.token.token)));
        if (ev.finish != FinishReason::None) {
          show(parser.feed(text.finish()));
          show(parser.finish());
          done = true;
          if (ev.finish == FinishReason::Error)
            std::fprintf(stderr, "\naxe-run chat: %s", ev.error.c_str());
          if (ev.finish == FinishReason::Cancelled)
            std::fputs(" [stopped]", stdout);
          if (ev.finish == FinishReason::Length)
            std::fputs(" [max tokens]", stdout);
        }
      }
    }
    std::fputs(inThinking ? plain : "", stdout);
    std::fputs("\n", stdout);
    nlohmann::ordered_json reply = {{"role", "assistant"}, {"content", content}};
    if (!reasoning.empty())
      reply["reasoning_content"] = reasoning;
    messages.push_back(reply);
  }
  std::fputs("\n", stdout);
  engine.stop();
  return 0;
}

} // namespace axe::cli
