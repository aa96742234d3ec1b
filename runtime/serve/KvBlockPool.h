//===- KvBlockPool.h - the paged KV cache's block allocator ---*- C++ -*-===//
//
// The full-attention layers' KV caches are `NB` blocks of `kv_block_size` positions each
// (docs/artifact.md). A sequence owns an ordered list of blocks, its block table. Blocks are
// reference counted so that sequences can share the blocks of a common prefix (the n > 1 children
// of one prompt); a shared block is copied before anyone writes into it (copy on write), so a
// block's contents only change while exactly one sequence holds it.
//
// The pool only does bookkeeping; the memory lives in the device's state buffers.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVE_KVBLOCKPOOL_H
#define AXE_RUNTIME_SERVE_KVBLOCKPOOL_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace axe {

class KvBlockPool {
public:
  explicit KvBlockPool(int64_t numBlocks);

  int64_t numBlocks() const { return int64_t(refs_.size()); }
  int64_t numFree() const { return int64_t(free_.size()); }
  int64_t numUsed() const { return numBlocks() - numFree(); }

  // A free block with one reference; -1 when none is free.
  int32_t allocate();
  // One more holder of `block` (which must be in use).
  void retain(int32_t block);
  // One holder fewer; the block returns to the free list with its last reference.
  void release(int32_t block);
  int32_t refCount(int32_t block) const { return refs_[size_t(block)]; }

private:
  std::vector<int32_t> refs_;
  std::vector<int32_t> free_; // a stack: the most recently freed block is reused first
};

// The blocks a sequence needs to hold `positions` positions.
inline int64_t blocksFor(int64_t positions, int64_t blockSize) {
  return blockSize > 0 ? (positions + blockSize - 1) / blockSize : 0;
}

} // namespace axe

#endif // AXE_RUNTIME_SERVE_KVBLOCKPOOL_H
