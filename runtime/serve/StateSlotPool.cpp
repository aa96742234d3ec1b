//===- StateSlotPool.cpp - slots of the recurrent-state pool --------------===//

#include "runtime/serve/StateSlotPool.h"

#include "support/Error.h"

#include <string>

namespace axe {

StateSlotPool::StateSlotPool(int64_t numSlots) {
  if (numSlots < 1 || numSlots > INT32_MAX)
    throw Error("state slot pool: the slot count " + std::to_string(numSlots) + " is not in [1, 2^31)");
  used_.assign(size_t(numSlots), false);
  for (int64_t s = numSlots - 1; s >= 0; --s)
    free_.push_back(int32_t(s));
}

int32_t StateSlotPool::allocate() {
  if (free_.empty())
    return -1;
  int32_t s = free_.back();
  free_.pop_back();
  used_[size_t(s)] = true;
  return s;
}

void StateSlotPool::release(int32_t slot) {
  if (slot < 0 || slot >= numSlots() || !used_[size_t(slot)])
    throw Error("state slot pool: release of slot " + std::to_string(slot) + ", which is not in use");
  used_[size_t(slot)] = false;
  free_.push_back(slot);
}

} // namespace axe
