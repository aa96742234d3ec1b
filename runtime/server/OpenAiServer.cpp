//===- OpenAiServer.cpp - an OpenAI-compatible HTTP server ----------------===//

#include "runtime/server/OpenAiServer.h"

#include "runtime/server/ApiRequest.h"
#include "runtime/server/Metrics.h"
#include "runtime/server/TextStream.h"
#include "runtime/text/ChatFormat.h"
#include "runtime/text/OutputParser.h"
#include "support/Error.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <sys/socket.h>
#include <thread>

namespace axe {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// Output of a model is arbitrary bytes: never let a lone byte of a UTF-8 character fail a response.
std::string dumpJson(const json &j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

int64_t unixTime() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string randomId(const char *prefix) {
  static std::mutex mutex;
  static std::mt19937_64 rng(std::random_device{}());
  std::lock_guard<std::mutex> lock(mutex);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s-%016llx", prefix, (unsigned long long)rng());
  return buf;
}

const char *finishName(FinishReason r) {
  switch (r) {
  case FinishReason::Stop: return "stop";
  case FinishReason::Length: return "length";
  case FinishReason::Cancelled: return "abort";
  case FinishReason::Error: return "error";
  case FinishReason::None: break;
  }
  return nullptr;
}

// One choice of a response, as the connection's thread builds it.
struct Choice {
  std::unique_ptr<TextStream> text;
  std::vector<SampledToken> sampled;
  std::string finish; // empty while generating
  std::string error;
  bool startedAt = false;
  Clock::time_point arrival, lastToken;
};

// The engine requests of one HTTP request, and the events they deliver (on the engine's thread).
struct Job {
  struct Event {
    int64_t choice;
    SequenceEvent event;
  };
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Event> events;
  std::vector<uint64_t> ids;

  EventCallback callback(int64_t first) {
    return [this, first](const SequenceEvent &ev) {
      std::lock_guard<std::mutex> lock(mutex);
      events.push_back({first + ev.index, ev});
      cv.notify_one();
    };
  }
  std::deque<Event> take(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait_for(lock, timeout, [this] { return !events.empty(); });
    std::deque<Event> out;
    out.swap(events);
    return out;
  }
};

} // namespace

struct OpenAiServer::Impl {
  Engine &engine;
  std::optional<Tokenizer> tokenizer;
  ServerOptions options;
  ApiLimits limits;
  Metrics metrics;
  httplib::Server http;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> inflight{0};
  std::thread drainer;
  int port = -1;

  Impl(Engine &e, std::optional<Tokenizer> t, const ServerOptions &o) : engine(e), tokenizer(std::move(t)), options(o) {
    limits.modelName = options.modelName;
    limits.maxN = e.cachePlan().numSlots;
    limits.vocabSize = e.vocabSize();
    limits.defaults = e.defaultSampling();
    if (limits.defaults.temperature == 0.0 && !e.generationConfig().present)
      limits.defaults.temperature = 1.0; // OpenAI's default when the model sets none
    routes();
  }

  // RAII count of requests in flight, for drain().
  struct InFlight {
    Impl *impl;
    explicit InFlight(Impl *i) : impl(i) { ++impl->inflight; }
    ~InFlight() { --impl->inflight; }
  };

  void fail(httplib::Response &res, const ApiError &e) {
    metrics.httpError(e.status);
    res.status = e.status;
    res.set_content(dumpJson(e.body()), "application/json");
  }

  json parseBody(const httplib::Request &req) {
    std::string type = req.get_header_value("Content-Type");
    if (type.find("application/json") == std::string::npos)
      throw ApiError(415, "the body must be JSON, sent with 'Content-Type: application/json'");
    try {
      return json::parse(req.body);
    } catch (const json::exception &e) {
      throw ApiError(400, std::string("the body is not valid JSON: ") + e.what());
    }
  }

  // The bytes of one token for logprobs; an id no token stands for (padding) is shown as such.
  std::string tokenText(int32_t id) const {
    if (!tokenizer)
      return std::to_string(id);
    try {
      return std::string(tokenizer->tokenBytes(id));
    } catch (const Error &) {
      return "<unused " + std::to_string(id) + ">";
    }
  }

  // Submits one engine request per prompt; choices are numbered prompt * n + completion.
  std::shared_ptr<Job> submit(const std::vector<std::vector<int32_t>> &prompts, const GenerationParams &gen,
                              bool promptLogits) {
    auto job = std::make_shared<Job>();
    for (size_t p = 0; p < prompts.size(); ++p) {
      Request r;
      r.promptIds = prompts[p];
      r.sampling = gen.sampling;
      r.stop = gen.stop;
      r.n = gen.n;
      r.promptLogits = promptLogits;
      try {
        // The callback keeps the job alive for events that arrive after the connection is gone.
        EventCallback inner = job->callback(int64_t(p) * gen.n);
        job->ids.push_back(engine.submit(std::move(r), [job, inner](const SequenceEvent &ev) { inner(ev); }));
      } catch (const Error &e) {
        cancel(*job);
        throw ApiError(400, e.what(), "prompt");
      }
      metrics.promptTokens(int64_t(prompts[p].size()));
    }
    return job;
  }

  void cancel(const Job &job) {
    for (uint64_t id : job.ids)
      engine.cancel(id);
  }

  // Applies one event to its choice: the text it adds (possibly empty); `finished` when the
  // choice just ended. A stop string ends the completion in the engine too.
  std::string apply(const Job &job, Choice &c, const Job::Event &e, int64_t n, bool &finished) {
    finished = false;
    if (!c.finish.empty())
      return ""; // ended by a stop string; the engine's last events for it follow
    std::string delta;
    const SequenceEvent &ev = e.event;
    if (ev.hasToken) {
      Clock::time_point now = Clock::now();
      if (c.startedAt)
        metrics.interTokenLatency(std::chrono::duration<double>(now - c.lastToken).count());
      else
        metrics.timeToFirstToken(std::chrono::duration<double>(now - c.arrival).count());
      c.startedAt = true;
      c.lastToken = now;
      metrics.generatedTokens(1);
      c.sampled.push_back(ev.token);
      // The token that stops a completion (an EOS or stop id) is not part of its text (OpenAI).
      if (c.text && ev.finish != FinishReason::Stop) {
        delta = c.text->push(ev.token.token);
        if (c.text->stopped()) {
          c.finish = "stop";
          engine.finishCompletion(job.ids[size_t(e.choice / n)], ev.index, FinishReason::Stop);
          finished = true;
          return delta;
        }
      }
    }
    if (ev.finish != FinishReason::None) {
      if (c.text)
        delta += c.text->finish();
      c.finish = finishName(ev.finish);
      c.error = ev.error;
      finished = true;
    }
    return delta;
  }

  // Runs the job to its end on this thread; `handle` sees every event.
  void collect(Job &job, size_t numChoices, const std::function<bool(const Job::Event &)> &handle) {
    size_t done = 0;
    while (done < numChoices)
      for (const Job::Event &e : job.take(std::chrono::milliseconds(1000)))
        done += handle(e) ? 1 : 0;
  }

  // Streams the job as server-sent events: `head` chunks first, then `handle`'s chunks for every
  // event (it says when a choice ended), then the `tail` chunks and [DONE]. A client that goes
  // away (a failed write; idle connections get a keep-alive comment every second) has its
  // requests cancelled.
  void stream(httplib::Response &res, std::shared_ptr<Job> job, size_t numChoices, std::function<std::vector<json>()> head,
              std::function<std::vector<json>(const Job::Event &, bool &)> handle,
              std::function<std::vector<json>()> tail) {
    ++inflight; // the provider runs after the handler returns; the releaser gives it back
    res.set_chunked_content_provider(
        "text/event-stream",
        [=, this](size_t, httplib::DataSink &sink) {
          try {
            return streamBody(sink, *job, numChoices, head, handle, tail);
          } catch (const std::exception &e) {
            // Never let a failure take the server down: an error event, then the end.
            cancel(*job);
            json error = ApiError(500, std::string("internal error: ") + e.what(), "", "server_error").body();
            std::string line = "data: " + dumpJson(error) + "\n\ndata: [DONE]\n\n";
            sink.write(line.data(), line.size());
            sink.done();
            return true;
          }
        },
        [this, job](bool success) {
          if (!success)
            cancel(*job);
          --inflight;
        });
  }

  // The body of stream(): false when the client went away (its requests are then cancelled).
  bool streamBody(httplib::DataSink &sink, Job &job, size_t numChoices,
                  const std::function<std::vector<json>()> &head,
                  const std::function<std::vector<json>(const Job::Event &, bool &)> &handle,
                  const std::function<std::vector<json>()> &tail) {
    auto send = [&](const std::vector<json> &chunks) {
      for (const json &c : chunks) {
        std::string line = "data: " + dumpJson(c) + "\n\n";
        if (!sink.write(line.data(), line.size()))
          return false;
      }
      return true;
    };
    if (!send(head()))
      return cancel(job), false;
    size_t done = 0;
    while (done < numChoices) {
      std::deque<Job::Event> events = job.take(std::chrono::milliseconds(1000));
      if (events.empty() && !sink.write(": keep-alive\n\n", 14))
        return cancel(job), false;
      for (const Job::Event &e : events) {
        bool finished = false;
        if (!send(handle(e, finished)))
          return cancel(job), false;
        done += finished ? 1 : 0;
      }
    }
    if (!send(tail()) || !sink.write("data: [DONE]\n\n", 14))
      return cancel(job), false;
    sink.done();
    return true;
  }

  static json usage(int64_t prompt, int64_t completion) {
    return {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
  }

  // The last chunk of a stream with stream_options.include_usage (none without it).
  std::vector<json> usageChunk(const GenerationParams &gen, const std::string &id, const char *object, int64_t created,
                               int64_t promptTokens, const std::vector<Choice> &choices) const {
    if (!gen.includeUsage)
      return {};
    int64_t generated = 0;
    for (const Choice &c : choices)
      generated += int64_t(c.sampled.size());
    return {{{"id", id}, {"object", object}, {"created", created}, {"model", limits.modelName},
             {"choices", json::array()}, {"usage", usage(promptTokens, generated)}}};
  }

  std::vector<Choice> makeChoices(size_t count, const std::vector<std::string> &stops) {
    std::vector<Choice> choices(count);
    for (Choice &c : choices) {
      c.arrival = Clock::now();
      if (tokenizer)
        c.text = std::make_unique<TextStream>(*tokenizer, stops);
    }
    return choices;
  }

  // The logprobs object of a completion choice (OpenAI's legacy format).
  json completionLogprobs(const std::vector<SampledToken> &tokens) const {
    json out = {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()},
                {"text_offset", json::array()}};
    size_t offset = 0;
    for (const SampledToken &t : tokens) {
      std::string piece = tokenText(t.token);
      out["tokens"].push_back(piece);
      out["text_offset"].push_back(offset);
      offset += piece.size();
      out["token_logprobs"].push_back(t.logprob);
      json top = json::object();
      for (const TokenLogprob &lp : t.top)
        top[tokenText(lp.token)] = lp.logprob;
      out["top_logprobs"].push_back(top);
    }
    return out;
  }

  void completions(const httplib::Request &req, httplib::Response &res) {
    InFlight guard(this);
    CompletionApiRequest api = parseCompletionRequest(parseBody(req), limits);
    std::vector<std::vector<int32_t>> prompts = api.idPrompts;
    if (!api.textPrompts.empty()) {
      if (!tokenizer)
        throw ApiError(400, "this artifact has no tokenizer.json: send token ids as the prompt", "prompt");
      for (const std::string &t : api.textPrompts)
        prompts.push_back(tokenizer->encode(t, /*allowSpecial=*/true));
    }
    if (!api.gen.stopStrings.empty() && !tokenizer)
      throw ApiError(400, "stop strings need the artifact's tokenizer.json", "stop");
    int64_t n = api.gen.n;
    size_t numChoices = prompts.size() * size_t(n);
    int64_t promptTokens = 0;
    for (const auto &p : prompts)
      promptTokens += int64_t(p.size());
    std::shared_ptr<Job> job = submit(prompts, api.gen, api.echo && api.logprobs >= 0);
    auto choices = std::make_shared<std::vector<Choice>>(makeChoices(numChoices, api.gen.stopStrings));
    // echo with logprobs: row i of a prompt scores its token i + 1; the first token has none.
    auto promptScores = std::make_shared<std::vector<std::vector<SampledToken>>>(prompts.size());
    std::string id = randomId("cmpl"), model = limits.modelName;
    int64_t created = unixTime();
    auto promptText = [this, api, prompts](size_t p) -> std::string {
      return p < api.textPrompts.size() ? api.textPrompts[p] : tokenizer ? tokenizer->decode(prompts[p]) : "";
    };
    SamplingParams scoring;
    scoring.logprobs = api.logprobs;
    // Applies an event; the text it adds; `finished` when its choice ended.
    auto handle = [=, this](const Job::Event &e, bool &finished) -> std::string {
      const SequenceEvent &ev = e.event;
      finished = false;
      if (!ev.hasToken && ev.logitRows > 0) {
        size_t p = size_t(e.choice / n);
        Sampler scorer(scoring, {});
        for (int64_t r = 0; r < ev.logitRows; ++r) {
          int64_t next = ev.firstPromptRow + r + 1;
          if (next < int64_t(prompts[p].size()))
            (*promptScores)[p].push_back(
                scorer.score(ev.logits.data() + r * engine.vocabSize(), engine.vocabSize(), prompts[p][size_t(next)]));
        }
        return "";
      }
      return apply(*job, (*choices)[size_t(e.choice)], e, n, finished);
    };
    auto chunk = [id, created, model](size_t i, const std::string &text, const json &finish) {
      return json{{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", model},
                  {"choices", json::array({{{"index", i}, {"text", text}, {"logprobs", nullptr},
                                            {"finish_reason", finish}}})}};
    };

    if (api.gen.stream) {
      stream(
          res, job, numChoices,
          [=]() {
            std::vector<json> out;
            for (size_t i = 0; api.echo && i < numChoices; ++i)
              out.push_back(chunk(i, promptText(i / size_t(n)), nullptr));
            return out;
          },
          [=, this](const Job::Event &e, bool &finished) {
            std::string delta = handle(e, finished);
            const Choice &c = (*choices)[size_t(e.choice)];
            if (finished)
              metrics.requestFinished(c.finish);
            if (delta.empty() && !finished)
              return std::vector<json>{};
            return std::vector<json>{chunk(size_t(e.choice), delta, finished ? json(c.finish) : json(nullptr))};
          },
          [=]() { return usageChunk(api.gen, id, "text_completion", created, promptTokens, *choices); });
      return;
    }

    collect(*job, numChoices, [&](const Job::Event &e) {
      bool finished = false;
      handle(e, finished);
      return finished;
    });
    json list = json::array();
    int64_t generated = 0;
    for (size_t i = 0; i < numChoices; ++i) {
      Choice &c = (*choices)[i];
      if (c.finish == "error")
        throw ApiError(500, "generation failed: " + c.error, "", "server_error");
      metrics.requestFinished(c.finish);
      generated += int64_t(c.sampled.size());
      size_t p = i / size_t(n);
      json logprobs = nullptr;
      if (api.logprobs >= 0) {
        std::vector<SampledToken> all;
        if (api.echo) {
          SampledToken first;
          first.token = prompts[p][0];
          all.push_back(first);
          all.insert(all.end(), (*promptScores)[p].begin(), (*promptScores)[p].end());
        }
        all.insert(all.end(), c.sampled.begin(), c.sampled.end());
        logprobs = completionLogprobs(all);
        if (api.echo) { // the first prompt token has no logprob
          logprobs["token_logprobs"][0] = nullptr;
          logprobs["top_logprobs"][0] = nullptr;
        }
      }
      std::string text = (api.echo ? promptText(p) : "") + (c.text ? c.text->text() : "");
      list.push_back({{"index", i}, {"text", text}, {"logprobs", logprobs}, {"finish_reason", c.finish}});
    }
    res.set_content(dumpJson({{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", model},
                              {"choices", list}, {"usage", usage(promptTokens, generated)}}),
                    "application/json");
  }

  // One token of chat logprobs: {"token", "logprob", "bytes", "top_logprobs"}.
  json chatLogprob(const SampledToken &t) const {
    auto entry = [this](int32_t token, float logprob) {
      std::string text = tokenText(token);
      json bytes = json::array();
      for (unsigned char b : text)
        bytes.push_back(int(b));
      return json{{"token", text}, {"logprob", logprob}, {"bytes", bytes}};
    };
    json e = entry(t.token, t.logprob);
    e["top_logprobs"] = json::array();
    for (const TokenLogprob &lp : t.top)
      e["top_logprobs"].push_back(entry(lp.token, lp.logprob));
    return e;
  }

  void chat(const httplib::Request &req, httplib::Response &res) {
    InFlight guard(this);
    ChatApiRequest api = parseChatRequest(parseBody(req), limits);
    if (!tokenizer)
      throw ApiError(400, "this artifact has no tokenizer.json, which chat needs (use /v1/completions with token ids)");
    // Key order matters to the prompt (tool schemas, arguments): read the body again, ordered.
    nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(req.body);
    bool withTools = !api.tools.is_null() && !api.tools.empty() && api.toolChoice != "none";
    std::string prompt;
    try {
      ChatFormatOptions format;
      format.enableThinking = api.enableThinking;
      prompt = formatChat(ordered["messages"], withTools ? ordered["tools"] : nlohmann::ordered_json(nullptr), format);
    } catch (const Error &e) {
      throw ApiError(400, e.what(), "messages");
    }
    std::vector<std::vector<int32_t>> prompts = {tokenizer->encode(prompt, /*allowSpecial=*/true)};
    int64_t n = api.gen.n;
    size_t numChoices = size_t(n);
    int64_t promptTokens = int64_t(prompts[0].size());
    std::shared_ptr<Job> job = submit(prompts, api.gen, false);
    auto choices = std::make_shared<std::vector<Choice>>(makeChoices(numChoices, api.gen.stopStrings));
    OutputParserOptions parsing;
    parsing.reasoning = options.reasoningParser;
    parsing.startsInReasoning = api.enableThinking;
    if (options.toolCallParser && withTools) {
      parsing.tools = api.tools;
      parsing.toolCallEndsReasoning = true; // the model may call a tool without closing its thinking
    }
    auto parsers = std::make_shared<std::vector<OutputParser>>(numChoices, OutputParser(parsing));
    std::string id = randomId("chatcmpl"), model = limits.modelName;
    int64_t created = unixTime();
    auto finishReason = [parsers](size_t i, const Choice &c) {
      return c.finish == "stop" && !(*parsers)[i].toolCalls().empty() ? std::string("tool_calls") : c.finish;
    };

    if (api.gen.stream) {
      auto chunk = [id, created, model](size_t i, const json &delta, const json &finish) {
        return json{{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model},
                    {"choices", json::array({{{"index", i}, {"delta", delta}, {"logprobs", nullptr},
                                              {"finish_reason", finish}}})}};
      };
      stream(
          res, job, numChoices,
          [=]() {
            std::vector<json> out;
            for (size_t i = 0; i < numChoices; ++i)
              out.push_back(chunk(i, {{"role", "assistant"}, {"content", ""}}, nullptr));
            return out;
          },
          [=, this](const Job::Event &e, bool &finished) {
            size_t i = size_t(e.choice);
            Choice &c = (*choices)[i];
            std::string text = apply(*job, c, e, n, finished);
            OutputParser &parser = (*parsers)[i];
            std::vector<OutputDelta> deltas;
            if (!text.empty())
              deltas.push_back(parser.feed(text));
            if (finished)
              deltas.push_back(parser.finish());
            std::vector<json> out;
            for (const OutputDelta &d : deltas) {
              if (!d.reasoning.empty())
                out.push_back(chunk(i, {{"reasoning_content", d.reasoning}}, nullptr));
              if (!d.content.empty())
                out.push_back(chunk(i, {{"content", d.content}}, nullptr));
              if (!d.toolCalls.empty()) {
                json calls = json::array();
                for (const ToolCallDelta &t : d.toolCalls)
                  calls.push_back(json::parse(t.toJson().dump()));
                out.push_back(chunk(i, {{"tool_calls", calls}}, nullptr));
              }
            }
            if (finished) {
              metrics.requestFinished(c.finish);
              out.push_back(chunk(i, json::object(), finishReason(i, c)));
            }
            return out;
          },
          [=]() { return usageChunk(api.gen, id, "chat.completion.chunk", created, promptTokens, *choices); });
      return;
    }

    collect(*job, numChoices, [&](const Job::Event &e) {
      bool finished = false;
      apply(*job, (*choices)[size_t(e.choice)], e, n, finished);
      return finished;
    });
    json list = json::array();
    int64_t generated = 0;
    for (size_t i = 0; i < numChoices; ++i) {
      Choice &c = (*choices)[i];
      if (c.finish == "error")
        throw ApiError(500, "generation failed: " + c.error, "", "server_error");
      generated += int64_t(c.sampled.size());
      ParsedOutput parsed = OutputParser::parse(c.text->text(), parsing);
      json message = {{"role", "assistant"}};
      message["content"] = parsed.content.empty() && !parsed.toolCalls.empty() ? json(nullptr) : json(parsed.content);
      if (options.reasoningParser)
        message["reasoning_content"] = parsed.reasoning.empty() ? json(nullptr) : json(parsed.reasoning);
      if (!parsed.toolCalls.empty()) {
        message["tool_calls"] = json::array();
        for (const ToolCall &t : parsed.toolCalls)
          message["tool_calls"].push_back(json::parse(t.toJson().dump()));
      }
      json logprobs = nullptr;
      if (api.logprobs) {
        logprobs = {{"content", json::array()}};
        for (const SampledToken &t : c.sampled)
          logprobs["content"].push_back(chatLogprob(t));
      }
      metrics.requestFinished(c.finish);
      std::string finish = c.finish == "stop" && !parsed.toolCalls.empty() ? "tool_calls" : c.finish;
      list.push_back({{"index", i}, {"message", message}, {"logprobs", logprobs}, {"finish_reason", finish}});
    }
    res.set_content(dumpJson({{"id", id}, {"object", "chat.completion"}, {"created", created}, {"model", model},
                              {"choices", list}, {"usage", usage(promptTokens, generated)}}),
                    "application/json");
  }

  void routes() {
    http.set_pre_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
      if (draining && req.path != "/metrics") {
        fail(res, ApiError(503, "the server is shutting down", "", "service_unavailable"));
        return httplib::Server::HandlerResponse::Handled;
      }
      if (!options.apiKey.empty() && req.path.rfind("/v1/", 0) == 0 &&
          req.get_header_value("Authorization") != "Bearer " + options.apiKey) {
        fail(res, ApiError(401, "a valid API key is required ('Authorization: Bearer ...')", "",
                           "authentication_error"));
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    auto guarded = [this](void (Impl::*handler)(const httplib::Request &, httplib::Response &)) {
      return [this, handler](const httplib::Request &req, httplib::Response &res) {
        try {
          (this->*handler)(req, res);
        } catch (const ApiError &e) {
          fail(res, e);
        } catch (const std::exception &e) {
          fail(res, ApiError(500, std::string("internal error: ") + e.what(), "", "server_error"));
        }
      };
    };
    http.Post("/v1/completions", guarded(&Impl::completions));
    http.Post("/v1/chat/completions", guarded(&Impl::chat));
    http.Get("/v1/models", [this](const httplib::Request &, httplib::Response &res) {
      json m = {{"id", limits.modelName}, {"object", "model"}, {"created", unixTime()}, {"owned_by", "axe"},
                {"max_model_len", engine.maxModelLen()}};
      res.set_content(dumpJson({{"object", "list"}, {"data", json::array({m})}}), "application/json");
    });
    http.Get("/health", [](const httplib::Request &, httplib::Response &res) { res.set_content("{}", "application/json"); });
    http.Get("/metrics", [this](const httplib::Request &, httplib::Response &res) {
      res.set_content(metrics.render(engine.stats(), limits.modelName), "text/plain; version=0.0.4");
    });
    http.set_error_handler([this](const httplib::Request &req, httplib::Response &res) {
      if (!res.body.empty())
        return;
      std::string message = res.status == 404   ? "no route " + req.method + " " + req.path
                            : res.status == 413 ? "the body exceeds the limit of " +
                                                      std::to_string(options.maxPayloadBytes) + " bytes"
                                                : "HTTP error " + std::to_string(res.status);
      fail(res, ApiError(res.status, message));
    });
    http.set_payload_max_length(options.maxPayloadBytes);
    http.set_read_timeout(options.timeoutSeconds, 0);
    http.set_write_timeout(options.timeoutSeconds, 0);
    int threads = options.httpThreads > 0 ? options.httpThreads : int(2 * limits.maxN + 8);
    http.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  }
};

OpenAiServer::OpenAiServer(Engine &engine, std::optional<Tokenizer> tokenizer, const ServerOptions &options)
    : impl_(std::make_unique<Impl>(engine, std::move(tokenizer), options)) {}

OpenAiServer::~OpenAiServer() {
  impl_->http.stop();
  if (impl_->drainer.joinable())
    impl_->drainer.join();
}

void OpenAiServer::bind() {
  const ServerOptions &o = impl_->options;
  // cpp-httplib listens with a backlog of 5 (compiled into Debian's library): 64 clients that
  // connect at once overflow it and some get reset. Keep the listening socket to widen it.
  int listening = -1;
  impl_->http.set_socket_options([&listening](socket_t sock) {
    httplib::default_socket_options(sock);
    listening = sock;
  });
  int port = o.port == 0 ? impl_->http.bind_to_any_port(o.host) : (impl_->http.bind_to_port(o.host, o.port) ? o.port : -1);
  impl_->http.set_socket_options(httplib::default_socket_options);
  if (port < 0)
    throw Error("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (in use, or not an address here)");
  if (listening >= 0 && ::listen(listening, SOMAXCONN) != 0)
    throw Error("cannot widen the listen backlog of " + o.host + ":" + std::to_string(port));
  impl_->port = port;
}

int OpenAiServer::port() const { return impl_->port; }

void OpenAiServer::serve() {
  impl_->engine.start();
  impl_->http.listen_after_bind();
  impl_->engine.stop();
}

void OpenAiServer::drain() {
  if (impl_->draining.exchange(true))
    return;
  impl_->drainer = std::thread([impl = impl_.get()] {
    while (impl->inflight > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    impl->http.stop();
  });
}

} // namespace axe
