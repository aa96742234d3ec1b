//===- ReasoningParserTest.cpp - <think> splitting, whole and streamed ----===//
//
// Fixed cases pin the rules; the streaming checks feed each output split at every point, at
// every pair of points, one byte at a time and at random (fixed seed) and require the streamed
// reasoning and content to concatenate to what parse() returns for the whole text.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ReasoningParser.h"

#include "support/Error.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

using axe::ReasoningDelta;
using axe::ReasoningOptions;
using axe::ReasoningParser;
using axe::ReasoningResult;

ReasoningOptions thinking(bool on, bool toolCallEnds = false) {
  ReasoningOptions o;
  o.startsInReasoning = on;
  o.toolCallEndsReasoning = toolCallEnds;
  return o;
}

struct Streamed {
  std::string reasoning, content;
  std::vector<ReasoningDelta> deltas;
};

Streamed stream(const std::vector<std::string> &pieces, ReasoningOptions options) {
  ReasoningParser p(options);
  Streamed s;
  auto add = [&](ReasoningDelta d) {
    s.reasoning += d.reasoning;
    s.content += d.content;
    s.deltas.push_back(std::move(d));
  };
  for (const auto &piece : pieces)
    add(p.feed(piece));
  add(p.finish());
  return s;
}

void expectSame(const std::string &text, const std::vector<std::string> &pieces,
                ReasoningOptions options, const std::string &how) {
  ReasoningResult whole = ReasoningParser::parse(text, options);
  Streamed s = stream(pieces, options);
  EXPECT_EQ(s.reasoning, whole.reasoning) << how << " of " << testing::PrintToString(text);
  EXPECT_EQ(s.content, whole.content) << how << " of " << testing::PrintToString(text);
}

// Every way of splitting `text` that the tests use, against parse().
void expectStreamingMatches(const std::string &text, ReasoningOptions options) {
  expectSame(text, {text}, options, "one piece");
  std::vector<std::string> bytes;
  for (char c : text)
    bytes.push_back(std::string(1, c));
  expectSame(text, bytes, options, "byte by byte");
  for (size_t i = 0; i <= text.size(); ++i)
    expectSame(text, {text.substr(0, i), text.substr(i)}, options,
               "split at " + std::to_string(i));
  if (text.size() <= 80)
    for (size_t i = 0; i <= text.size(); ++i)
      for (size_t j = i; j <= text.size(); ++j)
        expectSame(text, {text.substr(0, i), text.substr(i, j - i), text.substr(j)}, options,
                   "split at " + std::to_string(i) + "," + std::to_string(j));
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<std::string> pieces;
    for (size_t i = 0; i < text.size();) {
      size_t n = std::uniform_int_distribution<size_t>(0, 9)(rng);
      pieces.push_back(text.substr(i, n));
      i += n;
    }
    expectSame(text, pieces, options, "random split " + std::to_string(trial));
  }
}

const std::vector<std::string> &corpus() {
  static const std::vector<std::string> texts = {
      "",
      "\n",
      "\n\n\n",
      "Let me think.\nStill thinking.\n</think>\n\nThe answer is 4.",
      "<think>\nabc\n</think>\n\nxyz",
      "\n<think>abc</think>xyz",
      "<thi",
      "</thi",
      "abc\n\n</think",
      "abc<b>bold</b> a < b\n\n</think>\n\n\n  content <think> </think>\n",
      "no tags at all, just an answer\n",
      "a</think>b</think>c",
      "a<think>b</think>c",
      "</think>",
      "\n\n</think>\n\n",
      "<think></think>",
      "<think>",
      "思考中…\n</think>\n\n答案是 4。",
      "  spaced  \n</think>\n  kept\n",
      "Plan: call it.\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n"
      "</parameter>\n</function>\n</tool_call>",
      "mention <tool_call> in passing\n</think>\n\nok",
      "<tool_call>\n\n<function",
      "x<tool_call>  <function=f>",
      "x<tool_call><tool_call>\n<function=f>",
      "<<<</</think>>>",
  };
  return texts;
}

TEST(ReasoningParser, ThinkingOnSplitsAtEndTag) {
  ReasoningResult r = ReasoningParser::parse(
      "Let me think.\nStill thinking.\n</think>\n\nThe answer is 4.", thinking(true));
  EXPECT_EQ(r.reasoning, "Let me think.\nStill thinking.");
  EXPECT_EQ(r.content, "The answer is 4.");
  EXPECT_TRUE(r.reasoningEnded);
}

TEST(ReasoningParser, LeadingThinkTagIsDropped) {
  for (bool on : {true, false}) {
    ReasoningResult r = ReasoningParser::parse("\n<think>\nabc\n</think>\n\nxyz", thinking(on));
    EXPECT_EQ(r.reasoning, "abc");
    EXPECT_EQ(r.content, "xyz");
  }
}

TEST(ReasoningParser, ThinkingOnWithoutEndTagIsAllReasoning) {
  ReasoningResult r = ReasoningParser::parse("\nStill going\nand going\n", thinking(true));
  EXPECT_EQ(r.reasoning, "Still going\nand going\n");
  EXPECT_EQ(r.content, "");
  EXPECT_FALSE(r.reasoningEnded);
}

TEST(ReasoningParser, ThinkingOffIsContent) {
  ReasoningResult r = ReasoningParser::parse("\nHello </think> world\n", thinking(false));
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.content, "\nHello </think> world\n");
  EXPECT_FALSE(r.reasoningEnded);
}

TEST(ReasoningParser, ThinkingOffButModelOpensABlock) {
  ReasoningResult r = ReasoningParser::parse("<think>a</think>b", thinking(false));
  EXPECT_EQ(r.reasoning, "a");
  EXPECT_EQ(r.content, "b");
  r = ReasoningParser::parse("<think>\nstopped while thinking", thinking(false));
  EXPECT_EQ(r.reasoning, "stopped while thinking");
  EXPECT_EQ(r.content, "");
}

TEST(ReasoningParser, EmptyAndNewlineOnlyOutputs) {
  for (bool on : {true, false}) {
    ReasoningResult r = ReasoningParser::parse("", thinking(on));
    EXPECT_EQ(r.reasoning, "");
    EXPECT_EQ(r.content, "");
  }
  EXPECT_EQ(ReasoningParser::parse("\n\n", thinking(true)).reasoning, "");
  EXPECT_EQ(ReasoningParser::parse("\n\n", thinking(false)).content, "\n\n");
  ReasoningResult r = ReasoningParser::parse("\n\n</think>\n\n", thinking(true));
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.content, "");
  EXPECT_TRUE(r.reasoningEnded);
}

TEST(ReasoningParser, LaterTagsAreText) {
  ReasoningResult r = ReasoningParser::parse("a<think>b</think>c", thinking(true));
  EXPECT_EQ(r.reasoning, "a<think>b");
  EXPECT_EQ(r.content, "c");
  r = ReasoningParser::parse("a</think>b</think>c<think>", thinking(true));
  EXPECT_EQ(r.reasoning, "a");
  EXPECT_EQ(r.content, "b</think>c<think>");
}

TEST(ReasoningParser, OnlyNewlinesAreTrimmed) {
  ReasoningResult r = ReasoningParser::parse("  a  \n</think>\n  b \n", thinking(true));
  EXPECT_EQ(r.reasoning, "  a  ");
  EXPECT_EQ(r.content, "  b \n");
}

TEST(ReasoningParser, Unicode) {
  ReasoningResult r = ReasoningParser::parse("思考中…\n</think>\n\n答案是 4。", thinking(true));
  EXPECT_EQ(r.reasoning, "思考中…");
  EXPECT_EQ(r.content, "答案是 4。");
}

TEST(ReasoningParser, ToolCallStaysInReasoningByDefault) {
  std::string text = "Plan.\n<tool_call>\n<function=f>\n</function>\n</tool_call>";
  ReasoningResult r = ReasoningParser::parse(text, thinking(true));
  EXPECT_EQ(r.reasoning, text);
  EXPECT_EQ(r.content, "");
}

TEST(ReasoningParser, ToolCallEndsReasoningWhenAsked) {
  std::string call = "<tool_call>\n<function=f>\n</function>\n</tool_call>";
  ReasoningResult r = ReasoningParser::parse("Plan.\n\n" + call, thinking(true, true));
  EXPECT_EQ(r.reasoning, "Plan.");
  EXPECT_EQ(r.content, call);
  EXPECT_TRUE(r.reasoningEnded);
  // A mention without "<function=" after it does not end the reasoning.
  r = ReasoningParser::parse("I could use <tool_call> here.\n</think>\n\nok", thinking(true, true));
  EXPECT_EQ(r.reasoning, "I could use <tool_call> here.");
  EXPECT_EQ(r.content, "ok");
  // Whichever comes first ends it.
  r = ReasoningParser::parse("a</think>\n" + call, thinking(true, true));
  EXPECT_EQ(r.reasoning, "a");
  EXPECT_EQ(r.content, call);
}

TEST(ReasoningParser, SplitTagNeverLeaks) {
  ReasoningParser p(thinking(true));
  ReasoningDelta d = p.feed("abc\n</th");
  EXPECT_EQ(d.reasoning, "abc");
  EXPECT_EQ(d.content, "");
  EXPECT_TRUE(p.inReasoning());
  d = p.feed("ink>\n");
  EXPECT_TRUE(d.empty());
  EXPECT_FALSE(p.inReasoning());
  d = p.feed("\nxyz");
  EXPECT_EQ(d.reasoning, "");
  EXPECT_EQ(d.content, "xyz");
  EXPECT_TRUE(p.finish().empty());
}

TEST(ReasoningParser, HeldPrefixThatIsNotATagIsReleased) {
  ReasoningParser p(thinking(true));
  EXPECT_EQ(p.feed("a <").reasoning, "a ");
  EXPECT_EQ(p.feed("/").reasoning, "");
  EXPECT_EQ(p.feed("b").reasoning, "</b");
  EXPECT_EQ(p.feed("\n\n").reasoning, "");
  EXPECT_EQ(p.finish().reasoning, "\n\n"); // no end tag: the trailing newlines stay
}

TEST(ReasoningParser, ThinkingOffStreamsContentAtOnce) {
  ReasoningParser p(thinking(false));
  EXPECT_FALSE(p.inReasoning());
  EXPECT_EQ(p.feed("Hello").content, "Hello");
  EXPECT_EQ(p.feed(" </think> there").content, " </think> there");
}

TEST(ReasoningParser, FeedAfterFinishThrows) {
  ReasoningParser p;
  p.feed("x");
  p.finish();
  EXPECT_TRUE(p.finish().empty());
  EXPECT_THROW(p.feed("y"), axe::Error);
}

TEST(ReasoningParser, StreamingMatchesWholeThinkingOn) {
  for (const auto &text : corpus())
    expectStreamingMatches(text, thinking(true));
}

TEST(ReasoningParser, StreamingMatchesWholeThinkingOff) {
  for (const auto &text : corpus())
    expectStreamingMatches(text, thinking(false));
}

TEST(ReasoningParser, StreamingMatchesWholeToolCallEnds) {
  for (const auto &text : corpus()) {
    expectStreamingMatches(text, thinking(true, true));
    expectStreamingMatches(text, thinking(false, true));
  }
}

// A stream never routes a byte of a tag: for outputs whose parts hold no '<', no delta does.
TEST(ReasoningParser, NoTagTextInAnyDelta) {
  std::string text = "<think>\nI reason.\n</think>\n\nI answer.";
  for (size_t i = 0; i <= text.size(); ++i)
    for (size_t j = i; j <= text.size(); ++j) {
      Streamed s = stream({text.substr(0, i), text.substr(i, j - i), text.substr(j)},
                          thinking(true));
      for (const auto &d : s.deltas) {
        EXPECT_EQ(d.reasoning.find_first_of("<>"), std::string::npos) << i << "," << j;
        EXPECT_EQ(d.content.find_first_of("<>"), std::string::npos) << i << "," << j;
      }
      EXPECT_EQ(s.reasoning, "I reason.");
      EXPECT_EQ(s.content, "I answer.");
    }
}

} // namespace
