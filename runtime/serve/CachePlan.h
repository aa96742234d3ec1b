//===- CachePlan.h - how much KV cache and state the engine allocates -*- C++ -*-===//
//
// Sized like a serving engine: the caches get a memory budget (`--kv-cache-memory`, by default a
// share of the memory the system reports available), and the plan says how many KV blocks and
// state slots that buys and how many sequences of the full context fit. The state pool has one
// slot per sequence the engine may run at once (`maxNumSeqs`); the rest of the budget is KV
// blocks, but never more than `maxNumSeqs` full-context sequences can use.
//
// CPU memory for the caches is committed lazily (mmap), so a large pool costs only what the
// sequences touch.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVE_CACHEPLAN_H
#define AXE_RUNTIME_SERVE_CACHEPLAN_H

#include "artifact/Manifest.h"

#include <cstdint>
#include <string>

namespace axe {

// Bytes of one KV block (every NB-sized state buffer's share) and of one state slot (every
// P-sized one), from the manifest's buffer plan.
struct CacheLayout {
  int64_t blockSize = 0;      // positions per KV block; 0: no full-attention layer
  uint64_t bytesPerBlock = 0;
  uint64_t bytesPerSlot = 0;
};
CacheLayout cacheLayout(const Manifest &manifest);

struct CachePlanOptions {
  uint64_t memoryBytes = 0;   // 0: kDefaultMemoryShare of the available memory
  int64_t numBlocks = 0;      // > 0: exactly this many KV blocks (overrides memoryBytes)
  int64_t maxNumSeqs = 1;
  int64_t maxModelLen = 1;
};

struct CachePlan {
  int64_t numBlocks = 0;      // at least 1 (the device's NB), even without a KV cache
  int64_t numSlots = 0;
  uint64_t kvBytes = 0;
  uint64_t stateBytes = 0;
  // Sequences of maxModelLen positions the KV blocks hold at once.
  double fullContextSequences = 0;
  std::string summary() const; // one line for start-up
};

constexpr double kDefaultMemoryShare = 0.5;

// Throws axe::Error when the budget cannot hold the state slots and one full-context sequence,
// naming the flags that would fix it.
CachePlan planCaches(const CacheLayout &layout, const CachePlanOptions &options);

// MemAvailable from /proc/meminfo in bytes; 0 when it cannot be read.
uint64_t availableMemoryBytes();

// "4GiB", "512MiB", "1.5G", "1000000": bytes. Throws axe::Error naming `flag` on bad text.
uint64_t parseByteSize(const std::string &text, const std::string &flag);

} // namespace axe

#endif // AXE_RUNTIME_SERVE_CACHEPLAN_H
