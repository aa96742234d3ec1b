//===- BytePairModel.h - byte-level BPE with ranked merges ----*- C++ -*-===//
//
// The "BPE" model of a tokenizer.json, over bytes: a pre-token starts as one token per byte, and
// adjacent tokens are merged, lowest merge rank first (leftmost first among equal ranks), until no
// merge applies. With `ignoreMerges` a pre-token that is itself in the vocabulary is taken whole
// first, as tiktoken and HF's ignore_merges do.
//
// HF runs this with a priority queue of (rank, position) that it checks for stale entries by the
// merge's result only. That check never lets a stale entry through: a pair at a position only ever
// grows, and a longer pair cannot make the same token. So HF's order is exactly "lowest rank,
// leftmost", which a plain scan gives for short pieces (faster there); long ones use the queue.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_BYTEPAIRMODEL_H
#define AXE_RUNTIME_TEXT_BYTEPAIRMODEL_H

#include <array>
#include <climits>
#include <cstdint>
#include <string>
#include "runtime/text/StringIdTable.h"

#include <string_view>
#include <utility>
#include <vector>

namespace axe {

class BytePairModel {
public:
  struct Merge {
    int32_t left, right, result; // token ids
  };

  // `vocab`: (bytes, id) for each token; every single byte must be one. `merges` in rank order (a
  // later duplicate of a pair replaces the earlier one, as in HF). Throws axe::Error for a missing
  // byte.
  BytePairModel(const std::vector<std::pair<std::string, int32_t>> &vocab, const std::vector<Merge> &merges,
                bool ignoreMerges);
  BytePairModel(const BytePairModel &) = delete;
  BytePairModel &operator=(const BytePairModel &) = delete;

  // Appends the ids of one pre-token (non-empty bytes). Thread-safe.
  void encode(std::string_view piece, std::vector<int32_t> &ids) const;

private:
  void mergeByScan(std::string_view piece, std::vector<int32_t> &ids) const;
  void mergeByQueue(std::string_view piece, std::vector<int32_t> &ids) const;

  struct Rule {
    int32_t rank, result;
  };
  static constexpr Rule kNoRule = {INT32_MAX, -1};
  // The merges as an open-addressing hash table (linear probing): the lookup in the inner loop of
  // every encode, and half a million entries to build at load.
  struct Slot {
    uint64_t key = kEmpty;
    Rule rule{};
  };
  static constexpr uint64_t kEmpty = ~uint64_t(0); // no pair of ids (< 2^31) has this key
  static uint64_t key(int32_t left, int32_t right) { return uint64_t(uint32_t(left)) << 32 | uint32_t(right); }
  size_t slotOf(uint64_t k) const { return size_t((k * 0x9E3779B97F4A7C15ull) >> shift_); }
  const Rule *rule(int32_t left, int32_t right) const {
    uint64_t k = key(left, right);
    for (size_t i = slotOf(k);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].key == k)
        return &slots_[i].rule;
      if (slots_[i].key == kEmpty)
        return nullptr;
    }
  }

  std::string arena_; // the vocabulary's bytes, which vocab_'s keys point into
  StringIdTable vocab_;
  std::vector<Slot> slots_; // a power of two, at most half full
  int shift_ = 64;
  std::array<int32_t, 256> byteIds_{};
  bool ignoreMerges_;
};

} // namespace axe

#endif // AXE_RUNTIME_TEXT_BYTEPAIRMODEL_H
