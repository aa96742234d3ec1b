//===- SyntheticWeights.cpp - weights made from a seed at load ------------===//

#include "runtime/SyntheticWeights.h"

#include "support/DType.h"
#include "support/Error.h"
#include "support/Fp8.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

namespace axe {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

} // namespace

void fillSyntheticWeight(const BufferDecl &b, uint64_t seed, int64_t hiddenSize, void *out, unsigned threads) {
  uint64_t count = b.fixedElements();
  uint64_t stream = splitmix64(seed ^ splitmix64(uint64_t(b.id)));
  bool scale = b.name.find("_scale") != std::string::npos;
  float amplitude = 0.1f;
  if (scale)
    amplitude = 0.5f / std::sqrt(float(std::max<int64_t>(hiddenSize, 1)));
  else if (b.shape.size() >= 2)
    amplitude = 1.0f / std::sqrt(float(std::max<int64_t>(b.shape.back().value, 1)));
  // u in [0, 1) from the top 24 bits: exact in a float.
  auto uniform = [](uint64_t h) { return float(h >> 40) * (1.0f / 16777216.0f); };
  auto value = [&](uint64_t h) {
    float u = uniform(h);
    return scale ? amplitude * (1.0f + 0.25f * u) : amplitude * (2.0f * u - 1.0f);
  };
  auto fill = [&](uint64_t begin, uint64_t end) {
    uint8_t *bytes = static_cast<uint8_t *>(out);
    for (uint64_t i = begin; i < end; ++i) {
      uint64_t h = splitmix64(stream + i);
      switch (b.dtype) {
      case DType::F8_E4M3: // sign | exponent 5..8 | mantissa: never NaN, |x| in [0.25, 3.75]
        bytes[i] = uint8_t((h & 0x80) | ((5 + ((h >> 8) & 3)) << 3) | ((h >> 16) & 7));
        break;
      case DType::BF16: {
        uint16_t v = floatToBf16(value(h));
        std::memcpy(bytes + 2 * i, &v, 2);
        break;
      }
      case DType::F32: {
        float v = value(h);
        std::memcpy(bytes + 4 * i, &v, 4);
        break;
      }
      default:
        break; // refused below, before any thread starts
      }
    }
  };
  if (b.dtype != DType::F8_E4M3 && b.dtype != DType::BF16 && b.dtype != DType::F32)
    throw Error("synthetic weights: buffer '" + b.name + "' is " + dtypeName(b.dtype) +
                "; only f8e4m3, bf16 and f32 weights can be made from a seed");
  // Below a few MB one thread is faster than starting others.
  unsigned n = unsigned(std::clamp<uint64_t>(count >> 22, 1, std::max(1u, threads)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t)
    pool.emplace_back(fill, count * t / n, count * (t + 1) / n);
  fill(0, count / n);
  for (std::thread &t : pool)
    t.join();
}

} // namespace axe
