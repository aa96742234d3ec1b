//===- ToolArguments.h - tool-call values as vLLM converts them -*- C++ -*-===//
//
// A qwen3_coder tool call writes every parameter as raw text; vLLM converts each to the type the
// tool's JSON schema gives it and serialises the arguments with Python's json.dumps. These do the
// same, so clients get the arguments string they would get from vLLM.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_TOOLARGUMENTS_H
#define AXE_RUNTIME_TEXT_TOOLARGUMENTS_H

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace axe {

// A parameter's raw value (its newlines already stripped) as the JSON text of its converted
// value. `schema` is the parameter's entry in the tool's "properties", or null when the tool or
// the parameter is unknown: the value then stays a string. With a schema, by its "type" (or the
// first non-null type of a type list or "anyOf"; none: string):
//   string, str, text, varchar, char, enum: the text as is (nullable: "null"/"None" is null);
//   other types: "null" or "None" (any case) is null;
//   int*, uint*, long*, short*, unsigned*: an integer (Python int() syntax), else the string;
//   num*, float*: a number, an integer when it is integral, else the string (also inf, nan);
//   boolean, bool, binary: true when the text is "true" in any case, false otherwise;
//   object, array, arr, dict*, list*: parsed as JSON (a JSON string holding a Python literal is
//     read once more), else as a Python literal, else the string;
//   anything else: a Python literal (True, None, 'single quotes', tuples), else the string.
std::string convertToolArgument(std::string_view value, const nlohmann::json *schema);


} // namespace axe

#endif // AXE_RUNTIME_TEXT_TOOLARGUMENTS_H
