//===- ParamMaterializer.cpp - a param's stored bytes, streamed -----------===//

#include "models/ParamMaterializer.h"

#include "support/Fp8.h"
#include "support/Shape.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace axe {

namespace {

// Reads element ranges of the param's source: one tensor, or parts concatenated row-major.
class SourceReader {
public:
  SourceReader(const Checkpoint &ckpt, const ParamDesc &p, bool checkFinite)
      : name_(p.name), checkFinite_(checkFinite) {
    std::vector<std::string> names = p.parts.empty() ? std::vector<std::string>{p.name} : p.parts;
    for (const std::string &n : names) {
      TensorView v = ckpt.get(n);
      starts_.push_back(total_);
      total_ += v.info->numElements();
      views_.push_back(v);
    }
  }

  uint64_t size() const { return total_; }
  // The single dtype of the source when every part shares it.
  bool uniform(DType &dtype) const {
    dtype = views_.front().info->dtype;
    for (const TensorView &v : views_)
      if (v.info->dtype != dtype)
        return false;
    return true;
  }

  // Raw bytes of elements [start, start + count), all parts of one dtype.
  void readRaw(uint64_t start, uint64_t count, uint8_t *out) const {
    forEachPiece(start, count, [&](const TensorView &v, uint64_t offset, uint64_t n) {
      size_t esize = dtypeSize(v.info->dtype);
      std::memcpy(out, v.data + offset * esize, n * esize);
      out += n * esize;
    });
  }

  // Elements [start, start + count) as f32.
  void readFloat(uint64_t start, uint64_t count, float *out) const {
    forEachPiece(start, count, [&](const TensorView &v, uint64_t offset, uint64_t n) {
      const uint8_t *p = v.data + offset * dtypeSize(v.info->dtype);
      for (uint64_t i = 0; i < n; ++i)
        *out++ = toFloat(v, p, i);
    });
  }

private:
  float toFloat(const TensorView &v, const uint8_t *p, uint64_t i) const {
    switch (v.info->dtype) {
    case DType::BF16: { uint16_t b; std::memcpy(&b, p + 2 * i, 2); return bf16ToFloat(b); }
    case DType::F16: { uint16_t b; std::memcpy(&b, p + 2 * i, 2); return f16ToFloat(b); }
    case DType::F32: { float f; std::memcpy(&f, p + 4 * i, 4); return f; }
    case DType::F64: { double d; std::memcpy(&d, p + 8 * i, 8); return static_cast<float>(d); }
    default:
      throw Error(*v.file + ": tensor '" + v.info->name + "' has dtype " + dtypeName(v.info->dtype) +
                  ", which cannot be converted to a float weight");
    }
  }

  template <typename F> void forEachPiece(uint64_t start, uint64_t count, F &&f) const {
    if (start + count > total_)
      throw Error("param '" + name_ + "': read past its " + std::to_string(total_) + " elements");
    size_t i = std::upper_bound(starts_.begin(), starts_.end(), start) - starts_.begin() - 1;
    while (count) {
      uint64_t offset = start - starts_[i];
      uint64_t n = std::min(count, views_[i].info->numElements() - offset);
      if (checkFinite_) // as the bytes stream through: no second pass over the checkpoint
        checkFinite(views_[i], offset, n);
      f(views_[i], offset, n);
      start += n;
      count -= n;
      ++i;
    }
  }

  std::string name_;
  bool checkFinite_;
  std::vector<TensorView> views_;
  std::vector<uint64_t> starts_;
  uint64_t total_ = 0;
};

void writeConverted(const float *values, uint64_t n, DType dtype,
                    const std::function<void(const void *, size_t)> &sink,
                    std::vector<uint8_t> &buffer) {
  buffer.resize(n * dtypeSize(dtype));
  if (dtype == DType::F32) {
    std::memcpy(buffer.data(), values, n * 4);
  } else if (dtype == DType::BF16) {
    for (uint64_t i = 0; i < n; ++i) {
      uint16_t b = floatToBf16(values[i]);
      std::memcpy(buffer.data() + 2 * i, &b, 2);
    }
  } else {
    throw Error(std::string("cannot store a converted weight as ") + dtypeName(dtype));
  }
  sink(buffer.data(), buffer.size());
}

// Plain conversion (or a copy) of the source to the stored dtype.
void materializePlain(const SourceReader &src, const ParamDesc &p,
                      const std::function<void(const void *, size_t)> &sink) {
  const uint64_t chunk = 1 << 20;
  DType srcType;
  bool same = src.uniform(srcType) && srcType == p.dtype;
  std::vector<uint8_t> bytes;
  std::vector<float> values;
  for (uint64_t start = 0; start < src.size(); start += chunk) {
    uint64_t n = std::min(chunk, src.size() - start);
    if (same) {
      bytes.resize(n * dtypeSize(p.dtype));
      src.readRaw(start, n, bytes.data());
      sink(bytes.data(), bytes.size());
      continue;
    }
    if (p.dtype == DType::F8_E4M3 || srcType == DType::F8_E4M3)
      throw Error("param '" + p.name + "': FP8 values are only stored as the checkpoint holds them");
    values.resize(n);
    src.readFloat(start, n, values.data());
    writeConverted(values.data(), n, p.dtype, sink, bytes);
  }
}

// FP8 values or scales, one scale per row (channel) or per 128x128 block (block).
void materializeFp8(const SourceReader &src, const ParamDesc &p,
                    const std::function<void(const void *, size_t)> &sink) {
  const std::vector<int64_t> &w = p.weightShape;
  const uint64_t k = w.back(), m = w.size() >= 2 ? w[w.size() - 2] : 1;
  const uint64_t matrices = shapeElements(w) / (m * k);
  bool block = p.encoding == ParamEncoding::Fp8Block || p.encoding == ParamEncoding::Fp8BlockScale;
  bool scalesOnly =
      p.encoding == ParamEncoding::Fp8ChannelScale || p.encoding == ParamEncoding::Fp8BlockScale;
  const uint64_t band = block ? kFp8Block : 1;     // rows sharing their scales
  const uint64_t width = block ? kFp8Block : k;     // columns sharing a scale
  const uint64_t groups = (k + width - 1) / width;

  std::vector<float> rows, scales(groups);
  std::vector<uint8_t> out;
  for (uint64_t mat = 0; mat < matrices; ++mat) {
    for (uint64_t r0 = 0; r0 < m; r0 += band) {
      uint64_t nrows = std::min(band, m - r0);
      rows.resize(nrows * k);
      src.readFloat((mat * m + r0) * k, nrows * k, rows.data());
      for (uint64_t g = 0; g < groups; ++g) {
        // Finite values only, on purpose: the reader has refused NaN and ±Inf unless they were
        // allowed, and then they cannot set a scale (std::fmax would skip NaN silently but let
        // Inf make the whole group 0 and NaN). NaN is stored as the NaN code; ±Inf saturates.
        float amax = 0.0f;
        uint64_t c1 = std::min(k, (g + 1) * width);
        for (uint64_t r = 0; r < nrows; ++r)
          for (uint64_t c = g * width; c < c1; ++c) {
            float a = std::fabs(rows[r * k + c]);
            if (std::isfinite(a) && a > amax)
              amax = a;
          }
        scales[g] = weightScale(amax);
      }
      if (scalesOnly) {
        sink(scales.data(), groups * sizeof(float));
        continue;
      }
      out.resize(nrows * k);
      for (uint64_t r = 0; r < nrows; ++r)
        for (uint64_t c = 0; c < k; ++c)
          out[r * k + c] = quantizeE4M3(rows[r * k + c], scales[c / width]);
      sink(out.data(), out.size());
    }
  }
}

std::string indexString(const std::vector<int64_t> &shape, uint64_t flat) {
  std::string out;
  for (size_t d = shape.size(); d-- > 0;) {
    uint64_t extent = static_cast<uint64_t>(shape[d]);
    out = std::to_string(extent ? flat % extent : 0) + (out.empty() ? "" : ", ") + out;
    flat = extent ? flat / extent : 0;
  }
  return "[" + out + "]";
}

} // namespace

void checkFinite(const TensorView &v, uint64_t offset, uint64_t count) {
  const uint8_t *p = v.data + offset * dtypeSize(v.info->dtype);
  uint64_t bad = count;
  float value = 0.0f;
  auto scan = [&](auto isBad) {
    for (uint64_t i = 0; i < count; ++i)
      if (isBad(i)) {
        bad = i;
        return;
      }
  };
  switch (v.info->dtype) {
  case DType::BF16:
  case DType::F16: { // exponent all ones: Inf or NaN in both formats
    uint16_t mask = v.info->dtype == DType::BF16 ? 0x7f80 : 0x7c00;
    scan([&](uint64_t i) { uint16_t b; std::memcpy(&b, p + 2 * i, 2); return (b & mask) == mask; });
    if (bad < count) {
      uint16_t b; std::memcpy(&b, p + 2 * bad, 2);
      value = v.info->dtype == DType::BF16 ? bf16ToFloat(b) : f16ToFloat(b);
    }
    break;
  }
  case DType::F32:
    scan([&](uint64_t i) { std::memcpy(&value, p + 4 * i, 4); return !std::isfinite(value); });
    break;
  case DType::F64:
    scan([&](uint64_t i) {
      double d; std::memcpy(&d, p + 8 * i, 8); value = static_cast<float>(d); return !std::isfinite(d);
    });
    break;
  case DType::F8_E4M3: // no infinities; 0x7F and 0xFF are NaN
    scan([&](uint64_t i) { return (p[i] & 0x7f) == 0x7f; });
    value = std::nanf("");
    break;
  default:
    return;
  }
  if (bad == count)
    return;
  std::string what = std::isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
  if (v.info->dtype == DType::F8_E4M3)
    what = "the e4m3 NaN code";
  throw Error(*v.file + ": tensor '" + v.info->name + "' holds " + what + " at element " +
              indexString(v.info->shape, offset + bad) +
              "; axe refuses non-finite weights (fix the checkpoint, or pass "
              "--allow-non-finite-weights to compile it anyway)");
}

uint64_t ParamDesc::numBytes() const { return shapeElements(shape) * dtypeSize(dtype); }

void materializeParam(const Checkpoint &checkpoint, const ParamDesc &p,
                      const std::function<void(const void *, size_t)> &sink,
                      const MaterializeOptions &options) {
  SourceReader src(checkpoint, p, !options.allowNonFinite);
  const std::vector<int64_t> &expect = p.encoding == ParamEncoding::None ? p.shape : p.weightShape;
  if (src.size() != shapeElements(expect))
    throw Error(checkpoint.dir() + ": param '" + p.name + "' needs " +
                std::to_string(shapeElements(expect)) + " elements but its checkpoint tensors hold " +
                std::to_string(src.size()));
  if (p.encoding == ParamEncoding::None)
    materializePlain(src, p, sink);
  else
    materializeFp8(src, p, sink);
  for (const std::string &name : p.parts.empty() ? std::vector<std::string>{p.name} : p.parts)
    checkpoint.release(name);
}

} // namespace axe
