//===- Fp8.cpp - FP8 E4M3 and BF16 conversions ----------------------------===//

#include "support/Fp8.h"

#include <cmath>
#include <cstring>

namespace axe {

namespace {

uint32_t bitsOf(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}

float floatOf(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

} // namespace

uint8_t floatToE4M3(float x) {
  uint32_t bits = bitsOf(x);
  uint8_t sign = static_cast<uint8_t>((bits >> 24) & 0x80);
  uint32_t magnitude = bits & 0x7fffffffu;
  // NaN, and everything that rounds past 448 (the next step, 480, would be the NaN code).
  if (magnitude > 0x7f800000u || floatOf(magnitude) >= 480.0f)
    return sign | 0x7f;
  float a = floatOf(magnitude);
  if (a < 0.015625f) {
    // Subnormal range (below 2^-6): multiples of 2^-9. a * 512 is exact, and nearbyint rounds
    // half to even in the default rounding mode. 8 * 2^-9 = 2^-6 is the smallest normal's code.
    return sign | static_cast<uint8_t>(std::nearbyint(a * 512.0f));
  }
  int exponent = static_cast<int>((magnitude >> 23) & 0xff) - 127; // in [-6, 8]
  uint32_t mantissa = magnitude & 0x7fffffu;
  uint32_t kept = mantissa >> 20;     // the 3 bits E4M3 keeps
  uint32_t dropped = mantissa & 0xfffffu;
  if (dropped > 0x80000u || (dropped == 0x80000u && (kept & 1u)))
    ++kept;
  if (kept == 8) { // the mantissa carried into the exponent
    kept = 0;
    ++exponent;
  }
  return sign | static_cast<uint8_t>(((exponent + 7) << 3) | kept);
}

float e4m3ToFloat(uint8_t bits) {
  float sign = (bits & 0x80) ? -1.0f : 1.0f;
  int exponent = (bits >> 3) & 0xf, mantissa = bits & 0x7;
  if (exponent == 0xf && mantissa == 0x7)
    return std::nanf("");
  if (exponent == 0)
    return sign * std::ldexp(static_cast<float>(mantissa), -9);
  return sign * std::ldexp(1.0f + mantissa / 8.0f, exponent - 7);
}

uint16_t floatToBf16(float x) {
  uint32_t bits = bitsOf(x);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((bits >> 16) | 0x40); // quiet NaN, sign kept
  uint32_t roundingBias = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + roundingBias) >> 16);
}

float bf16ToFloat(uint16_t bits) { return floatOf(static_cast<uint32_t>(bits) << 16); }

float f16ToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent == 0)
    return (sign ? -1.0f : 1.0f) * std::ldexp(static_cast<float>(mantissa), -24);
  if (exponent == 31)
    return floatOf(sign | 0x7f800000u | (mantissa << 13));
  return floatOf(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

float weightScale(float amax) {
  float scale = amax / kE4M3Max;
  return scale > 0.0f ? scale : 1.0f; // all zeros, or so tiny that the scale underflows
}

} // namespace axe

extern "C" void axe_f32_to_e4m3(const float *in, uint8_t *out, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = axe::floatToE4M3(in[i]);
}

extern "C" void axe_quantize_rows(const float *w, int64_t rows, int64_t cols, uint8_t *values,
                                  float *scales) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = w + r * cols;
    float amax = 0.0f; // of the finite values, as ParamMaterializer's scales
    for (int64_t c = 0; c < cols; ++c)
      if (std::isfinite(row[c]) && std::fabs(row[c]) > amax)
        amax = std::fabs(row[c]);
    scales[r] = axe::weightScale(amax);
    for (int64_t c = 0; c < cols; ++c)
      values[r * cols + c] = axe::quantizeE4M3(row[c], scales[r]);
  }
}

extern "C" void axe_dequantize_rows(const uint8_t *values, const float *scales, int64_t rows,
                                    int64_t cols, float *out) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = axe::e4m3ToFloat(values[r * cols + c]) * scales[r];
}
