//===- Fp8.h - FP8 E4M3 and BF16 conversions, weight scales ---*- C++ -*-===//
//
// The number formats of the precision map, for converting weights at compile time (the kernels
// have their own, compiler-generated, conversions). E4M3 is PyTorch's float8_e4m3fn: bias 7,
// no infinities, 0x7F/0xFF are NaN, max finite 448, round to nearest even. Casts disagree past
// 448 (PyTorch 2.15 saturates, older versions and APFloat give NaN, cvt.rn.satfinite
// saturates), so callers clamp to ±448 first, as the scheme says (DESIGN.md §2); after the
// clamp every implementation agrees bit for bit.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_SUPPORT_FP8_H
#define AXE_SUPPORT_FP8_H

#include <cstddef>
#include <cstdint>

namespace axe {

constexpr float kE4M3Max = 448.0f;

// Round to nearest even; |x| >= 480 (and NaN) gives the NaN code.
uint8_t floatToE4M3(float x);
float e4m3ToFloat(uint8_t bits);
// Round to nearest even; NaN stays NaN.
uint16_t floatToBf16(float x);
float bf16ToFloat(uint16_t bits);
float f16ToFloat(uint16_t bits);

// The weight scale of a group whose largest magnitude is `amax`: amax / 448 (1 when that is 0:
// an all-zero group, or one so tiny that the division underflows; its codes are then 0).
float weightScale(float amax);
// e4m3(clamp(x / scale, ±448)).
inline uint8_t quantizeE4M3(float x, float scale) {
  float q = x / scale;
  q = q > kE4M3Max ? kE4M3Max : (q < -kE4M3Max ? -kE4M3Max : q);
  return floatToE4M3(q);
}

} // namespace axe

// C entry points for tests in other languages (test/e2e/test_fp8_math.py loads them with ctypes).
extern "C" {
void axe_f32_to_e4m3(const float *in, uint8_t *out, int64_t n);
// Per-row FP8 quantization of a [rows, cols] f32 matrix: scales[rows] and values[rows, cols].
void axe_quantize_rows(const float *w, int64_t rows, int64_t cols, uint8_t *values, float *scales);
// Its inverse up to rounding: out[r, c] = e4m3ToFloat(values[r, c]) * scales[r], in f32.
void axe_dequantize_rows(const uint8_t *values, const float *scales, int64_t rows, int64_t cols,
                         float *out);
}

#endif // AXE_SUPPORT_FP8_H
