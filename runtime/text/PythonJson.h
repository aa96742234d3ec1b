//===- PythonJson.h - JSON text as Python's json.dumps writes it -*- C++ -*-===//
//
// The chat template renders tools and tool-call arguments with Jinja's tojson, which is Python's
// json.dumps(ensure_ascii=False); vLLM writes tool-call arguments the same way. Byte-identical
// prompts and responses need the same text: ", " and ": " separators, keys in their order, floats
// as Python's repr writes them, non-ASCII as is, control characters as \u00xx.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_PYTHONJSON_H
#define AXE_RUNTIME_TEXT_PYTHONJSON_H

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace axe {

// json.dumps(value, ensure_ascii=False); invalid UTF-8 in strings becomes U+FFFD. Throws
// axe::Error for values nested deeper than 256 levels.
std::string pythonJsonDumps(const nlohmann::ordered_json &value);

// Appends `s` as a JSON string literal, escaped as json.dumps(ensure_ascii=False) escapes it.
void appendPythonJsonString(std::string &out, std::string_view s);

// Python's repr(float) (str() and json.dumps write the same digits); `asJson`: json.dumps's
// NaN / Infinity rather than repr's nan / inf.
std::string pythonFloat(double v, bool asJson);

} // namespace axe

#endif // AXE_RUNTIME_TEXT_PYTHONJSON_H
