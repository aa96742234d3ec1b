//===- PythonJson.cpp - JSON text as Python's json.dumps writes it --------===//

#include "runtime/text/PythonJson.h"

#include "support/Error.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace axe {

namespace {

// Arguments and tool schemas nest; deeper than this is not a schema, and the writer recurses.
constexpr int kMaxJsonDepth = 256;

// The length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8Length(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return i + k < s.size() ? (unsigned char)s[i + k] : 0u; };
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    unsigned c = at(k);
    return c >= lo && c <= hi;
  };
  unsigned c = at(0);
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

} // namespace

// Python's repr(float), which str() and json.dumps also write: the shortest digits that read
// back, positional when the decimal exponent is in (-4, 16], else d.ddde±XX.
std::string pythonFloat(double v, bool asJson) {
  if (std::isnan(v))
    return asJson ? "NaN" : "nan";
  if (std::isinf(v))
    return std::string(v < 0 ? "-" : "") + (asJson ? "Infinity" : "inf");
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, ptr); // "-1.2345e+20", "0e+00"
  std::string out;
  if (sci[0] == '-') {
    out = "-";
    sci.erase(0, 1);
  }
  size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  if (digits.size() > 1)
    digits.erase(1, 1); // the '.'
  int point = std::atoi(sci.c_str() + e + 1) + 1; // digits before the decimal point
  int n = int(digits.size());
  if (point > -4 && point <= 16) {
    if (point <= 0)
      out += "0." + std::string(-point, '0') + digits;
    else if (point >= n)
      out += digits + std::string(point - n, '0') + ".0";
    else
      out += digits.substr(0, point) + "." + digits.substr(point);
    return out;
  }
  out += digits.substr(0, 1);
  if (n > 1)
    out += "." + digits.substr(1);
  int exponent = point - 1;
  std::string exp = std::to_string(std::abs(exponent));
  out += (exponent < 0 ? "e-" : "e+") + (exp.size() < 2 ? "0" + exp : exp);
  return out;
}

void appendPythonJsonString(std::string &out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    if (c >= 0x80) {
      size_t n = utf8Length(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      if (c < 0x20) {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\u%04x", c);
        out += esc;
      } else {
        out += char(c);
      }
    }
    ++i;
  }
  out += '"';
}

namespace {

void dump(const nlohmann::ordered_json &v, std::string &out, int depth) {
  if (depth > kMaxJsonDepth)
    throw Error("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  switch (v.type()) {
  case nlohmann::ordered_json::value_t::null: out += "null"; return;
  case nlohmann::ordered_json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return;
  case nlohmann::ordered_json::value_t::number_integer: out += std::to_string(v.get<int64_t>()); return;
  case nlohmann::ordered_json::value_t::number_unsigned: out += std::to_string(v.get<uint64_t>()); return;
  case nlohmann::ordered_json::value_t::number_float: out += pythonFloat(v.get<double>(), true); return;
  case nlohmann::ordered_json::value_t::string: appendPythonJsonString(out, v.get_ref<const std::string &>()); return;
  case nlohmann::ordered_json::value_t::array: {
    out += '[';
    bool first = true;
    for (const nlohmann::ordered_json &item : v) {
      if (!first)
        out += ", ";
      first = false;
      dump(item, out, depth + 1);
    }
    out += ']';
    return;
  }
  case nlohmann::ordered_json::value_t::object: {
    out += '{';
    bool first = true;
    for (const auto &[key, item] : v.items()) {
      if (!first)
        out += ", ";
      first = false;
      appendPythonJsonString(out, key);
      out += ": ";
      dump(item, out, depth + 1);
    }
    out += '}';
    return;
  }
  default:
    throw Error("a binary value has no JSON text");
  }
}

// A tool-call argument as the template writes it: a string as is, an object or array as JSON,
// anything else as Python's str() (True, None, 1.5).
} // namespace

std::string pythonJsonDumps(const nlohmann::ordered_json &value) {
  std::string out;
  dump(value, out, 0);
  return out;
}

} // namespace axe
