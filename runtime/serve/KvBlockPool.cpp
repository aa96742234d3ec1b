//===- KvBlockPool.cpp - the paged KV cache's block allocator -------------===//

#include "runtime/serve/KvBlockPool.h"

#include "support/Error.h"

#include <string>

namespace axe {

KvBlockPool::KvBlockPool(int64_t numBlocks) {
  if (numBlocks < 0 || numBlocks > INT32_MAX)
    throw Error("kv block pool: the block count " + std::to_string(numBlocks) + " is not in [0, 2^31)");
  refs_.assign(size_t(numBlocks), 0);
  free_.reserve(size_t(numBlocks));
  // Lowest ids on top of the stack, so that a fresh pool hands out 0, 1, 2, ...
  for (int64_t b = numBlocks - 1; b >= 0; --b)
    free_.push_back(int32_t(b));
}

int32_t KvBlockPool::allocate() {
  if (free_.empty())
    return -1;
  int32_t b = free_.back();
  free_.pop_back();
  refs_[size_t(b)] = 1;
  return b;
}

void KvBlockPool::retain(int32_t block) {
  if (block < 0 || block >= numBlocks() || refs_[size_t(block)] == 0)
    throw Error("kv block pool: retain of block " + std::to_string(block) + ", which is not in use");
  ++refs_[size_t(block)];
}

void KvBlockPool::release(int32_t block) {
  if (block < 0 || block >= numBlocks() || refs_[size_t(block)] == 0)
    throw Error("kv block pool: release of block " + std::to_string(block) + ", which is not in use");
  if (--refs_[size_t(block)] == 0)
    free_.push_back(block);
}

} // namespace axe
