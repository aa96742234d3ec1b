//===- ToolArguments.cpp - tool-call values as vLLM converts them ----------===//
//
// vLLM converts a parameter's text with Python's int(), float(), json.loads and
// ast.literal_eval, and writes the arguments with json.dumps; these are the parts of each that
// tool arguments need. Values become JSON text directly, not a JSON value first, so an integer
// wider than 64 bits comes out with all its digits, as Python's int() keeps them.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ToolArguments.h"

#include "runtime/text/PythonJson.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

namespace axe {

namespace {

// Deeper JSON or Python literals stay strings (Python's json and ast give up near 1000 levels).
constexpr int kMaxDepth = 512;

} // namespace

namespace {

void appendUtf8(std::string &out, uint32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
    cp = 0xFFFD;
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | cp >> 6);
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | cp >> 12);
    out += char(0x80 | (cp >> 6 & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | cp >> 18);
    out += char(0x80 | (cp >> 12 & 0x3F));
    out += char(0x80 | (cp >> 6 & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

std::string jsonString(std::string_view s) {
  std::string out;
  appendPythonJsonString(out, s);
  return out;
}

bool depthWithin(const nlohmann::ordered_json &v, int depth) {
  if (!v.is_structured())
    return true;
  if (depth <= 0)
    return false;
  for (const auto &item : v)
    if (!depthWithin(item, depth - 1))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Python's int(), float() and ast.literal_eval, as far as tool arguments need them
//===----------------------------------------------------------------------===//

bool isPySpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view stripPySpace(std::string_view s) {
  while (!s.empty() && isPySpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isPySpace(s.back()))
    s.remove_suffix(1);
  return s;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Digits with single underscores between them ("1_000"), appended without the underscores.
bool digitGroup(std::string_view s, size_t &i, std::string &out) {
  if (i >= s.size() || !isDigit(s[i]))
    return false;
  while (i < s.size()) {
    if (isDigit(s[i])) {
      out += s[i++];
    } else if (s[i] == '_' && i + 1 < s.size() && isDigit(s[i + 1])) {
      ++i;
    } else {
      break;
    }
  }
  return true;
}

// Python's int(text) in base 10, as JSON digits.
std::optional<std::string> pythonInt(std::string_view text) {
  std::string_view s = stripPySpace(text);
  bool negative = false;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-'))
    negative = s[i++] == '-';
  std::string digits;
  if (!digitGroup(s, i, digits) || i != s.size())
    return std::nullopt;
  size_t nz = digits.find_first_not_of('0');
  if (nz == std::string::npos)
    return std::string("0");
  return (negative ? "-" : "") + digits.substr(nz);
}

// Python's float(text); nullopt when it is not a number. inf and nan are numbers to Python.
std::optional<double> pythonFloatValue(std::string_view text) {
  std::string_view s = stripPySpace(text);
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-'))
    negative = s[i++] == '-';
  std::string word;
  for (char c : s.substr(i))
    word += char(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (word == "inf" || word == "infinity")
    return negative ? -HUGE_VAL : HUGE_VAL;
  if (word == "nan")
    return std::nan("");
  std::string num;
  bool intPart = digitGroup(s, i, num);
  bool fracPart = false;
  if (i < s.size() && s[i] == '.') {
    num += s[i++];
    fracPart = digitGroup(s, i, num);
  }
  if (!intPart && !fracPart)
    return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    num += s[i++];
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
      num += s[i++];
    if (!digitGroup(s, i, num))
      return std::nullopt;
  }
  if (i != s.size())
    return std::nullopt;
  double d = 0;
  auto res = std::from_chars(num.data(), num.data() + num.size(), d);
  if (res.ec == std::errc::result_out_of_range) {
    // Too large is infinite to Python; too small is zero.
    size_t e = num.find_first_of("eE");
    d = e != std::string::npos && num[e + 1] == '-' ? 0.0 : HUGE_VAL;
  } else if (res.ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -d : d;
}

// A subset of ast.literal_eval: numbers, strings, True/False/None, lists, tuples, dicts. What
// json.dumps could not write (sets, bytes, complex numbers, keys that are not scalars) and
// integers beyond 64 bits fail, and the caller keeps the string.
class PythonLiteral {
public:
  explicit PythonLiteral(std::string_view s) : s_(s) {}

  std::optional<nlohmann::ordered_json> parse() {
    nlohmann::ordered_json v;
    if (!value(v, kMaxDepth))
      return std::nullopt;
    space();
    if (i_ != s_.size())
      return std::nullopt;
    return v;
  }

private:
  void space() {
    while (i_ < s_.size() && isPySpace(s_[i_]))
      ++i_;
  }
  bool eat(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w)
      return false;
    size_t end = i_ + w.size();
    if (end < s_.size() && (std::isalnum((unsigned char)s_[end]) || s_[end] == '_'))
      return false;
    i_ = end;
    return true;
  }

  bool value(nlohmann::ordered_json &out, int depth) {
    space();
    if (i_ >= s_.size() || depth <= 0)
      return false;
    char c = s_[i_];
    if (c == '[' || c == '(')
      return sequence(out, depth);
    if (c == '{')
      return dict(out, depth);
    if (word("True")) {
      out = true;
      return true;
    }
    if (word("False")) {
      out = false;
      return true;
    }
    if (word("None")) {
      out = nullptr;
      return true;
    }
    if (c == '\'' || c == '"' || ((c == 'u' || c == 'U' || c == 'r' || c == 'R') &&
                                  i_ + 1 < s_.size() && (s_[i_ + 1] == '\'' || s_[i_ + 1] == '"'))) {
      std::string text;
      // Adjacent literals concatenate: 'a' "b" is 'ab'.
      do {
        if (!string(text))
          return false;
        space();
      } while (i_ < s_.size() && (s_[i_] == '\'' || s_[i_] == '"'));
      out = text;
      return true;
    }
    return number(out);
  }

  bool sequence(nlohmann::ordered_json &out, int depth) {
    char close = s_[i_] == '[' ? ']' : ')';
    ++i_;
    out = nlohmann::ordered_json::array();
    bool comma = true; // a tuple of one needs its comma: (1) is 1
    while (!eat(close)) {
      if (!out.empty() && !comma)
        return false;
      nlohmann::ordered_json item;
      if (!value(item, depth - 1))
        return false;
      out.push_back(std::move(item));
      comma = eat(',');
    }
    if (close == ')' && out.size() == 1 && !comma) {
      nlohmann::ordered_json inner = std::move(out[0]);
      out = std::move(inner);
    }
    return true;
  }

  bool dict(nlohmann::ordered_json &out, int depth) {
    ++i_;
    out = nlohmann::ordered_json::object();
    bool comma = true;
    while (!eat('}')) {
      if (!comma)
        return false;
      nlohmann::ordered_json key, item;
      if (!value(key, depth - 1) || !eat(':') || !value(item, depth - 1))
        return false;
      std::string name; // json.dumps writes scalar keys as strings
      if (key.is_string())
        name = key.get<std::string>();
      else if (key.is_boolean())
        name = key.get<bool>() ? "true" : "false";
      else if (key.is_null())
        name = "null";
      else if (key.is_number_float())
        name = pythonFloat(key.get<double>(), true);
      else if (key.is_number())
        name = key.dump();
      else
        return false;
      out[name] = std::move(item);
      comma = eat(',');
    }
    return true;
  }

  bool string(std::string &out) {
    bool raw = false;
    while (s_[i_] != '\'' && s_[i_] != '"') {
      raw |= s_[i_] == 'r' || s_[i_] == 'R';
      ++i_;
    }
    char quote = s_[i_++];
    bool triple = s_.substr(i_, 2) == std::string(2, quote);
    if (triple)
      i_ += 2;
    while (true) {
      if (i_ >= s_.size())
        return false;
      char c = s_[i_];
      if (c == quote && (!triple || s_.substr(i_, 3) == std::string(3, quote))) {
        i_ += triple ? 3 : 1;
        return true;
      }
      if (c == '\n' && !triple)
        return false;
      if (c != '\\' || raw) {
        out += c;
        ++i_;
        continue;
      }
      if (++i_ >= s_.size())
        return false;
      char e = s_[i_++];
      switch (e) {
      case '\n': break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case 'a': out += '\a'; break;
      case '\\': case '\'': case '"': out += e; break;
      case 'x': case 'u': case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        std::string_view hex = s_.substr(i_, n);
        auto res = std::from_chars(hex.data(), hex.data() + hex.size(), cp, 16);
        if (hex.size() != n || res.ptr != hex.data() + n)
          return false;
        i_ += n;
        appendUtf8(out, cp);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = e - '0';
          for (int k = 0; k < 2 && i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '7'; ++k)
            cp = cp * 8 + (s_[i_++] - '0');
          appendUtf8(out, cp);
        } else {
          out += '\\'; // Python keeps unknown escapes
          out += e;
        }
      }
    }
  }

  bool number(nlohmann::ordered_json &out) {
    bool negative = false;
    if (s_[i_] == '+' || s_[i_] == '-') {
      negative = s_[i_++] == '-';
      space();
    }
    std::string num;
    bool intPart = digitGroup(s_, i_, num);
    bool isFloat = false;
    if (i_ < s_.size() && s_[i_] == '.') {
      num += s_[i_++];
      isFloat = true;
      if (!digitGroup(s_, i_, num) && !intPart)
        return false;
    } else if (!intPart) {
      return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      num += s_[i_++];
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-'))
        num += s_[i_++];
      if (!digitGroup(s_, i_, num))
        return false;
      isFloat = true;
    }
    if (i_ < s_.size() && (std::isalnum((unsigned char)s_[i_]) || s_[i_] == '_'))
      return false; // 0x10, 1j, 5L: not handled
    if (isFloat) {
      auto v = pythonFloatValue(num);
      if (!v)
        return false;
      out = negative ? -*v : *v;
      return true;
    }
    if (num.size() > 1 && num[0] == '0' && num.find_first_not_of('0') != std::string::npos)
      return false; // 010 is a syntax error in Python 3
    int64_t n = 0;
    auto res = std::from_chars(num.data(), num.data() + num.size(), n);
    if (res.ec != std::errc())
      return false;
    out = negative ? -n : n;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::optional<nlohmann::ordered_json> literalEval(std::string_view s) {
  return PythonLiteral(s).parse();
}

std::optional<nlohmann::ordered_json> jsonLoads(std::string_view s) {
  auto v = nlohmann::ordered_json::parse(s.begin(), s.end(), nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded() || !depthWithin(v, kMaxDepth))
    return std::nullopt;
  return v;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c >= 'A' && c <= 'Z')
      c = char(c + 32);
  return out;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The schema's type, lowercased and trimmed: "type" (a string, or a list: its first non-null
// type), else the first non-null type of "anyOf", else "string". `nullable`: a null type is
// listed.
std::string schemaType(const nlohmann::json &schema, bool &nullable) {
  nullable = false;
  auto name = [](const nlohmann::json &t) {
    std::string s = t.is_string() ? t.get<std::string>() : t.dump();
    return lower(stripPySpace(s));
  };
  // The first non-null type of a list; "" when there is none.
  auto pick = [&](const nlohmann::json &types, auto typeOf) {
    std::string picked;
    for (const auto &t : types) {
      const nlohmann::json *type = typeOf(t);
      if (!type)
        continue;
      std::string n = name(*type);
      if (n == "null")
        nullable = true;
      else if (picked.empty())
        picked = n;
    }
    return picked;
  };
  if (!schema.is_object())
    return "string";
  auto type = schema.find("type");
  if (type != schema.end()) {
    if (!type->is_array()) {
      std::string n = name(*type);
      nullable = n == "null";
      return n;
    }
    std::string picked = pick(*type, [](const nlohmann::json &t) { return &t; });
    return !picked.empty() ? picked : nullable ? "null" : "string";
  }
  auto anyOf = schema.find("anyOf");
  if (anyOf != schema.end() && anyOf->is_array()) {
    std::string picked = pick(*anyOf, [](const nlohmann::json &t) -> const nlohmann::json * {
      auto it = t.is_object() ? t.find("type") : t.end();
      return t.is_object() && it != t.end() ? &*it : nullptr;
    });
    return picked.empty() ? "string" : picked;
  }
  return "string";
}

// The JSON text of an integral double: all its digits, as Python's int(float) gives them.
std::string integralDouble(double d) {
  if (std::fabs(d) < 9.2e18)
    return std::to_string(int64_t(d));
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.0f", d);
  return buf;
}

} // namespace

std::string convertToolArgument(std::string_view value, const nlohmann::json *schema) {
  std::string asString = jsonString(value);
  if (!schema)
    return asString;
  bool nullable = false;
  std::string type = schemaType(*schema, nullable);
  std::string low = lower(value);
  if (nullable && (low == "null" || low == "none"))
    return "null";
  if (type == "string" || type == "str" || type == "text" || type == "varchar" ||
      type == "char" || type == "enum")
    return asString;
  if (low == "null" || low == "none")
    return "null";
  if (startsWith(type, "int") || startsWith(type, "uint") || startsWith(type, "long") ||
      startsWith(type, "short") || startsWith(type, "unsigned")) {
    auto digits = pythonInt(value);
    return digits ? *digits : asString;
  }
  if (startsWith(type, "num") || startsWith(type, "float")) {
    auto d = pythonFloatValue(value);
    if (!d || !std::isfinite(*d))
      return asString;
    return std::trunc(*d) == *d ? integralDouble(*d) : pythonFloat(*d, true);
  }
  if (type == "boolean" || type == "bool" || type == "binary")
    return low == "true" ? "true" : "false";
  bool container = type == "object" || type == "array" || type == "arr" ||
                   startsWith(type, "dict") || startsWith(type, "list");
  if (container) {
    if (auto v = jsonLoads(value)) {
      // A JSON string holding a Python literal ("{'k': 'v'}"): read it once more.
      if (v->is_string())
        if (auto inner = literalEval(v->get_ref<const std::string &>()))
          return pythonJsonDumps(*inner);
      return pythonJsonDumps(*v);
    }
  }
  if (auto v = literalEval(value)) {
    if (container && v->is_string())
      if (auto inner = literalEval(v->get_ref<const std::string &>()))
        return pythonJsonDumps(*inner);
    return pythonJsonDumps(*v);
  }
  return asString;
}


} // namespace axe
