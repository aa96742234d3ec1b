//===- ToolCallParserTest.cpp - qwen3_coder tool calls, whole and streamed ===//
//
// Value conversion by schema type, the arguments' JSON format, content around calls, malformed
// markup, the model stopping at every byte of an output, and streaming: each output split at
// every point, at every pair of points (short ones), one byte at a time and at random (fixed
// seed) must stream the content and, per call, the name and the arguments string that parse()
// returns for the whole text. Last, the OutputParser that chains reasoning and tool calls.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/OutputParser.h"
#include "runtime/text/ToolCallParser.h"
#include "runtime/text/PythonJson.h"

#include "support/Error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using axe::convertToolArgument;
using axe::pythonJsonDumps;
using axe::ToolCall;
using axe::ToolCallDelta;
using axe::ToolCallParser;
using axe::ToolCallResult;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

const json &tools() {
  static const json t = json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Weather.",
      "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}, "days": {"type": "integer"}, "temp": {"type": "number"},
        "metric": {"type": "boolean"}, "opts": {"type": "object"}, "tags": {"type": "array"},
        "note": {"type": ["string", "null"]},
        "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}]}},
        "required": ["city"]}}},
    {"type": "function", "function": {"name": "write_file", "parameters": {"type": "object",
      "properties": {"path": {"type": "string"}, "content": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "noop"}}
  ])");
  return t;
}

std::string callText(const std::string &name,
                     const std::vector<std::pair<std::string, std::string>> &params) {
  std::string s = "<tool_call>\n<function=" + name + ">\n";
  for (const auto &[k, v] : params)
    s += "<parameter=" + k + ">\n" + v + "\n</parameter>\n";
  return s + "</function>\n</tool_call>";
}

std::string convert(std::string_view value, const char *schema) {
  json s = json::parse(schema);
  return convertToolArgument(value, &s);
}

//===----------------------------------------------------------------------===//
// Streaming helpers
//===----------------------------------------------------------------------===//

struct StreamedCall {
  std::string id, name, arguments;
  std::vector<std::string> fragments;
};

struct Streamed {
  std::string content;
  std::vector<StreamedCall> calls; // every call whose header was sent
  std::vector<std::string> contentDeltas;
  int unfinished = -1;
  size_t complete = 0;
};

Streamed stream(const std::vector<std::string> &pieces, const json &toolsJson = tools()) {
  ToolCallParser p(toolsJson);
  Streamed s;
  auto add = [&](const axe::ToolCallStreamDelta &d) {
    s.content += d.content;
    if (!d.content.empty())
      s.contentDeltas.push_back(d.content);
    for (const ToolCallDelta &c : d.calls) {
      if (c.index == int(s.calls.size())) { // a new call: its first delta has id and name
        EXPECT_FALSE(c.id.empty());
        EXPECT_FALSE(c.name.empty());
        s.calls.push_back({c.id, c.name, "", {}});
      } else {
        ASSERT_EQ(c.index, int(s.calls.size()) - 1) << "deltas of an earlier call";
        EXPECT_TRUE(c.id.empty());
        EXPECT_TRUE(c.name.empty());
      }
      s.calls.back().arguments += c.arguments;
      if (!c.arguments.empty())
        s.calls.back().fragments.push_back(c.arguments);
    }
  };
  for (const auto &piece : pieces)
    add(p.feed(piece));
  add(p.finish());
  s.unfinished = p.unfinishedCall();
  s.complete = p.calls().size();
  return s;
}

std::vector<std::string> bytesOf(const std::string &text) {
  std::vector<std::string> out;
  for (char c : text)
    out.push_back(std::string(1, c));
  return out;
}

void expectSame(const std::string &text, const std::vector<std::string> &pieces,
                const std::string &how) {
  ToolCallResult whole = ToolCallParser::parse(text, tools());
  Streamed s = stream(pieces);
  std::string where = how + " of " + testing::PrintToString(text);
  EXPECT_EQ(s.content, whole.content) << where;
  ASSERT_EQ(s.complete, whole.calls.size()) << where;
  size_t headers = whole.calls.size() + (s.unfinished >= 0 ? 1 : 0);
  ASSERT_EQ(s.calls.size(), headers) << where;
  for (size_t i = 0; i < whole.calls.size(); ++i) {
    EXPECT_EQ(s.calls[i].name, whole.calls[i].name) << where;
    EXPECT_EQ(s.calls[i].arguments, whole.calls[i].arguments) << where;
  }
}

void expectStreamingMatches(const std::string &text) {
  // Whether the last call is left unfinished does not depend on the split either.
  int unfinished = stream({text}).unfinished;
  expectSame(text, {text}, "one piece");
  expectSame(text, bytesOf(text), "byte by byte");
  EXPECT_EQ(stream(bytesOf(text)).unfinished, unfinished);
  for (size_t i = 0; i <= text.size(); ++i)
    expectSame(text, {text.substr(0, i), text.substr(i)}, "split at " + std::to_string(i));
  if (text.size() <= 120)
    for (size_t i = 0; i <= text.size(); ++i)
      for (size_t j = i; j <= text.size(); ++j)
        expectSame(text, {text.substr(0, i), text.substr(i, j - i), text.substr(j)},
                   "split at " + std::to_string(i) + "," + std::to_string(j));
  std::mt19937 rng(99);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<std::string> pieces;
    for (size_t i = 0; i < text.size();) {
      size_t n = std::uniform_int_distribution<size_t>(0, 13)(rng);
      pieces.push_back(text.substr(i, n));
      i += n;
    }
    expectSame(text, pieces, "random split " + std::to_string(trial));
  }
}

//===----------------------------------------------------------------------===//
// Value conversion and the JSON format
//===----------------------------------------------------------------------===//

TEST(ToolCallConvert, Strings) {
  EXPECT_EQ(convert("Paris", R"({"type": "string"})"), R"("Paris")");
  EXPECT_EQ(convert("5", R"({"type": "string"})"), R"("5")");
  EXPECT_EQ(convert("null", R"({"type": "string"})"), R"("null")");
  EXPECT_EQ(convert("x", R"({"type": "enum"})"), R"("x")");
  EXPECT_EQ(convert("x", R"({"description": "no type"})"), R"("x")");
  EXPECT_EQ(convert("x", R"("not an object")"), R"("x")");
  EXPECT_EQ(convert("", R"({"type": "string"})"), R"("")");
  EXPECT_EQ(convert("a \"q\" \\ /\n\t\r\b\f\x01\x1f\x7f", R"({"type": "string"})"),
            R"("a \"q\" \\ /\n\t\r\b\f\u0001\u001f)" "\x7f\"");
}

TEST(ToolCallConvert, UnicodeStaysAsIs) {
  EXPECT_EQ(convert("héllo 世界 🙂", R"({"type": "string"})"), "\"héllo 世界 🙂\"");
  // Invalid UTF-8 becomes U+FFFD, so the arguments are always valid JSON.
  EXPECT_EQ(convert("a\xff" "b\xe4\xb8", R"({"type": "string"})"),
            "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(ToolCallConvert, WithoutSchemaEverythingIsAString) {
  EXPECT_EQ(convertToolArgument("5", nullptr), R"("5")");
  EXPECT_EQ(convertToolArgument("{\"a\": 1}", nullptr), R"("{\"a\": 1}")");
  EXPECT_EQ(convertToolArgument("null", nullptr), R"("null")");
}

TEST(ToolCallConvert, Integers) {
  const char *t = R"({"type": "integer"})";
  EXPECT_EQ(convert("5", t), "5");
  EXPECT_EQ(convert(" -12 ", t), "-12");
  EXPECT_EQ(convert("+7", t), "7");
  EXPECT_EQ(convert("007", t), "7");
  EXPECT_EQ(convert("-0", t), "0");
  EXPECT_EQ(convert("1_000", t), "1000");
  EXPECT_EQ(convert("123456789012345678901234567890", t), "123456789012345678901234567890");
  EXPECT_EQ(convert("5.0", t), R"("5.0")");
  EXPECT_EQ(convert("1__0", t), R"("1__0")");
  EXPECT_EQ(convert("0x10", t), R"("0x10")");
  EXPECT_EQ(convert("ten", t), R"("ten")");
  EXPECT_EQ(convert("", t), R"("")");
  EXPECT_EQ(convert("null", t), "null");
  EXPECT_EQ(convert("None", t), "null");
  EXPECT_EQ(convert("42", R"({"type": "int64"})"), "42");
  EXPECT_EQ(convert("42", R"({"type": "unsigned"})"), "42");
  EXPECT_EQ(convert("42", R"({"type": " Integer "})"), "42");
}

TEST(ToolCallConvert, Numbers) {
  const char *t = R"({"type": "number"})";
  EXPECT_EQ(convert("3.5", t), "3.5");
  EXPECT_EQ(convert("2", t), "2");
  EXPECT_EQ(convert("2.0", t), "2");
  EXPECT_EQ(convert("-0.0", t), "0");
  EXPECT_EQ(convert("1e3", t), "1000");
  EXPECT_EQ(convert("1e20", t), "100000000000000000000");
  EXPECT_EQ(convert("0.1", t), "0.1");
  EXPECT_EQ(convert("-2.5e-7", t), "-2.5e-07");
  EXPECT_EQ(convert(".5", t), "0.5");
  EXPECT_EQ(convert("1_0.5", t), "10.5");
  EXPECT_EQ(convert("12345.678", R"({"type": "float"})"), "12345.678");
  EXPECT_EQ(convert("abc", t), R"("abc")");
  EXPECT_EQ(convert("1.2.3", t), R"("1.2.3")");
  EXPECT_EQ(convert("inf", t), R"("inf")");
  EXPECT_EQ(convert("NaN", t), R"("NaN")");
  EXPECT_EQ(convert("1e400", t), R"("1e400")");
  EXPECT_EQ(convert("none", t), "null");
}

TEST(ToolCallConvert, Booleans) {
  const char *t = R"({"type": "boolean"})";
  EXPECT_EQ(convert("true", t), "true");
  EXPECT_EQ(convert("True", t), "true");
  EXPECT_EQ(convert("FALSE", t), "false");
  EXPECT_EQ(convert("yes", t), "false"); // vLLM: anything else is false
  EXPECT_EQ(convert("null", t), "null");
  EXPECT_EQ(convert("true", R"({"type": "bool"})"), "true");
}

TEST(ToolCallConvert, ObjectsAndArrays) {
  const char *obj = R"({"type": "object"})";
  const char *arr = R"({"type": "array"})";
  EXPECT_EQ(convert(R"({"b":1,"a":[1,2.5,"x",null,true,{}],"c":{"d":[]}})", obj),
            R"({"b": 1, "a": [1, 2.5, "x", null, true, {}], "c": {"d": []}})");
  EXPECT_EQ(convert("[1,2,3]", arr), "[1, 2, 3]");
  EXPECT_EQ(convert("[1.0, 1e16, 1e15, 0.00001, -0.0]", arr),
            "[1.0, 1e+16, 1000000000000000.0, 1e-05, -0.0]");
  EXPECT_EQ(convert(R"({"k": "日本"})", obj), R"({"k": "日本"})");
  // Python literals, as models sometimes write them.
  EXPECT_EQ(convert("{'a': True, 'b': None, 'c': (1, 2), \"d\": 'it\\'s'}", obj),
            R"({"a": true, "b": null, "c": [1, 2], "d": "it's"})");
  EXPECT_EQ(convert("['x', 'y',]", arr), R"(["x", "y"])");
  EXPECT_EQ(convert("(1,)", arr), "[1]");
  EXPECT_EQ(convert("{1: 'a', True: 'b', None: 'c', 2.5: 'd'}", obj),
            R"({"1": "a", "true": "b", "null": "c", "2.5": "d"})");
  // A JSON string holding a Python literal is read once more.
  EXPECT_EQ(convert(R"("{'k': 'v'}")", obj), R"({"k": "v"})");
  EXPECT_EQ(convert(R"("plain")", obj), R"("plain")");
  // Neither JSON nor a literal: the string.
  EXPECT_EQ(convert("{a: 1", obj), R"("{a: 1")");
  EXPECT_EQ(convert("{1, 2}", obj), R"("{1, 2}")"); // a set: json.dumps could not write it
  EXPECT_EQ(convert("null", obj), "null");
  EXPECT_EQ(convert(std::string(600, '[') + std::string(600, ']'), arr),
            "\"" + std::string(600, '[') + std::string(600, ']') + "\"");
  EXPECT_EQ(convert("[1]", R"({"type": "list[int]"})"), "[1]");
  EXPECT_EQ(convert("{}", R"({"type": "dict"})"), "{}");
}

TEST(ToolCallConvert, NullableTypes) {
  const char *note = R"({"type": ["string", "null"]})";
  EXPECT_EQ(convert("hi", note), R"("hi")");
  EXPECT_EQ(convert("null", note), "null");
  EXPECT_EQ(convert("None", note), "null");
  const char *limit = R"({"anyOf": [{"type": "integer"}, {"type": "null"}]})";
  EXPECT_EQ(convert("7", limit), "7");
  EXPECT_EQ(convert("NULL", limit), "null");
  EXPECT_EQ(convert("x", R"({"anyOf": [{"type": "null"}]})"), R"("x")");
  EXPECT_EQ(convert("null", R"({"type": "null"})"), "null");
}

TEST(ToolCallConvert, OtherTypesReadAPythonLiteral) {
  const char *t = R"({"type": "any"})";
  EXPECT_EQ(convert("5", t), "5");
  EXPECT_EQ(convert("-1.5", t), "-1.5");
  EXPECT_EQ(convert("True", t), "true");
  EXPECT_EQ(convert("'quoted'", t), R"("quoted")");
  EXPECT_EQ(convert("[1, 'a']", t), R"([1, "a"])");
  EXPECT_EQ(convert("true", t), R"("true")"); // not a Python literal
  EXPECT_EQ(convert("hello world", t), R"("hello world")");
  EXPECT_EQ(convert("010", t), R"("010")");
}

TEST(ToolCallConvert, PythonJsonDumpsFormat) {
  ordered_json v = ordered_json::parse(
      R"({"z": 1, "a": {"y": [1, 2], "x": "é\n"}, "f": 0.5, "big": 18446744073709551615,
          "neg": -9223372036854775808, "e": 1.7976931348623157e308, "t": 5e-324, "z2": 100.0})");
  EXPECT_EQ(pythonJsonDumps(v),
            "{\"z\": 1, \"a\": {\"y\": [1, 2], \"x\": \"é\\n\"}, \"f\": 0.5, "
            "\"big\": 18446744073709551615, \"neg\": -9223372036854775808, "
            "\"e\": 1.7976931348623157e+308, \"t\": 5e-324, \"z2\": 100.0}");
  EXPECT_EQ(pythonJsonDumps(ordered_json::array()), "[]");
  EXPECT_EQ(pythonJsonDumps(ordered_json::object()), "{}");
  EXPECT_EQ(pythonJsonDumps(ordered_json(0.0001)), "0.0001");
  EXPECT_EQ(pythonJsonDumps(ordered_json(123456789.125)), "123456789.125");
  EXPECT_EQ(pythonJsonDumps(ordered_json(1234567890123456.5)), "1234567890123456.5");
}

//===----------------------------------------------------------------------===//
// Whole outputs
//===----------------------------------------------------------------------===//

TEST(ToolCallParser, OneCallWithContentBefore) {
  std::string text = "Let me check.\n\n" +
                     callText("get_weather", {{"city", "Paris"}, {"days", "3"}});
  ToolCallResult r = ToolCallParser::parse(text, tools());
  EXPECT_EQ(r.content, "Let me check.");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].name, "get_weather");
  EXPECT_EQ(r.calls[0].arguments, R"({"city": "Paris", "days": 3})");
  EXPECT_TRUE(std::regex_match(r.calls[0].id, std::regex("call_[0-9a-f]{24}")));
}

TEST(ToolCallParser, AllTypesInOneCall) {
  std::string text = callText("get_weather", {{"city", "São Paulo"},
                                              {"days", "10"},
                                              {"temp", "21.5"},
                                              {"metric", "True"},
                                              {"opts", "{\"units\": \"C\", \"hourly\": false}"},
                                              {"tags", "[\"a\", 1]"},
                                              {"note", "None"},
                                              {"limit", "null"}});
  ToolCallResult r = ToolCallParser::parse(text, tools());
  EXPECT_EQ(r.content, "");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments,
            R"({"city": "São Paulo", "days": 10, "temp": 21.5, "metric": true, )"
            R"("opts": {"units": "C", "hourly": false}, "tags": ["a", 1], "note": null, )"
            R"("limit": null})");
  EXPECT_NO_THROW(json::parse(r.calls[0].arguments));
}

TEST(ToolCallParser, SeveralCalls) {
  std::string text = callText("get_weather", {{"city", "Paris"}}) + "\n" +
                     callText("get_weather", {{"city", "Rome"}}) + "\n" + callText("noop", {});
  ToolCallResult r = ToolCallParser::parse(text, tools());
  EXPECT_EQ(r.content, "");
  ASSERT_EQ(r.calls.size(), 3u);
  EXPECT_EQ(r.calls[0].arguments, R"({"city": "Paris"})");
  EXPECT_EQ(r.calls[1].arguments, R"({"city": "Rome"})");
  EXPECT_EQ(r.calls[2].name, "noop");
  EXPECT_EQ(r.calls[2].arguments, "{}");
  std::set<std::string> ids = {r.calls[0].id, r.calls[1].id, r.calls[2].id};
  EXPECT_EQ(ids.size(), 3u);
}

TEST(ToolCallParser, MultiLineValuesLoseOneNewlineEachSide) {
  std::string text = "<tool_call>\n<function=write_file>\n<parameter=path>\n/tmp/a.py\n"
                     "</parameter>\n<parameter=content>\n\ndef f():\n    return 1\n\n\n"
                     "</parameter>\n</function>\n</tool_call>";
  ToolCallResult r = ToolCallParser::parse(text, tools());
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments,
            R"({"path": "/tmp/a.py", "content": "\ndef f():\n    return 1\n\n"})");
  // No newlines around the value: nothing to strip.
  r = ToolCallParser::parse(
      "<tool_call><function=write_file><parameter=path>x</parameter></function></tool_call>",
      tools());
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments, R"({"path": "x"})");
}

TEST(ToolCallParser, MarkupInsideAValueStaysInTheValue) {
  // "</parameter>" counts only when the next parameter or the end of the call follows it.
  std::string code = "s = '</parameter>'\nt = '<tool_call>\\n<function=x>'\n"
                     "u = '</function>'  # </parameter> x";
  std::string text = callText("write_file", {{"content", code}, {"path", "p"}});
  ToolCallResult r = ToolCallParser::parse(text, tools());
  ASSERT_EQ(r.calls.size(), 1u);
  json args = json::parse(r.calls[0].arguments);
  EXPECT_EQ(args["content"], code);
  EXPECT_EQ(args["path"], "p");
}

TEST(ToolCallParser, UnknownToolsAndParametersAreStrings) {
  std::string text = callText("search", {{"q", "x"}, {"n", "5"}}) + "\n" +
                     callText("get_weather", {{"city", "Oslo"}, {"extra", "{\"a\": 1}"}});
  ToolCallResult r = ToolCallParser::parse(text, tools());
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].name, "search");
  EXPECT_EQ(r.calls[0].arguments, R"({"q": "x", "n": "5"})");
  EXPECT_EQ(r.calls[1].arguments, R"({"city": "Oslo", "extra": "{\"a\": 1}"})");
  // Without tools at all, calls are still parsed and values stay strings.
  r = ToolCallParser::parse(callText("f", {{"n", "5"}}));
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments, R"({"n": "5"})");
  // A tool without parameters: every parameter is unknown.
  r = ToolCallParser::parse(callText("noop", {{"n", "5"}}), tools());
  EXPECT_EQ(r.calls[0].arguments, R"({"n": "5"})");
}

TEST(ToolCallParser, NamesAreEscapedAndRepeatsKept) {
  ToolCallResult r = ToolCallParser::parse(
      callText("f", {{"a\"b", "1"}, {"x", "1"}, {"x", "2"}, {"", "e"}}), tools());
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments, R"({"a\"b": "1", "x": "1", "x": "2", "": "e"})");
  EXPECT_EQ(json::parse(r.calls[0].arguments)["x"], "2");
  r = ToolCallParser::parse(callText("fn.v2/ünïcode-name", {}), tools());
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].name, "fn.v2/ünïcode-name");
}

TEST(ToolCallParser, ContentAroundCalls) {
  std::string call = callText("noop", {});
  auto content = [&](const std::string &text) { return ToolCallParser::parse(text).content; };
  EXPECT_EQ(content("Before.\n\n" + call + "\n"), "Before.");
  EXPECT_EQ(content("Before.\n\n" + call + "\nAfter.\n"), "Before.\n\nAfter.\n");
  EXPECT_EQ(content(call + "\n\nAfter."), "After.");
  EXPECT_EQ(content("  A  \n" + call + "\n  B  " + call + " C"), "  A\n\nB\n\nC");
  EXPECT_EQ(content("\n\n" + call), "");
  EXPECT_EQ(ToolCallParser::parse("Before.\n\n" + call + "\nAfter.").calls.size(), 1u);
}

TEST(ToolCallParser, NoCallsLeavesTheTextAlone) {
  for (std::string text : {"", "\n", "plain answer\n\n", "a < b and <tool> or <tool_call",
                           "<tool_call", "x <tool_cal", "use </tool_call> and <function=f>"}) {
    ToolCallResult r = ToolCallParser::parse(text, tools());
    EXPECT_EQ(r.content, text);
    EXPECT_TRUE(r.calls.empty());
  }
}

TEST(ToolCallParser, MalformedMarkupIsContent) {
  for (std::string text : {
           "<tool_call>\n<function=bad name>\n</function>\n</tool_call>",
           "<tool_call>\n<function=>\n</function>\n</tool_call>",
           "<tool_call>\n<function={{ tc.name }}>\n</function>\n</tool_call>",
           "<tool_call>hello</tool_call>",
           "<tool_call>\n<function=f\n<parameter=a>\n1\n</parameter>\n</function>\n</tool_call>",
           "<tool_call>\n<functio=f>\n</function>\n</tool_call>",
           "<function=f>\n</function>", // no <tool_call>: not a call
       }) {
    ToolCallResult r = ToolCallParser::parse(text, tools());
    EXPECT_EQ(r.content, text);
    EXPECT_TRUE(r.calls.empty()) << text;
  }
  // A real call after a false start is still found.
  ToolCallResult r =
      ToolCallParser::parse("Hi\n<tool_call>oops\n<tool_call>\n<function=f>\n</function>", tools());
  EXPECT_EQ(r.content, "Hi\n<tool_call>oops");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].name, "f");
}

TEST(ToolCallParser, MissingClosingTagsAreTolerated) {
  // No "</tool_call>".
  ToolCallResult r = ToolCallParser::parse(
      "<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n</function>", tools());
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments, R"({"a": "1"})");
  EXPECT_EQ(r.content, "");
  // No "</function>".
  r = ToolCallParser::parse("<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n"
                            "</tool_call>\nAfter",
                            tools());
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments, R"({"a": "1"})");
  EXPECT_EQ(r.content, "After");
  // Text after "</function>" in place of "</tool_call>", then another call.
  r = ToolCallParser::parse("<tool_call>\n<function=f>\n</function>\nBetween\n" +
                                callText("g", {}),
                            tools());
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.content, "Between");
  // Stray text before a parameter is ignored.
  r = ToolCallParser::parse("<tool_call>\n<function=f>\nstray < x\n<parameter=a>\n1\n</parameter>\n"
                            "</function>",
                            tools());
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments, R"({"a": "1"})");
}

TEST(ToolCallParser, StoppedMidCallPutsTheCallBackIntoContent) {
  std::string partial = "Sure.\n\n<tool_call>\n<function=get_weather>\n<parameter=city>\nPar";
  ToolCallResult r = ToolCallParser::parse(partial, tools());
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.content, partial);

  std::string first = callText("get_weather", {{"city", "Paris"}});
  r = ToolCallParser::parse("Sure.\n\n" + first + "\n<tool_call>\n<function=noop>\n", tools());
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.content, "Sure.\n\n<tool_call>\n<function=noop>\n");

  // The streaming parser has sent the call's header; it names the call left open.
  Streamed s = stream(bytesOf(partial));
  EXPECT_EQ(s.unfinished, 0);
  ASSERT_EQ(s.calls.size(), 1u);
  EXPECT_EQ(s.calls[0].arguments, "");
  EXPECT_EQ(s.content, partial);
  EXPECT_EQ(stream({"Sure.\n\n<tool_call>\n<function=get_wea"}).unfinished, -1);
}

// The model stops at every byte of an output: nothing crashes, the complete calls are those of
// the whole output, and every other non-space byte is in the content.
TEST(ToolCallParser, StoppedAtEveryByte) {
  std::vector<std::vector<std::string>> callsOf = {
      {callText("get_weather", {{"city", "Zürich"}, {"days", "2"}, {"opts", "{\"a\": [1, 2]}"}}),
       callText("write_file", {{"path", "a.txt"}, {"content", "x </parameter> y\n\nz"}})},
      {callText("noop", {}), callText("get_weather", {{"metric", "false"}})},
  };
  for (const auto &calls : callsOf) {
    std::string full = "Intro.\n\n";
    std::vector<std::pair<size_t, size_t>> spans; // each call: [start, end of "</function>")
    for (size_t i = 0; i < calls.size(); ++i) {
      full += i ? "\n" : "";
      size_t start = full.size();
      full += calls[i];
      spans.push_back({start, full.rfind("</function>") + 11});
    }
    ToolCallResult whole = ToolCallParser::parse(full, tools());
    ASSERT_EQ(whole.calls.size(), calls.size());
    EXPECT_EQ(whole.content, "Intro.");
    for (size_t k = 0; k <= full.size(); ++k) {
      std::string prefix = full.substr(0, k);
      ToolCallResult r = ToolCallParser::parse(prefix, tools());
      size_t complete = 0;
      std::string rest; // the prefix without its complete calls
      size_t at = 0;
      for (auto [start, fnEnd] : spans) {
        if (fnEnd > k)
          break;
        ++complete;
        rest += prefix.substr(at, start - at);
        at = std::min(k, full.find("</tool_call>", fnEnd) + 12);
      }
      rest += prefix.substr(at);
      ASSERT_EQ(r.calls.size(), complete) << k;
      for (size_t i = 0; i < complete; ++i) {
        EXPECT_EQ(r.calls[i].name, whole.calls[i].name) << k;
        EXPECT_EQ(r.calls[i].arguments, whole.calls[i].arguments) << k;
      }
      auto nonSpace = [](std::string s) {
        s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return std::isspace(c); }),
                s.end());
        return s;
      };
      // The rest is content, but for a cut-off "</tool_call>" after a complete call.
      std::string expected = nonSpace(rest);
      EXPECT_EQ(nonSpace(r.content), expected) << k << ": " << prefix;
      expectSame(prefix, bytesOf(prefix), "byte by byte");
      expectSame(prefix, {prefix.substr(0, k / 2), prefix.substr(k / 2)}, "halves");
    }
  }
}

//===----------------------------------------------------------------------===//
// Streaming
//===----------------------------------------------------------------------===//

TEST(ToolCallParser, StreamsHeaderThenOneFragmentPerParameter) {
  std::string text = "Checking.\n\n" +
                     callText("get_weather", {{"city", "Paris"}, {"days", "3"}}) + "\n" +
                     callText("noop", {});
  Streamed s = stream(bytesOf(text));
  EXPECT_EQ(s.content, "Checking.");
  ASSERT_EQ(s.calls.size(), 2u);
  EXPECT_EQ(s.calls[0].name, "get_weather");
  // A parameter is complete once the tag after its "</parameter>" is there: the last one goes
  // out with the closing brace.
  EXPECT_EQ(s.calls[0].fragments,
            (std::vector<std::string>{R"({"city": "Paris")", R"(, "days": 3})"}));
  EXPECT_EQ(s.calls[1].fragments, std::vector<std::string>{"{}"});
  EXPECT_NE(s.calls[0].id, s.calls[1].id);
  EXPECT_EQ(s.unfinished, -1);
}

TEST(ToolCallParser, SplitTagsNeverReachTheContent) {
  ToolCallParser p(tools());
  auto d = p.feed("Hi\n\n<tool_");
  EXPECT_EQ(d.content, "Hi");
  EXPECT_TRUE(d.calls.empty());
  d = p.feed("call>\n<function=no");
  EXPECT_TRUE(d.empty());
  d = p.feed("op>\n</func");
  EXPECT_EQ(d.content, "");
  ASSERT_EQ(d.calls.size(), 1u);
  EXPECT_EQ(d.calls[0].name, "noop");
  EXPECT_EQ(d.calls[0].arguments, "");
  d = p.feed("tion>\n</tool_call");
  ASSERT_EQ(d.calls.size(), 1u);
  EXPECT_EQ(d.calls[0].arguments, "{}");
  EXPECT_TRUE(d.calls[0].id.empty());
  d = p.feed(">\n<");
  EXPECT_TRUE(d.empty());
  d = p.feed("b>bold");
  EXPECT_EQ(d.content, "\n\n<b>bold"); // text after a call joins the content with "\n\n"
  d = p.finish();
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(p.calls().size(), 1u);
  EXPECT_THROW(p.feed("x"), axe::Error);
}

// No content delta ever carries a byte of a tag, wherever the deltas split the output.
TEST(ToolCallParser, NoTagTextInAnyContentDelta) {
  std::string text = "Hi.\n\n" + callText("get_weather", {{"city", "Oslo"}}) + "\n" +
                     callText("noop", {}) + "\nBye.";
  for (size_t i = 0; i <= text.size(); ++i)
    for (size_t j = i; j <= text.size(); j += 3) {
      Streamed s = stream({text.substr(0, i), text.substr(i, j - i), text.substr(j)});
      for (const auto &d : s.contentDeltas)
        EXPECT_EQ(d.find_first_of("<>"), std::string::npos) << i << "," << j << ": " << d;
      EXPECT_EQ(s.content, "Hi.\n\nBye.");
      ASSERT_EQ(s.calls.size(), 2u);
      EXPECT_EQ(s.calls[0].arguments, R"({"city": "Oslo"})");
      EXPECT_EQ(s.calls[1].arguments, "{}");
    }
}

TEST(ToolCallParser, StreamingMatchesWhole) {
  std::string weather = callText("get_weather", {{"city", "Paris"}, {"days", "3"}});
  std::vector<std::string> texts = {
      "",
      "Just text, no calls.\n",
      "Let me check.\n\n" + weather,
      weather + "\n" + callText("noop", {}) + "\n",
      "A\n\n" + weather + "\nB\n\n" + callText("noop", {}) + "\n C ",
      callText("write_file", {{"content", "a </parameter> b\n</parameter>x\n"}, {"path", "p"}}),
      callText("get_weather", {{"opts", "{\"a\": {\"b\": [1, 2.50, \"ü\"]}}"},
                               {"tags", "['x', None]"},
                               {"temp", "-0.5"},
                               {"metric", "TRUE"}}),
      "<tool_call>oops <tool_call>\n<function=bad name>\n" + weather,
      "<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n</tool_call>tail",
      "<tool_call>\n<function=f>\n</function>\nnext\n<tool_call>\n<function=g>\n</function>",
      "Sure.\n\n<tool_call>\n<function=get_weather>\n<parameter=city>\nPar",
      "a < b <tool <tool_call <tool_call>\n\n <function=x",
      "<tool_call>\n<function=f>\n<parameter=a>\n</parameter>\n</parameter>\n</function>",
  };
  for (const auto &text : texts)
    expectStreamingMatches(text);
}

TEST(ToolCallParser, JsonOfCallsAndDeltas) {
  ToolCall call{"call_0123456789abcdef01234567", "get_weather", R"({"city": "Paris"})"};
  EXPECT_EQ(call.toJson().dump(),
            R"({"id":"call_0123456789abcdef01234567","type":"function","function":)"
            R"({"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}})");
  ToolCallDelta first{0, "call_x", "get_weather", ""};
  EXPECT_EQ(first.toJson().dump(),
            R"({"index":0,"id":"call_x","type":"function","function":)"
            R"({"name":"get_weather","arguments":""}})");
  ToolCallDelta more{1, "", "", ", \"b\": 2"};
  EXPECT_EQ(more.toJson().dump(), R"({"index":1,"function":{"arguments":", \"b\": 2"}})");
}

TEST(ToolCallParser, RejectsToolsThatAreNotAnArray) {
  EXPECT_THROW(ToolCallParser(json::object()), axe::Error);
  EXPECT_NO_THROW(ToolCallParser(json::array()));
  EXPECT_NO_THROW(ToolCallParser(json::parse(R"([1, {"type": "x"}, {"function": {}}])")));
}

//===----------------------------------------------------------------------===//
// Reasoning, then tool calls
//===----------------------------------------------------------------------===//

axe::OutputParserOptions outputOptions(bool reasoning, bool toolCallEnds = false) {
  axe::OutputParserOptions o;
  o.reasoning = reasoning;
  o.startsInReasoning = true;
  o.toolCallEndsReasoning = toolCallEnds;
  o.tools = tools();
  return o;
}

struct StreamedOutput {
  std::string reasoning, content;
  std::vector<StreamedCall> calls;
};

StreamedOutput streamOutput(const std::vector<std::string> &pieces,
                            const axe::OutputParserOptions &options) {
  axe::OutputParser p(options);
  StreamedOutput s;
  auto add = [&](const axe::OutputDelta &d) {
    s.reasoning += d.reasoning;
    s.content += d.content;
    for (const auto &c : d.toolCalls) {
      if (c.index == int(s.calls.size()))
        s.calls.push_back({c.id, c.name, "", {}});
      s.calls.back().arguments += c.arguments;
    }
  };
  for (const auto &piece : pieces)
    add(p.feed(piece));
  add(p.finish());
  return s;
}

TEST(ToolCallWithReasoning, ReasoningThenContentThenCalls) {
  std::string text = "The user wants weather.\n</think>\n\nChecking.\n\n" +
                     callText("get_weather", {{"city", "Paris"}, {"days", "2"}});
  axe::ParsedOutput r = axe::OutputParser::parse(text, outputOptions(true));
  EXPECT_EQ(r.reasoning, "The user wants weather.");
  EXPECT_EQ(r.content, "Checking.");
  ASSERT_EQ(r.toolCalls.size(), 1u);
  EXPECT_EQ(r.toolCalls[0].arguments, R"({"city": "Paris", "days": 2})");
}

TEST(ToolCallWithReasoning, CallsInsideReasoningStayThere) {
  std::string call = callText("get_weather", {{"city", "Paris"}});
  axe::ParsedOutput r = axe::OutputParser::parse("Maybe:\n" + call, outputOptions(true));
  EXPECT_EQ(r.reasoning, "Maybe:\n" + call);
  EXPECT_TRUE(r.toolCalls.empty());
  r = axe::OutputParser::parse("Maybe:\n" + call + "\n</think>\n\nNo.", outputOptions(true));
  EXPECT_TRUE(r.toolCalls.empty());
  EXPECT_EQ(r.content, "No.");
  // Unless a tool call may end the reasoning.
  r = axe::OutputParser::parse("Calling.\n\n" + call, outputOptions(true, true));
  EXPECT_EQ(r.reasoning, "Calling.");
  EXPECT_EQ(r.content, "");
  ASSERT_EQ(r.toolCalls.size(), 1u);
}

TEST(ToolCallWithReasoning, EitherParserOff) {
  std::string text = "R\n</think>\n\nC\n\n" + callText("noop", {});
  axe::OutputParserOptions noTools = outputOptions(true);
  noTools.tools = nullptr;
  axe::ParsedOutput r = axe::OutputParser::parse(text, noTools);
  EXPECT_EQ(r.reasoning, "R");
  EXPECT_EQ(r.content, "C\n\n" + callText("noop", {}));
  EXPECT_TRUE(r.toolCalls.empty());
  r = axe::OutputParser::parse(text, outputOptions(false));
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.content, "R\n</think>\n\nC");
  EXPECT_EQ(r.toolCalls.size(), 1u);
}

TEST(ToolCallWithReasoning, StreamingMatchesWhole) {
  std::string call = callText("get_weather", {{"city", "Paris"}, {"metric", "true"}});
  std::vector<std::string> texts = {
      "Think.\n</think>\n\nAnswer.\n\n" + call + "\n" + callText("noop", {}),
      "<think>\nhmm <tool_call>\n</think>\n" + call,
      "Still thinking about " + call,
      "Plan.\n\n" + call + "\n</think>\n\ndone",
      "R\n</think>\n\n" + call.substr(0, 60),
  };
  for (bool toolCallEnds : {false, true})
    for (const auto &text : texts) {
      axe::OutputParserOptions o = outputOptions(true, toolCallEnds);
      axe::ParsedOutput whole = axe::OutputParser::parse(text, o);
      std::vector<std::vector<std::string>> splits = {{text}, bytesOf(text)};
      for (size_t i = 0; i <= text.size(); ++i)
        splits.push_back({text.substr(0, i), text.substr(i)});
      std::mt19937 rng(7);
      for (int t = 0; t < 30; ++t) {
        std::vector<std::string> pieces;
        for (size_t i = 0; i < text.size();) {
          size_t n = std::uniform_int_distribution<size_t>(1, 11)(rng);
          pieces.push_back(text.substr(i, n));
          i += n;
        }
        splits.push_back(pieces);
      }
      for (const auto &pieces : splits) {
        StreamedOutput s = streamOutput(pieces, o);
        EXPECT_EQ(s.reasoning, whole.reasoning) << text;
        EXPECT_EQ(s.content, whole.content) << text;
        ASSERT_GE(s.calls.size(), whole.toolCalls.size()) << text;
        for (size_t i = 0; i < whole.toolCalls.size(); ++i) {
          EXPECT_EQ(s.calls[i].name, whole.toolCalls[i].name);
          EXPECT_EQ(s.calls[i].arguments, whole.toolCalls[i].arguments);
        }
      }
    }
}

} // namespace
