//===- ChatFormat.cpp - OpenAI-style messages to the Qwen3.5 prompt text --===//
//
// Two steps: every message is checked and reduced to its role, its text (trimmed, as the
// template's |trim does: Python's str.strip, Unicode whitespace included), its reasoning and its
// tool calls with each argument already written out; then the turns are written. Where the
// reference template would raise, this throws axe::Error; where it would render something odd
// from clearly malformed input (a tool result that answers nothing, a tool call without a name),
// this throws too. OpenAI's JSON-string tool-call arguments are decoded first, as vLLM does
// before it applies a template.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ChatFormat.h"

#include "runtime/text/PythonJson.h"

#include "support/Error.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace axe {

namespace {

using Json = nlohmann::ordered_json;

const char kToolsHeader[] = "# Tools\n\nYou have access to the following functions:\n\n<tools>";

// The qwen3_coder format instructions that follow the tool list.
const char kToolInstructions[] =
    "\n</tools>\n\n"
    "If you choose to call a function ONLY reply in the following format with NO suffix:\n\n"
    "<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\nvalue_1\n"
    "</parameter>\n<parameter=example_parameter_2>\nThis is the value for the second parameter\n"
    "that can span\nmultiple lines\n</parameter>\n</function>\n</tool_call>\n\n"
    "<IMPORTANT>\nReminder:\n"
    "- Function calls MUST follow the specified format: an inner <function=...></function> block "
    "must be nested within <tool_call></tool_call> XML tags\n"
    "- Required parameters MUST be specified\n"
    "- You may provide optional reasoning for your function call in natural language BEFORE the "
    "function call, but NOT after\n"
    "- If there is no function call available, answer the question like normal with your current "
    "knowledge and do not tell the user about function calls\n"
    "</IMPORTANT>";

enum class Role { System, User, Assistant, Tool };

struct ToolCall {
  std::string name;
  std::vector<std::pair<std::string, std::string>> arguments; // name, value as written
};

struct Message {
  Role role;
  std::string text;                     // trimmed
  std::optional<std::string> reasoning; // reasoning_content (or an alias) when given
  std::vector<ToolCall> toolCalls;
};

//===--- Python's str.strip and float repr --------------------------------===//

// What Python's str.isspace() accepts, hence what str.strip() (Jinja's trim) removes.
bool isPythonSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// The code point of the UTF-8 sequence at s[i] and its length; a malformed one reads as U+FFFD
// (not a space), one byte long. nlohmann only parses valid UTF-8, so that is for built values.
uint32_t decodeAt(const std::string &s, size_t i, size_t &len) {
  auto byte = [&](size_t k) { return uint8_t(s[k]); };
  uint8_t b0 = byte(i);
  len = 1;
  if (b0 < 0x80)
    return b0;
  size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (n == 0 || i + n > s.size())
    return 0xFFFD;
  uint32_t cp = b0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80)
      return 0xFFFD;
    cp = cp << 6 | (byte(i + k) & 0x3F);
  }
  len = n;
  return cp;
}

std::string pythonStrip(const std::string &s) {
  size_t begin = 0, end = s.size(), len;
  while (begin < end && isPythonSpace(decodeAt(s, begin, len)) && begin + len <= end)
    begin += len;
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && end - start < 4 && (uint8_t(s[start]) & 0xC0) == 0x80)
      --start;
    if (!isPythonSpace(decodeAt(s, start, len)) || start + len != end)
      break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

void lstripNewlines(std::string &s) {
  size_t first = s.find_first_not_of('\n');
  s.erase(0, first == std::string::npos ? s.size() : first);
}

void rstripNewlines(std::string &s) {
  size_t last = s.find_last_not_of('\n');
  s.erase(last == std::string::npos ? 0 : last + 1);
}

bool startsWith(const std::string &s, const char *prefix) { return s.rfind(prefix, 0) == 0; }

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A tool-call argument as the template writes it: a string as is, an object or array as JSON,
// anything else as Python's str() (True, None, 1.5).
std::string argumentText(const Json &v) {
  switch (v.type()) {
  case Json::value_t::string: return v.get<std::string>();
  case Json::value_t::boolean: return v.get<bool>() ? "True" : "False";
  case Json::value_t::null: return "None";
  case Json::value_t::number_float: return pythonFloat(v.get<double>(), false);
  default: return pythonJsonDumps(v);
  }
}

//===--- checking and reducing the messages -------------------------------===//

const char *typeName(const Json &v) {
  switch (v.type()) {
  case Json::value_t::null: return "null";
  case Json::value_t::boolean: return "a boolean";
  case Json::value_t::string: return "a string";
  case Json::value_t::array: return "an array";
  case Json::value_t::object: return "an object";
  default: return "a number";
  }
}

// The member `key` of `object`; null when absent (transformers drops a message's null keys, and
// the template reads an absent key as undefined).
const Json &member(const Json &object, const char *key) {
  static const Json null;
  auto it = object.find(key);
  return it == object.end() ? null : *it;
}

// The text of a message's content: a string, text parts concatenated, or "" for null.
std::string contentText(const Json &content, const std::string &where) {
  if (content.is_null())
    return "";
  if (content.is_string())
    return content.get<std::string>();
  if (!content.is_array())
    throw Error(where + " must be a string, an array of content parts or null, not " + typeName(content));
  std::string text;
  for (size_t j = 0; j < content.size(); ++j) {
    const Json &part = content[j];
    std::string at = where + "[" + std::to_string(j) + "]";
    if (!part.is_object())
      throw Error(at + " must be an object, not " + typeName(part));
    const Json &type = member(part, "type");
    if (part.contains("image") || part.contains("image_url") || type == "image")
      throw Error(at + ": image input is not supported (this model is served text-only)");
    if (part.contains("video") || type == "video")
      throw Error(at + ": video input is not supported (this model is served text-only)");
    if (!part.contains("text") && type.is_string())
      throw Error(at + ": a content part of type '" + type.get<std::string>() +
                  "' is not supported (only text parts are)");
    if (!part.contains("text"))
      throw Error(at + " has no text (only text parts are supported)");
    const Json &partText = part["text"];
    if (!partText.is_string())
      throw Error(at + ".text must be a string, not " + typeName(partText));
    text += partText.get<std::string>();
  }
  return text;
}

Role parseRole(const Json &message, const std::string &where) {
  const Json &role = member(message, "role");
  if (role.is_null())
    throw Error(where + " has no role");
  if (!role.is_string())
    throw Error(where + ".role must be a string, not " + typeName(role));
  const std::string &name = role.get_ref<const std::string &>();
  if (name == "system")
    return Role::System;
  if (name == "user")
    return Role::User;
  if (name == "assistant")
    return Role::Assistant;
  if (name == "tool")
    return Role::Tool;
  throw Error(where + ": unknown role '" + name + "' (expected system, user, assistant or tool)");
}

// The arguments of a tool call, each written out. They are an object, or OpenAI's JSON string of
// one (decoded, as vLLM does); null and "" mean none. Never copied: a copy of deeply nested JSON
// recurses as deep.
void readArguments(const Json &arguments, const std::string &where, ToolCall &call) {
  Json decoded;
  const Json *object = &arguments;
  if (arguments.is_null())
    return;
  if (arguments.is_string()) {
    const std::string &text = arguments.get_ref<const std::string &>();
    if (text.empty())
      return;
    try {
      decoded = Json::parse(text);
    } catch (const Json::exception &e) { // parse_error, or out_of_range for 1e999
      throw Error(where + ": malformed JSON: " + e.what());
    }
    if (!decoded.is_object())
      throw Error(where + " must encode a JSON object, not " + typeName(decoded));
    object = &decoded;
  } else if (!arguments.is_object()) {
    throw Error(where + " must be an object or a JSON string of one, not " + typeName(arguments));
  }
  for (const auto &[key, value] : object->items()) {
    try {
      call.arguments.emplace_back(key, argumentText(value));
    } catch (const Error &e) {
      throw Error(where + "." + key + ": " + e.what());
    }
  }
}

std::vector<ToolCall> parseToolCalls(const Json &calls, const std::string &where) {
  if (!calls.is_array())
    throw Error(where + " must be an array, not " + typeName(calls));
  std::vector<ToolCall> out;
  for (size_t k = 0; k < calls.size(); ++k) {
    std::string at = where + "[" + std::to_string(k) + "]";
    if (!calls[k].is_object())
      throw Error(at + " must be an object, not " + typeName(calls[k]));
    // {"function": {"name", "arguments"}}, or the function's fields at the top.
    const Json *fn = &calls[k];
    if (calls[k].contains("function")) {
      fn = &calls[k]["function"];
      at += ".function";
      if (!fn->is_object())
        throw Error(at + " must be an object, not " + typeName(*fn));
    }
    const Json &name = member(*fn, "name");
    if (!name.is_string() || name.get_ref<const std::string &>().empty())
      throw Error(at + ".name must be a non-empty string");
    ToolCall call;
    call.name = name.get<std::string>();
    readArguments(member(*fn, "arguments"), at + ".arguments", call);
    out.push_back(std::move(call));
  }
  return out;
}

Message parseMessage(const Json &messages, size_t i) {
  std::string where = "messages[" + std::to_string(i) + "]";
  const Json &m = messages[i];
  if (!m.is_object())
    throw Error(where + " must be an object, not " + typeName(m));
  Message msg;
  msg.role = parseRole(m, where);
  if (msg.role == Role::System && i != 0)
    throw Error(where + ": a system message must be the first message");
  msg.text = pythonStrip(contentText(member(m, "content"), where + ".content"));

  const Json &calls = member(m, "tool_calls");
  if (msg.role == Role::Assistant) {
    // transformers reads the first of these that is not null as reasoning_content.
    for (const char *key : {"reasoning_content", "thinking", "reasoning"}) {
      const Json &r = member(m, key);
      if (r.is_null())
        continue;
      if (!r.is_string())
        throw Error(where + "." + key + " must be a string, not " + typeName(r));
      msg.reasoning = r.get<std::string>();
      break;
    }
    if (!calls.is_null())
      msg.toolCalls = parseToolCalls(calls, where + ".tool_calls");
  } else if (!calls.is_null()) {
    throw Error(where + ": only assistant messages carry tool_calls");
  }
  return msg;
}

void checkTools(const Json &tools) {
  if (tools.is_null())
    return;
  if (!tools.is_array())
    throw Error("tools must be an array of function tools, not " + std::string(typeName(tools)));
  for (size_t k = 0; k < tools.size(); ++k) {
    std::string at = "tools[" + std::to_string(k) + "]";
    const Json &tool = tools[k];
    if (!tool.is_object())
      throw Error(at + " must be an object, not " + typeName(tool));
    const Json &type = member(tool, "type");
    if (!type.is_null() && type != "function")
      throw Error(at + ": only function tools are supported, not type " + type.dump());
    const Json &fn = member(tool, "function");
    if (!fn.is_object())
      throw Error(at + ".function must be an object");
    const Json &name = member(fn, "name");
    if (!name.is_string() || name.get_ref<const std::string &>().empty())
      throw Error(at + ".function.name must be a non-empty string");
  }
}

//===--- writing the turns ------------------------------------------------===//

void writeAssistant(const Message &m, bool keepReasoning, std::string &out) {
  std::string content = m.text;
  std::string reasoning;
  if (m.reasoning) {
    reasoning = *m.reasoning;
  } else if (size_t close = content.find("</think>"); close != std::string::npos) {
    // Python: content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n'), and
    // the content is what follows the last </think>.
    reasoning = content.substr(0, close);
    rstripNewlines(reasoning);
    if (size_t open = reasoning.rfind("<think>"); open != std::string::npos)
      reasoning.erase(0, open + 7);
    lstripNewlines(reasoning);
    content.erase(0, content.rfind("</think>") + 8);
    lstripNewlines(content);
  }
  out += "<|im_start|>assistant\n";
  if (keepReasoning)
    out += "<think>\n" + pythonStrip(reasoning) + "\n</think>\n\n";
  out += content;
  for (size_t k = 0; k < m.toolCalls.size(); ++k) {
    if (k > 0)
      out += "\n";
    else if (!pythonStrip(content).empty())
      out += "\n\n";
    out += "<tool_call>\n<function=" + m.toolCalls[k].name + ">\n";
    for (const auto &[name, value] : m.toolCalls[k].arguments)
      out += "<parameter=" + name + ">\n" + value + "\n</parameter>\n";
    out += "</function>\n</tool_call>";
  }
  out += "<|im_end|>\n";
}

} // namespace

std::string formatChat(const nlohmann::ordered_json &messages, const nlohmann::ordered_json &tools,
                       const ChatFormatOptions &options) {
  if (!messages.is_array())
    throw Error("messages must be an array, not " + std::string(typeName(messages)));
  if (messages.empty())
    throw Error("messages is empty");
  checkTools(tools);

  std::vector<Message> msgs;
  msgs.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    msgs.push_back(parseMessage(messages, i));
    bool answersACall = i > 0 && (msgs[i - 1].role == Role::Tool || (msgs[i - 1].role == Role::Assistant &&
                                                                    !msgs[i - 1].toolCalls.empty()));
    if (msgs[i].role == Role::Tool && !answersACall)
      throw Error("messages[" + std::to_string(i) + "]: a tool message must follow an assistant message " +
                  "with tool_calls, or another tool message");
  }

  // The last real user query: a user message that is not only a <tool_response> block.
  // Assistant turns after it keep their reasoning.
  std::optional<size_t> lastQuery;
  for (size_t i = 0; i < msgs.size(); ++i)
    if (msgs[i].role == Role::User &&
        !(startsWith(msgs[i].text, "<tool_response>") && endsWith(msgs[i].text, "</tool_response>")))
      lastQuery = i;
  if (!lastQuery)
    throw Error("messages have no user query (a user message that is not only a tool response)");

  std::string out;
  bool hasSystem = msgs[0].role == Role::System;
  if (tools.is_array() && !tools.empty()) {
    out += "<|im_start|>system\n";
    out += kToolsHeader;
    for (size_t k = 0; k < tools.size(); ++k) {
      try {
        out += "\n" + pythonJsonDumps(tools[k]);
      } catch (const Error &e) {
        throw Error("tools[" + std::to_string(k) + "]: " + e.what());
      }
    }
    out += kToolInstructions;
    if (hasSystem && !msgs[0].text.empty())
      out += "\n\n" + msgs[0].text;
    out += "<|im_end|>\n";
  } else if (hasSystem) {
    out += "<|im_start|>system\n" + msgs[0].text + "<|im_end|>\n";
  }

  for (size_t i = 0; i < msgs.size(); ++i) {
    const Message &m = msgs[i];
    switch (m.role) {
    case Role::System:
      break;
    case Role::User:
      out += "<|im_start|>user\n" + m.text + "<|im_end|>\n";
      break;
    case Role::Assistant:
      writeAssistant(m, i > *lastQuery, out);
      break;
    case Role::Tool:
      // Consecutive tool results share one user turn.
      if (msgs[i - 1].role != Role::Tool)
        out += "<|im_start|>user";
      out += "\n<tool_response>\n" + m.text + "\n</tool_response>";
      if (i + 1 == msgs.size() || msgs[i + 1].role != Role::Tool)
        out += "<|im_end|>\n";
      break;
    }
  }

  if (options.addGenerationPrompt) {
    out += "<|im_start|>assistant\n<think>\n";
    if (!options.enableThinking)
      out += "\n</think>\n\n";
  }
  return out;
}

} // namespace axe
