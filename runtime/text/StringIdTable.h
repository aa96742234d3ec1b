//===- StringIdTable.h - string -> id, open addressing --------*- C++ -*-===//
//
// The tokenizer looks up every pre-token in a vocabulary of ~250k strings, and the loader looks up
// 1.5M merge halves. std::unordered_map's node per entry makes each lookup a chain of cache
// misses; this flat table keeps the hash, the id and where the string is in one slot, and
// compares strings only on a full hash match. It does not own the strings (they must outlive it).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_STRINGIDTABLE_H
#define AXE_RUNTIME_TEXT_STRINGIDTABLE_H

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace axe {

class StringIdTable {
public:
  // Room for `n` strings at most half full (so probes stay short).
  explicit StringIdTable(size_t n = 0) {
    size_t capacity = 16;
    while (capacity < 2 * n)
      capacity *= 2;
    slots_.assign(capacity, Slot{});
  }

  // Adds `s` -> id; false (and no change) when `s` is already there.
  bool insert(std::string_view s, int32_t id) {
    if (2 * (size_ + 1) > slots_.size())
      grow();
    uint64_t h = hash(s);
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      Slot &slot = slots_[i];
      if (slot.id < 0) {
        slot = {h, s.data(), uint32_t(s.size()), id};
        ++size_;
        return true;
      }
      if (slot.hash == h && equal(slot, s))
        return false;
    }
  }

  // The id of `s`, or -1.
  int32_t find(std::string_view s) const {
    uint64_t h = hash(s);
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot &slot = slots_[i];
      if (slot.id < 0)
        return -1;
      if (slot.hash == h && equal(slot, s))
        return slot.id;
    }
  }

  size_t size() const { return size_; }

private:
  struct Slot {
    uint64_t hash = 0;
    const char *data = nullptr;
    uint32_t size = 0;
    int32_t id = -1; // -1: empty
  };

  // FNV-1a, then a multiply-xorshift so that the low bits (the slot) depend on every byte.
  static uint64_t hash(std::string_view s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s)
      h = (h ^ c) * 0x100000001b3ull;
    h ^= h >> 32;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
  }
  static bool equal(const Slot &slot, std::string_view s) {
    return slot.size == s.size() && std::memcmp(slot.data, s.data(), s.size()) == 0;
  }

  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, Slot{});
    for (const Slot &slot : old)
      if (slot.id >= 0)
        for (size_t i = slot.hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1))
          if (slots_[i].id < 0) {
            slots_[i] = slot;
            break;
          }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

} // namespace axe

#endif // AXE_RUNTIME_TEXT_STRINGIDTABLE_H
