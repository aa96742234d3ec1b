//===- Tokenizer.cpp - text <-> token ids, from a tokenizer.json ----------===//

#include "runtime/text/Tokenizer.h"

#include "runtime/text/AddedTokens.h"
#include "runtime/text/ByteLevel.h"
#include "runtime/text/BytePairModel.h"
#include "runtime/text/SplitRegex.h"
#include "runtime/text/StringIdTable.h"
#include "runtime/text/TokenizerJson.h"
#include "runtime/text/Utf8.h"
#include "support/Error.h"
#include "support/RegularFile.h"

#include <unordered_map>

namespace axe {

using nlohmann::json;

struct Tokenizer::Impl {
  std::unique_ptr<BytePairModel> model;
  std::unique_ptr<SplitRegex> split;
  bool nfc = false;
  // Added tokens matched in the raw text (normalized: false) and in the normalized text
  // (normalized: true); [0]: the non-special ones only, [1]: all.
  AddedTokenMatcher rawAdded[2], normalizedAdded[2];
  std::vector<std::string> bytes; // id -> the bytes it decodes to
  std::vector<uint8_t> state;     // id -> kUnassigned, kModel or kSpecial / kAdded
  std::unordered_map<std::string, int32_t> addedIds;

  static constexpr uint8_t kUnassigned = 0, kModel = 1, kAdded = 2, kSpecial = 3;

  void encodeNormalized(std::string_view text, bool allowSpecial, std::vector<int32_t> &ids) const;
};

namespace {

// Field access that turns every shape mismatch into one clear line.
class Reader {
public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string &field, const std::string &what) const {
    throw Error(source_ + ": " + field + ": " + what);
  }

  const json &object(const json &parent, const char *key, const std::string &field) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_object())
      fail(field, it == parent.end() ? "missing" : "must be an object, not " + std::string(it->type_name()));
    return *it;
  }

  // The member's string, or `fallback` when it is absent or null.
  std::string string(const json &parent, const char *key, const std::string &field,
                     const std::string &fallback = "") const {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null())
      return fallback;
    if (!it->is_string())
      fail(field, "must be a string, not " + std::string(it->type_name()));
    return it->get<std::string>();
  }

  bool boolean(const json &parent, const char *key, const std::string &field, bool fallback) const {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null())
      return fallback;
    if (!it->is_boolean())
      fail(field, "must be true or false, not " + std::string(it->type_name()));
    return it->get<bool>();
  }

  int32_t id(const json &value, const std::string &field) const {
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > INT32_MAX)
      fail(field, "must be an id (an integer in [0, 2^31)), not " + value.dump());
    return int32_t(value.get<int64_t>());
  }

  std::string type(const json &component, const std::string &field) const {
    if (!component.is_object())
      fail(field, "must be an object, not " + std::string(component.type_name()));
    return string(component, "type", field + ".type");
  }

private:
  std::string source_;
};

bool isNfc(const Reader &r, const json &normalizer) {
  if (normalizer.is_null())
    return false;
  std::string type = r.type(normalizer, "normalizer");
  if (type == "NFC")
    return true;
  if (type == "Sequence") { // [NFC] or [] (as some converters write it)
    auto it = normalizer.find("normalizers");
    if (it == normalizer.end() || !it->is_array())
      r.fail("normalizer.normalizers", "missing or not an array");
    if (it->empty())
      return false;
    if (it->size() == 1 && r.type((*it)[0], "normalizer.normalizers[0]") == "NFC")
      return true;
  }
  r.fail("normalizer", "unsupported (axe implements NFC or none), got " + normalizer.dump().substr(0, 200));
}

// The Split regex of pre_tokenizer = Sequence[Split(Regex, Isolated), ByteLevel(no prefix space, no regex)].
std::string splitPattern(const Reader &r, const json &pre) {
  const char *expected = "Sequence[Split(Regex, behavior Isolated), ByteLevel(add_prefix_space false, "
                         "use_regex false)]";
  if (pre.is_null() || r.type(pre, "pre_tokenizer") != "Sequence")
    r.fail("pre_tokenizer", std::string("unsupported: axe implements ") + expected);
  auto list = pre.find("pretokenizers");
  if (list == pre.end() || !list->is_array() || list->size() != 2)
    r.fail("pre_tokenizer.pretokenizers", std::string("unsupported: axe implements ") + expected);
  const json &split = (*list)[0], &byteLevel = (*list)[1];
  if (r.type(split, "pre_tokenizer.pretokenizers[0]") != "Split" ||
      r.string(split, "behavior", "pre_tokenizer.pretokenizers[0].behavior") != "Isolated" ||
      r.boolean(split, "invert", "pre_tokenizer.pretokenizers[0].invert", false))
    r.fail("pre_tokenizer.pretokenizers[0]", std::string("unsupported: axe implements ") + expected);
  const json &pattern = r.object(split, "pattern", "pre_tokenizer.pretokenizers[0].pattern");
  std::string regex = r.string(pattern, "Regex", "pre_tokenizer.pretokenizers[0].pattern.Regex");
  if (regex.empty())
    r.fail("pre_tokenizer.pretokenizers[0].pattern", "needs a non-empty \"Regex\"");
  if (r.type(byteLevel, "pre_tokenizer.pretokenizers[1]") != "ByteLevel" ||
      r.boolean(byteLevel, "add_prefix_space", "pre_tokenizer.pretokenizers[1].add_prefix_space", true) ||
      r.boolean(byteLevel, "use_regex", "pre_tokenizer.pretokenizers[1].use_regex", true))
    r.fail("pre_tokenizer.pretokenizers[1]", std::string("unsupported: axe implements ") + expected);
  return regex;
}

} // namespace

Tokenizer Tokenizer::load(const std::string &path) {
  // Qwen's tokenizer.json is ~11 MB; the cap only stops a runaway read.
  constexpr uint64_t kMaxTokenizerBytes = 1ull << 30;
  return parse(readRegularFile(path, kMaxTokenizerBytes, "a tokenizer file"), path);
}

Tokenizer Tokenizer::parse(std::string_view text, const std::string &source) {
  Reader r(source);
  TokenizerJson file = readTokenizerJson(text, source);
  const json &root = file.rest;
  if (!root.is_object())
    throw Error(source + ": must be a JSON object (a tokenizer.json)");
  auto impl = std::make_shared<Impl>();

  // The model: vocabulary and merges.
  const json &model = r.object(root, "model", "model");
  std::string modelType = r.string(model, "type", "model.type", "BPE");
  if (modelType != "BPE")
    r.fail("model.type", "is \"" + modelType + "\"; axe implements byte-level \"BPE\"");
  if (r.boolean(model, "byte_fallback", "model.byte_fallback", false))
    r.fail("model.byte_fallback", "true is unsupported (byte-level BPE needs no fallback)");
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0))
    r.fail("model.dropout", "must be null: axe's tokenizer is deterministic");
  if (!r.string(model, "continuing_subword_prefix", "model.continuing_subword_prefix").empty() ||
      !r.string(model, "end_of_word_suffix", "model.end_of_word_suffix").empty())
    r.fail("model", "continuing_subword_prefix and end_of_word_suffix are unsupported");
  bool ignoreMerges = r.boolean(model, "ignore_merges", "model.ignore_merges", false);
  if (!file.hasVocab)
    r.object(model, "vocab", "model.vocab"); // fails: missing or not an object
  if (!file.hasMerges)
    r.fail("model.merges", model.contains("merges") ? "must be an array" : "missing");
  if (!file.error.empty())
    throw Error(source + ": " + file.error);

  StringIdTable ids(file.vocab.size()); // the vocabulary's strings (they stay in file.vocab)
  int32_t count = 0;
  for (const auto &entry : file.vocab)
    count = std::max(count, entry.second + 1);
  std::vector<std::pair<std::string, int32_t>> encodable; // (bytes, id) for the BPE model
  encodable.reserve(file.vocab.size());
  impl->bytes.resize(size_t(count));
  impl->state.assign(size_t(count), Impl::kUnassigned);
  std::string bytes;
  for (const auto &[token, id] : file.vocab) {
    if (impl->state[size_t(id)] != Impl::kUnassigned)
      r.fail("model.vocab", "id " + std::to_string(id) + " is given to two tokens");
    if (!ids.insert(token, id))
      r.fail("model.vocab", "\"" + token + "\" appears twice");
    impl->state[size_t(id)] = Impl::kModel;
    // HF's ByteLevel decoder: a string outside the byte-level alphabet decodes to its own UTF-8, and
    // no byte-level text can ever produce it.
    if (byteLevelToBytes(token, bytes)) {
      impl->bytes[size_t(id)] = bytes;
      encodable.emplace_back(bytes, id);
    } else {
      impl->bytes[size_t(id)] = token;
    }
  }

  std::vector<BytePairModel::Merge> merges;
  merges.reserve(file.merges.size());
  std::string joined;
  for (size_t i = 0; i < file.merges.size(); ++i) {
    const auto &[left, right] = file.merges[i];
    auto find = [&](std::string_view token) {
      int32_t id = ids.find(token);
      if (id < 0)
        r.fail("model.merges[" + std::to_string(i) + "]", "\"" + std::string(token) + "\" is not in model.vocab");
      return id;
    };
    int32_t leftId = find(left), rightId = find(right);
    joined.assign(left).append(right);
    merges.push_back({leftId, rightId, find(joined)});
  }
  try {
    impl->model = std::make_unique<BytePairModel>(encodable, merges, ignoreMerges);
  } catch (const Error &e) {
    r.fail("model.vocab", e.what());
  }

  // Normalizer, pre-tokenizer, decoder.
  impl->nfc = isNfc(r, root.value("normalizer", json()));
  std::string pattern = splitPattern(r, root.value("pre_tokenizer", json()));
  try {
    impl->split = std::make_unique<SplitRegex>(pattern);
  } catch (const Error &e) {
    r.fail("pre_tokenizer.pretokenizers[0].pattern", e.what());
  }
  json decoder = root.value("decoder", json());
  if (decoder.is_null() || r.type(decoder, "decoder") != "ByteLevel")
    r.fail("decoder", "unsupported: axe implements the ByteLevel decoder");
  json post = root.value("post_processor", json());
  if (!post.is_null() && r.type(post, "post_processor") != "ByteLevel")
    r.fail("post_processor", "unsupported: axe adds no tokens around the text (null or ByteLevel)");

  // Added tokens.
  std::vector<std::pair<std::string, int32_t>> raw[2], normalized[2];
  json added = root.value("added_tokens", json::array());
  if (!added.is_array())
    r.fail("added_tokens", "must be an array");
  for (size_t i = 0; i < added.size(); ++i) {
    std::string field = "added_tokens[" + std::to_string(i) + "]";
    const json &t = added[i];
    if (!t.is_object())
      r.fail(field, "must be an object");
    if (!t.contains("id"))
      r.fail(field + ".id", "missing");
    int32_t id = r.id(t["id"], field + ".id");
    std::string content = r.string(t, "content", field + ".content");
    if (content.empty())
      r.fail(field + ".content", "missing or empty");
    bool special = r.boolean(t, "special", field + ".special", false);
    bool norm = r.boolean(t, "normalized", field + ".normalized", !special);
    for (const char *flag : {"lstrip", "rstrip", "single_word"})
      if (r.boolean(t, flag, field + "." + flag, false))
        r.fail(field + "." + flag, "true is unsupported");
    if (id >= count) {
      count = id + 1;
      impl->bytes.resize(size_t(count));
      impl->state.resize(size_t(count), Impl::kUnassigned);
    }
    if (impl->state[size_t(id)] == Impl::kModel) {
      if (ids.find(content) != id)
        r.fail(field, "id " + std::to_string(id) + " is already a different token of model.vocab");
    } else if (impl->state[size_t(id)] != Impl::kUnassigned) {
      r.fail(field, "id " + std::to_string(id) + " is given to two added tokens");
    }
    if (!impl->addedIds.emplace(content, id).second)
      r.fail(field, "\"" + content + "\" is added twice");
    impl->state[size_t(id)] = special ? Impl::kSpecial : Impl::kAdded;
    impl->bytes[size_t(id)] = byteLevelToBytes(content, bytes) ? bytes : content;
    for (int all = 0; all < 2; ++all)
      if (all || !special)
        (norm ? normalized : raw)[all].emplace_back(content, id);
  }
  for (int all = 0; all < 2; ++all) {
    impl->rawAdded[all] = AddedTokenMatcher(raw[all]);
    impl->normalizedAdded[all] = AddedTokenMatcher(normalized[all]);
  }
  return Tokenizer(std::move(impl));
}

void Tokenizer::Impl::encodeNormalized(std::string_view text, bool allowSpecial,
                                       std::vector<int32_t> &ids) const {
  std::vector<std::string_view> pieces;
  auto plain = [&](std::string_view s) {
    pieces.clear();
    split->split(s, pieces);
    for (std::string_view piece : pieces)
      model->encode(piece, ids);
  };
  const AddedTokenMatcher &added = normalizedAdded[allowSpecial];
  if (added.empty())
    plain(text);
  else
    added.split(text, plain, [&](int32_t id) { ids.push_back(id); });
}

std::vector<int32_t> Tokenizer::encode(std::string_view input, bool allowSpecial) const {
  const Impl &im = *impl_;
  std::string repaired;
  std::string_view text = input;
  if (!isValidUtf8(input))
    text = repaired = repairUtf8(input);
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3);
  auto segment = [&](std::string_view s) {
    if (im.nfc)
      im.encodeNormalized(nfc(s), allowSpecial, ids);
    else
      im.encodeNormalized(s, allowSpecial, ids);
  };
  im.rawAdded[allowSpecial].split(text, segment, [&](int32_t id) { ids.push_back(id); });
  return ids;
}

std::string_view Tokenizer::tokenBytes(int32_t id) const {
  if (id < 0 || id >= idCount() || impl_->state[size_t(id)] == Impl::kUnassigned)
    throw Error("tokenizer: id " + std::to_string(id) + " is not a token");
  return impl_->bytes[size_t(id)];
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids) const {
  std::string bytes;
  for (int32_t id : ids)
    bytes += tokenBytes(id);
  return isValidUtf8(bytes) ? bytes : repairUtf8(bytes);
}

int32_t Tokenizer::idCount() const { return int32_t(impl_->state.size()); }

bool Tokenizer::isSpecial(int32_t id) const {
  return id >= 0 && id < idCount() && impl_->state[size_t(id)] == Impl::kSpecial;
}

std::optional<int32_t> Tokenizer::addedTokenId(std::string_view content) const {
  auto it = impl_->addedIds.find(std::string(content));
  if (it == impl_->addedIds.end())
    return std::nullopt;
  return it->second;
}

} // namespace axe
