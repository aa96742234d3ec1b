//===- JsonObject.h - a JSON object from text, or a clear error -*- C++ -*-===//
#ifndef AXE_SUPPORT_JSONOBJECT_H
#define AXE_SUPPORT_JSONOBJECT_H

#include "support/Error.h"

#include <nlohmann/json.hpp>

#include <string>

namespace axe {

// Parses `text` from `origin` (a path, or a description); malformed JSON, or a JSON value that is
// not an object, is an axe::Error naming the origin and what was expected (`a config`, ...).
inline nlohmann::json parseJsonObject(const std::string &text, const std::string &origin,
                                      const std::string &what) {
  nlohmann::json top;
  try {
    top = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception &e) { // parse_error, and out_of_range for 1e999
    throw Error(origin + ": malformed JSON: " + e.what());
  }
  if (!top.is_object())
    throw Error(origin + ": " + what + " must be a JSON object");
  return top;
}

} // namespace axe

#endif // AXE_SUPPORT_JSONOBJECT_H
