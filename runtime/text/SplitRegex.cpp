//===- SplitRegex.cpp - the pre-tokenizer's split regex -------------------===//

#include "runtime/text/SplitRegex.h"

#include "runtime/text/HfUnicode.h"
#include "support/Error.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace axe {
namespace {

// Unicode's White_Space property, as members of a character class.
const char kWhiteSpace[] = "\\x{9}-\\x{D}\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
                           "\\x{202F}\\x{205F}\\x{3000}";

std::string pcre2Message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof buf);
  return reinterpret_cast<const char *>(buf);
}

// Per-thread match state: the ovector, and a JIT stack larger than the default 32 KiB so that long
// runs of one class cannot exhaust it.
struct MatchState {
  pcre2_match_data *data = pcre2_match_data_create(1, nullptr);
  pcre2_match_context *context = pcre2_match_context_create(nullptr);
  pcre2_jit_stack *stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
  MatchState() {
    if (!data || !context || !stack)
      throw Error("tokenizer: out of memory for the split regex's match state");
    pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~MatchState() {
    pcre2_jit_stack_free(stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
};

size_t utf8Length(unsigned char lead) { return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

} // namespace

std::string translateForPcre2(const std::string &pattern) {
  std::string out;
  bool inClass = false;
  // `members` as part of the class being written, or as a class of its own (negated or not).
  auto put = [&](const std::string &members, bool negated, const char *escape) {
    if (!inClass)
      out += (negated ? "[^" : "[") + members + "]";
    else if (!negated)
      out += members;
    else
      throw Error(std::string("tokenizer: the split regex uses ") + escape +
                  " inside a character class, which axe cannot translate for PCRE2");
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      char e = pattern[++i];
      if (e == 's' || e == 'S') {
        put(kWhiteSpace, e == 'S', e == 's' ? "\\s" : "\\S");
        continue;
      }
      // \p{L}, \pL and the like: PCRE2's class plus what HF's Oniguruma has beyond it.
      if ((e == 'p' || e == 'P') && i + 1 < pattern.size()) {
        bool braced = pattern[i + 1] == '{';
        size_t nameEnd = braced ? pattern.find('}', i + 2) : i + 2;
        std::string name =
            nameEnd == std::string::npos ? "" : pattern.substr(braced ? i + 2 : i + 1, nameEnd - i - (braced ? 2 : 1));
        std::string extra = name.size() == 1 ? hfExtraClassMembers(name[0]) : "";
        if (!extra.empty()) {
          put("\\p{" + name + "}" + extra, e == 'P', e == 'p' ? "\\p" : "\\P");
          i = braced ? nameEnd : i + 1;
          continue;
        }
      }
      out += c;
      out += e;
      continue;
    }
    if (!inClass && c == '[') {
      inClass = true;
      out += c;
      // A ']' right after '[' or '[^' is a member, not the end of the class.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^')
        out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']')
        out += pattern[++i];
      continue;
    }
    if (inClass && c == ']')
      inClass = false;
    out += c;
  }
  return out;
}

struct SplitRegex::Impl {
  pcre2_code *code = nullptr;
  bool jit = false;
  ~Impl() { pcre2_code_free(code); }
};

SplitRegex::SplitRegex(const std::string &pattern)
    : translated_(translateForPcre2(pattern)), impl_(std::make_unique<Impl>()) {
  int error;
  PCRE2_SIZE offset;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated_.data()), translated_.size(),
                              PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (!impl_->code)
    throw Error("tokenizer: PCRE2 rejects the split regex at offset " + std::to_string(offset) + ": " +
                pcre2Message(error));
  impl_->jit = pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0; // else: the interpreter
}

SplitRegex::~SplitRegex() = default;

void SplitRegex::split(std::string_view text, std::vector<std::string_view> &pieces) const {
  thread_local MatchState state;
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t n = text.size(), pos = 0, done = 0; // [done, pos): not yet in a piece
  while (pos < n) {
    int rc = impl_->jit ? pcre2_jit_match(impl_->code, subject, n, pos, 0, state.data, state.context)
                        : pcre2_match(impl_->code, subject, n, pos, PCRE2_NO_UTF_CHECK, state.data,
                                      state.context);
    if (rc == PCRE2_ERROR_NOMATCH)
      break;
    if (rc < 0)
      throw Error("tokenizer: the split regex failed on the input: " + pcre2Message(rc));
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(state.data);
    size_t begin = ov[0], end = ov[1];
    if (end == begin) { // an empty match makes no piece; step over one character
      if (end >= n)
        break;
      pos = end + utf8Length(static_cast<unsigned char>(text[end]));
      continue;
    }
    if (begin > done)
      pieces.push_back(text.substr(done, begin - done));
    pieces.push_back(text.substr(begin, end - begin));
    done = pos = end;
  }
  if (done < n)
    pieces.push_back(text.substr(done));
}

} // namespace axe
