//===- CachePlan.cpp - how much KV cache and state the engine allocates ---===//

#include "runtime/serve/CachePlan.h"

#include "runtime/serve/KvBlockPool.h"
#include "support/Error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace axe {

CacheLayout cacheLayout(const Manifest &manifest) {
  CacheLayout layout;
  layout.blockSize = manifest.kvBlockSize;
  for (const BufferDecl &b : manifest.buffers) {
    if (b.kind != BufferKind::State || b.shape.empty() || !b.shape[0].isSymbol())
      continue;
    uint64_t bytes = b.fixedBytes(1);
    if (b.shape[0].symbol == int(Symbol::NB))
      layout.bytesPerBlock += bytes;
    else if (b.shape[0].symbol == int(Symbol::P))
      layout.bytesPerSlot += bytes;
  }
  return layout;
}

namespace {

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
  return buf;
}

} // namespace

std::string CachePlan::summary() const {
  char buf[256];
  if (kvBytes == 0) { // a model without full attention: its one placeholder block holds nothing
    std::snprintf(buf, sizeof buf, "no KV cache (no full-attention layer), %lld state slots (%s)",
                  (long long)numSlots, mib(stateBytes).c_str());
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%lld KV blocks (%s), %lld state slots (%s); %.1f sequences of the full context fit",
                (long long)numBlocks, mib(kvBytes).c_str(), (long long)numSlots, mib(stateBytes).c_str(),
                fullContextSequences);
  return buf;
}

CachePlan planCaches(const CacheLayout &layout, const CachePlanOptions &o) {
  if (o.maxNumSeqs < 1 || o.maxModelLen < 1)
    throw Error("cache plan: max-num-seqs and max-model-len must be at least 1");
  CachePlan plan;
  plan.numSlots = o.maxNumSeqs;
  plan.stateBytes = uint64_t(o.maxNumSeqs) * layout.bytesPerSlot;
  int64_t perSequence = blocksFor(o.maxModelLen, layout.blockSize);
  if (layout.blockSize == 0 || layout.bytesPerBlock == 0) {
    plan.numBlocks = 1; // the device's NB must be >= 1; nothing reads the block
    plan.fullContextSequences = double(o.maxNumSeqs);
    return plan;
  }
  int64_t wanted = perSequence * o.maxNumSeqs; // more could never be used at once
  if (o.numBlocks > 0) {
    plan.numBlocks = o.numBlocks;
  } else {
    uint64_t memory = o.memoryBytes;
    if (memory == 0) {
      uint64_t available = availableMemoryBytes();
      if (available == 0)
        throw Error("cannot read the available memory from /proc/meminfo: give --kv-cache-memory");
      memory = uint64_t(double(available) * kDefaultMemoryShare);
    }
    if (memory < plan.stateBytes + layout.bytesPerBlock * uint64_t(perSequence))
      throw Error("the cache memory (" + mib(memory) + ") cannot hold " + std::to_string(o.maxNumSeqs) +
                  " state slots (" + mib(plan.stateBytes) + ") and the KV blocks of one sequence of " +
                  std::to_string(o.maxModelLen) + " tokens (" +
                  mib(layout.bytesPerBlock * uint64_t(perSequence)) +
                  "): raise --kv-cache-memory, or lower --max-model-len or --max-num-seqs");
    uint64_t blocks = (memory - plan.stateBytes) / layout.bytesPerBlock;
    plan.numBlocks = int64_t(std::min<uint64_t>(blocks, uint64_t(std::min<int64_t>(wanted, INT32_MAX - 1))));
  }
  plan.kvBytes = uint64_t(plan.numBlocks) * layout.bytesPerBlock;
  plan.fullContextSequences = double(plan.numBlocks) / double(perSequence);
  return plan;
}

uint64_t availableMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long kib = 0;
    if (std::sscanf(line.c_str(), "MemAvailable: %llu kB", &kib) == 1)
      return uint64_t(kib) * 1024;
  }
  return 0;
}

uint64_t parseByteSize(const std::string &text, const std::string &flag) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception &) {
    throw Error(flag + ": '" + text + "' is not a size (e.g. 4GiB, 512MiB, 1000000)");
  }
  std::string unit = text.substr(used);
  double scale = 0;
  const std::pair<const char *, double> units[] = {
      {"", 1},      {"B", 1},        {"K", 1e3},  {"KB", 1e3},         {"KiB", 1024.0},
      {"M", 1e6},   {"MB", 1e6},     {"MiB", 1024.0 * 1024},           {"G", 1e9},
      {"GB", 1e9},  {"GiB", 1024.0 * 1024 * 1024}, {"T", 1e12}, {"TB", 1e12},
      {"TiB", 1024.0 * 1024 * 1024 * 1024}};
  for (const auto &u : units)
    if (unit == u.first)
      scale = u.second;
  if (scale == 0 || !(value > 0) || std::isinf(value) || value * scale > 9.0e18)
    throw Error(flag + ": '" + text + "' is not a positive size (e.g. 4GiB, 512MiB, 1000000)");
  return uint64_t(value * scale);
}

} // namespace axe
