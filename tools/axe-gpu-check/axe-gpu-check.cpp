//===- axe-gpu-check.cpp - the FP8 linear kernels on a real GPU -----------===//
//
//   axe-gpu-check LIBRARY.so [--out TABLE.md] [--quick]
//
// LIBRARY.so is the compiled GPU host code of test/lowering/nvvm/fp8_linear_sm90a.mlir (see
// scripts/gpu-check.sh): its _mlir_ciface_fp8_linear_* functions create the TMA descriptors and
// launch the sm_90a kernels. For the four linear shapes of Qwen3.5-35B-A3B and M in {1, 16, 77,
// 128, 4096} tokens (77: a partial 64-row tile), on fresh random data, this checks
//   - the GPU quantization against axe's CPU quantization (support/Fp8.h), code for code;
//   - the FP8 GEMM against a float64 reference computed from the same e4m3 codes and scales:
//     |y - ref| <= 2^-8 |ref| + 1e-3 max|ref| (bf16 output rounding plus f32 accumulation order);
// and times the GEMM (host-measured, each call synchronises), printing one table. --quick runs
// two shapes at M = 1 and 77 once each, untimed: small enough for compute-sanitizer.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaDriver.h"
#include "support/Error.h"
#include "support/Fp8.h"
#include "tools/common/Version.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using axe::cuda::CUdeviceptr;
using axe::cuda::CudaDriver;

namespace {

template <int N> struct Desc {
  void *allocated, *aligned;
  int64_t offset, sizes[N], strides[N];
};

Desc<1> desc1(CUdeviceptr p, int64_t n) { return {(void *)p, (void *)p, 0, {n}, {1}}; }
Desc<2> desc2(CUdeviceptr p, int64_t r, int64_t c) { return {(void *)p, (void *)p, 0, {r, c}, {c, 1}}; }

using GemmFn = void (*)(Desc<2> *, Desc<1> *, Desc<2> *, Desc<1> *, Desc<2> *);
using QuantizeFn = void (*)(Desc<2> *, Desc<2> *, Desc<1> *);

struct Device {
  CudaDriver &d = CudaDriver::get();
  CUdeviceptr alloc(size_t bytes) {
    CUdeviceptr p = 0;
    d.check(d.api().cuMemAlloc(&p, bytes), "cuMemAlloc");
    return p;
  }
  void put(CUdeviceptr p, const void *h, size_t n) { d.check(d.api().cuMemcpyHtoD(p, h, n), "cuMemcpyHtoD"); }
  void get(void *h, CUdeviceptr p, size_t n) { d.check(d.api().cuMemcpyDtoH(h, p, n), "cuMemcpyDtoH"); }
  void free(CUdeviceptr p) { d.api().cuMemFree(p); }
};

// Per-row e4m3 codes and scales, as axe.quantize and the weight converter define them.
void quantizeRows(const std::vector<float> &x, int64_t rows, int64_t cols, bool activation,
                  std::vector<uint8_t> &codes, std::vector<float> &scales) {
  codes.resize(rows * cols);
  scales.resize(rows);
  for (int64_t r = 0; r < rows; ++r) {
    float amax = 0;
    for (int64_t c = 0; c < cols; ++c)
      amax = std::fmax(amax, std::fabs(x[r * cols + c]));
    scales[r] = activation ? std::fmax(amax, 1e-10f) / 448.0f : axe::weightScale(amax);
    for (int64_t c = 0; c < cols; ++c)
      codes[r * cols + c] = axe::quantizeE4M3(x[r * cols + c], scales[r]);
  }
}

struct Shape {
  int64_t n, k;
  bool floatInput; // the library has a quantize kernel for it
};

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && std::string(argv[1]) == "--version") {
    std::puts(axe::versionLine("axe-gpu-check").c_str());
    return 0;
  }
  std::string outPath;
  bool quick = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc)
      outPath = argv[++i];
    else if (arg == "--quick")
      quick = true;
    else {
      std::fprintf(stderr, "axe-gpu-check: error: unknown argument '%s'\n", arg.c_str());
      return 2;
    }
  }
  if (argc < 2 || std::string(argv[1]).rfind("--", 0) == 0) {
    std::fprintf(stderr, "usage: axe-gpu-check LIBRARY.so [--out TABLE.md] [--quick]\n");
    return 2;
  }
  try {
    Device dev;
    std::string card = dev.d.deviceName();
    if (dev.d.computeCapability() != 90)
      throw axe::Error(card + " is not a Hopper GPU (sm_90a); the kernels need wgmma and TMA");
    void *lib = ::dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      throw axe::Error(std::string("cannot load ") + argv[1] + ": " + ::dlerror());

    std::vector<Shape> shapes{{8192, 2048, true}, {512, 2048, true}, {2048, 512, false}, {2048, 4096, true}};
    std::vector<int64_t> tokens{1, 16, 77, 128, 4096};
    if (quick) {
      shapes = {{8192, 2048, true}, {2048, 512, false}};
      tokens = {1, 77};
    }
    std::mt19937 rng(2026);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::ostringstream table;
    table << "| N x K | M | quantize codes differing | max err / bound | max err / max ref | time (us) | TFLOP/s | weight GB/s |\n"
          << "|---|---:|---:|---:|---:|---:|---:|---:|\n";
    bool allOk = true;
    for (const Shape &s : shapes) {
      std::string base = "_mlir_ciface_fp8_linear_" + std::to_string(s.n) + "x" + std::to_string(s.k);
      auto gemm = reinterpret_cast<GemmFn>(::dlsym(lib, (base + (s.floatInput ? "_bf16" : "") + "_gemm").c_str()));
      auto quantize = s.floatInput ? reinterpret_cast<QuantizeFn>(::dlsym(lib, (base + "_bf16_quantize").c_str())) : nullptr;
      if (!gemm || (s.floatInput && !quantize))
        throw axe::Error("the library lacks the kernels of " + base);
      std::vector<float> w(s.n * s.k);
      for (float &v : w)
        v = 0.02f * normal(rng);
      std::vector<uint8_t> w8;
      std::vector<float> ws;
      quantizeRows(w, s.n, s.k, false, w8, ws);
      CUdeviceptr dw8 = dev.alloc(w8.size()), dws = dev.alloc(ws.size() * 4);
      dev.put(dw8, w8.data(), w8.size());
      dev.put(dws, ws.data(), ws.size() * 4);
      for (int64_t m : tokens) {
        std::vector<float> x(m * s.k);
        for (float &v : x) // bf16 values with the occasional outlier channel, as activations have
          v = axe::bf16ToFloat(axe::floatToBf16(normal(rng) * (rng() % 64 == 0 ? 20.0f : 1.0f)));
        std::vector<uint8_t> x8;
        std::vector<float> xs;
        quantizeRows(x, m, s.k, true, x8, xs);
        CUdeviceptr dx8 = dev.alloc(x8.size()), dxs = dev.alloc(m * 4), dout = dev.alloc(m * s.n * 2);
        int64_t differing = -1;
        if (quantize) { // the GPU quantizes the bf16 input; its codes must be the CPU's
          std::vector<uint16_t> xb(x.size());
          for (size_t i = 0; i < x.size(); ++i)
            xb[i] = axe::floatToBf16(x[i]);
          CUdeviceptr dx = dev.alloc(xb.size() * 2);
          dev.put(dx, xb.data(), xb.size() * 2);
          Desc<2> dxd = desc2(dx, m, s.k), dx8d = desc2(dx8, m, s.k);
          Desc<1> dxsd = desc1(dxs, m);
          quantize(&dxd, &dx8d, &dxsd);
          std::vector<uint8_t> g8(x8.size());
          std::vector<float> gs(m);
          dev.get(g8.data(), dx8, g8.size());
          dev.get(gs.data(), dxs, m * 4);
          differing = 0;
          for (size_t i = 0; i < g8.size(); ++i)
            differing += g8[i] != x8[i];
          for (int64_t i = 0; i < m; ++i)
            differing += gs[i] != xs[i];
          dev.free(dx);
        } else {
          dev.put(dx8, x8.data(), x8.size());
          dev.put(dxs, xs.data(), m * 4);
        }
        Desc<2> a = desc2(dx8, m, s.k), w8d = desc2(dw8, s.n, s.k), o = desc2(dout, m, s.n);
        Desc<1> as = desc1(dxs, m), wsd = desc1(dws, s.n);
        std::vector<uint16_t> y(m * s.n, 0xFFFF); // NaN: an element the kernel skips fails
        dev.put(dout, y.data(), y.size() * 2);
        gemm(&a, &as, &w8d, &wsd, &o);
        dev.get(y.data(), dout, y.size() * 2);
        // float64 reference on a sample of rows (every row for small M).
        std::vector<int64_t> rows;
        for (int64_t r = 0; r < m; r += std::max<int64_t>(1, m / 32))
          rows.push_back(r);
        rows.push_back(m - 1);
        double worst = 0, relative = 0;
        for (int64_t r : rows) {
          std::vector<double> ref(s.n);
          double big = 0;
          for (int64_t c = 0; c < s.n; ++c) {
            double acc = 0;
            for (int64_t i = 0; i < s.k; ++i)
              acc += double(axe::e4m3ToFloat(x8[r * s.k + i])) * axe::e4m3ToFloat(w8[c * s.k + i]);
            ref[c] = acc * xs[r] * ws[c];
            big = std::max(big, std::fabs(ref[c]));
          }
          for (int64_t c = 0; c < s.n; ++c) {
            double got = axe::bf16ToFloat(y[r * s.n + c]);
            double bound = std::ldexp(std::fabs(ref[c]), -8) + 1e-3 * big;
            if (!std::isfinite(got)) // NaN compares false: count it as unbounded
              got = HUGE_VAL;
            worst = std::max(worst, std::fabs(got - ref[c]) / bound);
            relative = std::max(relative, std::fabs(got - ref[c]) / big);
          }
        }
        int iters = quick ? 1 : m >= 4096 ? 10 : 50;
        for (int i = 0; i < (quick ? 0 : 3); ++i)
          gemm(&a, &as, &w8d, &wsd, &o);
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < iters; ++i)
          gemm(&a, &as, &w8d, &wsd, &o);
        double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / iters;
        bool ok = worst <= 1.0 && differing <= 0;
        allOk &= ok;
        char line[256];
        std::snprintf(line, sizeof line, "| %lldx%lld | %lld | %s | %.3f%s | %.1e | %.1f | %.1f | %.0f |\n",
                      (long long)s.n, (long long)s.k, (long long)m,
                      differing < 0 ? "(host codes)" : std::to_string(differing).c_str(), worst,
                      ok ? "" : " FAIL", relative, us, 2.0 * m * s.n * s.k / us / 1e6, double(s.n) * s.k / us / 1e3);
        table << line;
        std::fputs(line, stdout);
        dev.free(dx8);
        dev.free(dxs);
        dev.free(dout);
      }
      dev.free(dw8);
      dev.free(dws);
    }
    std::string header = "# FP8 linear kernels (axe, sm_90a) on " + card +
                         "\n\nTimes are host-measured per call of the generated host function "
                         "(descriptor lookup, launch, stream synchronisation included).\n\n";
    if (!outPath.empty())
      std::ofstream(outPath) << header << table.str();
    std::printf("%s", allOk ? "all checks passed\n" : "SOME CHECKS FAILED\n");
    return allOk ? 0 : 1;
  } catch (const axe::Error &e) {
    std::fprintf(stderr, "axe-gpu-check: error: %s\n", e.what());
    return 1;
  }
}
