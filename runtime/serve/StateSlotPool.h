//===- StateSlotPool.h - slots of the recurrent-state pool ----*- C++ -*-===//
//
// Every live sequence holds one slot of the DeltaNet conv and recurrent states (`P` slots,
// docs/artifact.md); its size does not depend on the sequence's length (spec §3.7). A slot is
// reserved together with the sequence's first KV blocks and freed with them.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVE_STATESLOTPOOL_H
#define AXE_RUNTIME_SERVE_STATESLOTPOOL_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace axe {

class StateSlotPool {
public:
  explicit StateSlotPool(int64_t numSlots);

  int64_t numSlots() const { return int64_t(used_.size()); }
  int64_t numFree() const { return int64_t(free_.size()); }

  // A free slot, or -1 when none is free. The caller zeroes it before a new sequence uses it.
  int32_t allocate();
  void release(int32_t slot);

private:
  std::vector<bool> used_;
  std::vector<int32_t> free_;
};

} // namespace axe

#endif // AXE_RUNTIME_SERVE_STATESLOTPOOL_H
