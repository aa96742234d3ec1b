//===- BytePairModel.cpp - byte-level BPE with ranked merges --------------===//

#include "runtime/text/BytePairModel.h"

#include "support/Error.h"

#include <algorithm>
#include <cstdio>

namespace axe {
namespace {

struct Symbol {
  int32_t id;
  int32_t prev, next; // neighbours still alive, -1 at the ends
  bool alive;
};

struct Candidate {
  int32_t rank, pos, result;
  // std::*_heap keep the largest on top: "larger" is the lower rank, then the lower position.
  bool operator<(const Candidate &o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

} // namespace

BytePairModel::BytePairModel(const std::vector<std::pair<std::string, int32_t>> &vocab,
                             const std::vector<Merge> &merges, bool ignoreMerges)
    : ignoreMerges_(ignoreMerges) {
  size_t total = 0;
  for (const auto &[bytes, id] : vocab)
    total += bytes.size();
  arena_.reserve(total); // never reallocated afterwards: vocab_'s keys point into it
  std::vector<size_t> offsets;
  offsets.reserve(vocab.size());
  for (const auto &[bytes, id] : vocab) {
    offsets.push_back(arena_.size());
    arena_ += bytes;
  }
  vocab_ = StringIdTable(vocab.size());
  byteIds_.fill(-1);
  for (size_t i = 0; i < vocab.size(); ++i) {
    const auto &[bytes, id] = vocab[i];
    vocab_.insert(std::string_view(arena_).substr(offsets[i], bytes.size()), id);
    if (bytes.size() == 1)
      byteIds_[static_cast<unsigned char>(bytes[0])] = id;
  }
  for (int b = 0; b < 256; ++b)
    if (byteIds_[b] < 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", b);
      throw Error(std::string("the vocabulary has no token for byte ") + hex +
                  ": byte-level BPE needs all 256");
    }
  size_t capacity = 16;
  while (capacity < 2 * merges.size())
    capacity *= 2;
  slots_.assign(capacity, Slot{});
  shift_ = 64;
  for (size_t c = capacity; c > 1; c /= 2)
    --shift_;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    uint64_t k = key(merges[rank].left, merges[rank].right);
    size_t i = slotOf(k);
    while (slots_[i].key != kEmpty && slots_[i].key != k)
      i = (i + 1) & (capacity - 1);
    slots_[i] = {k, Rule{int32_t(rank), merges[rank].result}}; // a later duplicate replaces it, as in HF
  }
}

void BytePairModel::encode(std::string_view piece, std::vector<int32_t> &ids) const {
  if (piece.size() == 1) {
    ids.push_back(byteIds_[static_cast<unsigned char>(piece[0])]);
    return;
  }
  if (ignoreMerges_) {
    int32_t id = vocab_.find(piece);
    if (id >= 0) {
      ids.push_back(id);
      return;
    }
  }
  if (piece.size() <= 64)
    mergeByScan(piece, ids);
  else
    mergeByQueue(piece, ids);
}

void BytePairModel::mergeByScan(std::string_view piece, std::vector<int32_t> &ids) const {
  thread_local std::vector<int32_t> parts;
  thread_local std::vector<Rule> next; // next[i]: the merge of parts[i] and parts[i + 1]
  size_t n = piece.size();
  parts.resize(n);
  next.resize(n);
  for (size_t i = 0; i < n; ++i)
    parts[i] = byteIds_[static_cast<unsigned char>(piece[i])];
  auto ruleAt = [&](size_t i) {
    const Rule *r = i + 1 < n ? rule(parts[i], parts[i + 1]) : nullptr;
    return r ? *r : kNoRule;
  };
  for (size_t i = 0; i < n; ++i)
    next[i] = ruleAt(i);
  for (;;) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < n; ++i)
      if (next[i].rank < next[best].rank)
        best = i;
    if (next[best].rank == INT32_MAX)
      break;
    parts[best] = next[best].result;
    parts.erase(parts.begin() + best + 1);
    next.erase(next.begin() + best + 1);
    --n;
    next[best] = ruleAt(best);
    if (best > 0)
      next[best - 1] = ruleAt(best - 1);
  }
  ids.insert(ids.end(), parts.begin(), parts.begin() + n);
}

void BytePairModel::mergeByQueue(std::string_view piece, std::vector<int32_t> &ids) const {
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> queue;
  int32_t n = int32_t(piece.size());
  symbols.clear();
  queue.clear();
  for (int32_t i = 0; i < n; ++i)
    symbols.push_back({byteIds_[static_cast<unsigned char>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1, true});
  for (int32_t i = 0; i + 1 < n; ++i)
    if (const Rule *r = rule(symbols[i].id, symbols[i + 1].id))
      queue.push_back({r->rank, i, r->result});
  std::make_heap(queue.begin(), queue.end());

  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end());
    Candidate top = queue.back();
    queue.pop_back();
    Symbol &left = symbols[top.pos];
    if (!left.alive || left.next < 0)
      continue;
    // A stale entry: the pair at `pos` changed since it was queued (then it makes another token).
    const Rule *now = rule(left.id, symbols[left.next].id);
    if (!now || now->result != top.result)
      continue;
    Symbol &right = symbols[left.next];
    left.id = top.result;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0)
      symbols[right.next].prev = top.pos;
    if (left.prev >= 0)
      if (const Rule *r = rule(symbols[left.prev].id, left.id)) {
        queue.push_back({r->rank, left.prev, r->result});
        std::push_heap(queue.begin(), queue.end());
      }
    if (left.next >= 0)
      if (const Rule *r = rule(left.id, symbols[left.next].id)) {
        queue.push_back({r->rank, top.pos, r->result});
        std::push_heap(queue.begin(), queue.end());
      }
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next)
    ids.push_back(symbols[i].id);
}

} // namespace axe
