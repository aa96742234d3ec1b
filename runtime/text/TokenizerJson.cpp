//===- TokenizerJson.cpp - reading tokenizer.json in one pass -------------===//

#include "runtime/text/TokenizerJson.h"

#include "support/Error.h"

namespace axe {
namespace {

using nlohmann::json;

class Reader : public nlohmann::json_sax<json> {
public:
  Reader(TokenizerJson &out, std::string source) : out_(out), source_(std::move(source)) {}

  bool null() override { return value(nullptr); }
  bool boolean(bool v) override { return value(v); }
  bool number_integer(number_integer_t v) override { return value(v); }
  bool number_unsigned(number_unsigned_t v) override { return value(v); }
  bool number_float(number_float_t v, const string_t &) override { return value(v); }
  bool binary(binary_t &v) override { return value(json::binary(v)); }

  bool string(string_t &v) override {
    if (skipDepth_)
      return true;
    if (mode_ == Mode::Merges) {
      size_t space = v.find(' ');
      if (space == std::string::npos || space == 0 || space + 1 == v.size() ||
          v.find(' ', space + 1) != std::string::npos)
        fail(mergeField() + ": a merge string must be two tokens separated by one space, got \"" + v + "\"");
      else
        out_.merges.emplace_back(v.substr(0, space), v.substr(space + 1));
      ++mergeIndex_;
      return true;
    }
    if (mode_ == Mode::MergePair) {
      pair_.push_back(std::move(v));
      return true;
    }
    return value(std::move(v));
  }

  bool key(string_t &k) override {
    if (skipDepth_)
      return true;
    (mode_ == Mode::Vocab ? token_ : key_) = std::move(k);
    return true;
  }

  bool start_object(std::size_t) override {
    if (skipDepth_ || mode_ != Mode::Dom)
      return skip("an object");
    if (isModelMember("vocab")) {
      mode_ = Mode::Vocab;
      out_.hasVocab = true;
      return true;
    }
    open(json::object());
    return true;
  }

  bool end_object() override {
    if (skipDepth_)
      --skipDepth_;
    else if (mode_ == Mode::Vocab)
      mode_ = Mode::Dom;
    else
      stack_.pop_back();
    return true;
  }

  bool start_array(std::size_t) override {
    if (skipDepth_ || mode_ == Mode::Vocab || mode_ == Mode::MergePair)
      return skip("an array");
    if (mode_ == Mode::Merges) {
      mode_ = Mode::MergePair;
      pair_.clear();
      return true;
    }
    if (isModelMember("merges")) {
      mode_ = Mode::Merges;
      out_.hasMerges = true;
      return true;
    }
    open(json::array());
    return true;
  }

  bool end_array() override {
    if (skipDepth_) {
      --skipDepth_;
    } else if (mode_ == Mode::MergePair) {
      if (pair_.size() == 2 && !pairBroken_)
        out_.merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
      else
        fail(mergeField() + ": must be \"left right\" or [\"left\", \"right\"]");
      pairBroken_ = false;
      ++mergeIndex_;
      mode_ = Mode::Merges;
    } else if (mode_ == Mode::Merges) {
      mode_ = Mode::Dom;
    } else {
      stack_.pop_back();
    }
    return true;
  }

  bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &e) override {
    throw Error(source_ + ": not valid JSON: " + e.what());
  }

private:
  enum class Mode { Dom, Vocab, Merges, MergePair };

  // A container nested where a vocabulary entry or a merge's string belongs: an error, and its
  // contents are dropped (the parser still reports them; skipDepth_ counts the levels).
  bool skip(const char *what) {
    if (skipDepth_++ == 0) {
      if (mode_ == Mode::Vocab)
        fail("model.vocab[\"" + token_ + "\"]: must be an id, not " + what);
      else
        pairBroken_ = true;
    }
    return true;
  }

  bool value(json v) {
    if (skipDepth_)
      return true;
    switch (mode_) {
    case Mode::Vocab:
      if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= INT32_MAX)
        out_.vocab.emplace_back(std::move(token_), int32_t(v.get<int64_t>()));
      else
        fail("model.vocab[\"" + token_ + "\"]: must be an id (an integer in [0, 2^31)), not " + v.dump());
      return true;
    case Mode::Merges:
      fail(mergeField() + ": must be \"left right\" or [\"left\", \"right\"], got " + v.dump());
      ++mergeIndex_;
      return true;
    case Mode::MergePair:
      pairBroken_ = true;
      return true;
    case Mode::Dom:
      break;
    }
    if (stack_.empty()) {
      out_.rest = std::move(v);
      return true;
    }
    json &top = *stack_.back();
    if (top.is_object())
      top[key_] = std::move(v);
    else
      top.push_back(std::move(v));
    return true;
  }

  void open(json container) {
    if (stack_.empty()) {
      out_.rest = std::move(container);
      stack_.push_back(&out_.rest);
      return;
    }
    json &top = *stack_.back();
    if (top.is_object()) {
      stack_.push_back(&(top[key_] = std::move(container)));
    } else {
      top.push_back(std::move(container));
      stack_.push_back(&top.back()); // the parent gets no other element while this one is open
    }
  }

  // Whether the container about to open is the root's "model" object's member `name`.
  bool isModelMember(const char *name) const {
    return stack_.size() == 2 && key_ == name && stack_[1]->is_object() && stack_[0]->is_object() &&
           stack_[0]->find("model") != stack_[0]->end() && &*stack_[0]->find("model") == stack_[1];
  }

  std::string mergeField() const { return "model.merges[" + std::to_string(mergeIndex_) + "]"; }

  void fail(const std::string &message) {
    if (out_.error.empty())
      out_.error = message;
  }

  TokenizerJson &out_;
  std::string source_;
  std::vector<json *> stack_; // the open DOM containers
  std::string key_, token_;
  Mode mode_ = Mode::Dom;
  size_t skipDepth_ = 0;
  std::vector<std::string> pair_;
  bool pairBroken_ = false;
  size_t mergeIndex_ = 0;
};

} // namespace

TokenizerJson readTokenizerJson(std::string_view text, const std::string &source) {
  TokenizerJson out;
  Reader reader(out, source);
  json::sax_parse(text.begin(), text.end(), &reader);
  return out;
}

} // namespace axe
