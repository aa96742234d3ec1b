//===- CudaDevice.cpp - runs the step program on an NVIDIA GPU ------------===//

#include "runtime/cuda/CudaDevice.h"

#include "runtime/cuda/CudaDriver.h"
#include "support/Error.h"

#include <algorithm>


namespace axe {

namespace {

using cuda::CudaDriver;
using cuda::CUdeviceptr;

// Device allocations are rounded up to this (and a zero-sized buffer still gets one).
constexpr uint64_t kGranule = 256;

CudaDriver &driver() {
  CudaDriver &d = CudaDriver::get();
  d.makeCurrent();
  return d;
}

} // namespace

CudaDevice::CudaDevice(const Artifact &artifact, int64_t numBlocks, int64_t numStateSlots)
    : Device("cuda", artifact, numBlocks, numStateSlots) {
  // The artifact first: a CPU-only or corrupt artifact is an error on any machine.
  const std::vector<uint8_t> &cubin = artifact.gpuKernels();
  const std::string &chip = manifest_.gpuKernelsFile.target;
  CudaDriver &d = driver();
  if (chip == "sm_90a" && d.computeCapability() != 90)
    throw Error("cuda device: " + d.deviceName() + " (compute capability " +
                std::to_string(d.computeCapability()) + ") cannot run " + artifact.dir() +
                "'s sm_90a kernels; they need a Hopper GPU");
  cuda::CUmodule module = nullptr;
  d.check(d.api().cuModuleLoadData(&module, cubin.data()), "cuda device: cuModuleLoadData (nvvm/kernels.cubin)");
  module_ = module;
  try {
    for (const KernelDecl &k : manifest_.kernels) {
      cuda::CUfunction f = nullptr;
      if (d.api().cuModuleGetFunction(&f, module, k.name.c_str()) != 0)
        throw Error("cuda device: " + artifact.dir() + "/" + manifest_.gpuKernelsFile.path +
                    " has no kernel '" + k.name + "'");
      functions_.push_back(f);
    }
    storage_.resize(manifest_.buffers.size());
    for (const BufferDecl &b : manifest_.buffers) {
      Storage &s = storage_[size_t(b.id)];
      if (b.kind == BufferKind::Weight) { // uploaded once
        allocate(s, bytesOf(b));
        d.check(d.api().cuMemcpyHtoD(s.address, artifact.weightData(b.id), s.bytes), "cuda device: uploading weights");
      } else if (b.kind == BufferKind::State) {
        allocate(s, bytesOf(b));
        d.check(d.api().cuMemsetD8(s.address, 0, s.capacity), "cuda device: zeroing state");
      }
    }
  } catch (...) {
    for (Storage &s : storage_)
      release(s);
    d.api().cuModuleUnload(module);
    throw;
  }
  calls_.resize(manifest_.program.size());
}

CudaDevice::~CudaDevice() {
  for (Storage &s : storage_)
    release(s);
  release(arena_);
  CudaDriver &d = CudaDriver::get();
  if (d.tryMakeCurrent() == 0) {
    for (void *e : events_)
      d.api().cuEventDestroy(static_cast<cuda::CUevent>(e));
    d.api().cuModuleUnload(static_cast<cuda::CUmodule>(module_));
  }
}

uint64_t CudaDevice::freeMemoryBytes() {
  CudaDriver &d = driver();
  size_t free = 0, total = 0;
  d.check(d.api().cuMemGetInfo(&free, &total), "cuda device: cuMemGetInfo");
  return free;
}

void CudaDevice::allocate(Storage &s, uint64_t bytes) {
  release(s);
  CudaDriver &d = driver();
  uint64_t capacity = std::max<uint64_t>(kGranule, (bytes + kGranule - 1) / kGranule * kGranule);
  CUdeviceptr p = 0;
  if (d.api().cuMemAlloc(&p, capacity) != 0)
    throw Error("cuda device: cannot allocate " + std::to_string(capacity) + " bytes of GPU memory");
  s.address = p;
  s.capacity = capacity;
  s.bytes = bytes;
}

void CudaDevice::release(Storage &s) {
  if (s.capacity == 0)
    return;
  CudaDriver &d = CudaDriver::get();
  if (d.tryMakeCurrent() == 0)
    d.api().cuMemFree(s.address);
  s = Storage();
}

void CudaDevice::bind() {
  // The per-step buffers (inputs, temporaries as the buffer plan shares them, the logits) are
  // slices of one arena, reallocated only when a step needs more than it holds.
  std::vector<uint64_t> offsets(manifest_.buffers.size(), 0);
  uint64_t total = 0;
  for (const BufferDecl &b : manifest_.buffers) {
    if (b.kind != BufferKind::Input && b.kind != BufferKind::Temp && b.kind != BufferKind::Output)
      continue;
    offsets[size_t(b.id)] = total;
    storage_[size_t(b.id)].bytes = bytesOf(b);
    total += std::max<uint64_t>(kGranule, (bytesOf(b) + kGranule - 1) / kGranule * kGranule);
  }
  if (total > arena_.capacity)
    allocate(arena_, total);
  for (const BufferDecl &b : manifest_.buffers)
    if (b.kind == BufferKind::Input || b.kind == BufferKind::Temp || b.kind == BufferKind::Output)
      storage_[size_t(b.id)].address = arena_.address + offsets[size_t(b.id)]; // capacity 0: not owned
  // MLIR's GPU calling convention: each memref is (allocated, aligned, offset, sizes..., strides...),
  // then the index scalars, then the workgroup range [0, workgroups).
  for (size_t i = 0; i < manifest_.program.size(); ++i) {
    const ProgramEntry &e = manifest_.program[i];
    Call &c = calls_[i];
    c.params.clear();
    for (size_t a = 0; a < e.args.size(); ++a) {
      View v = view(i, a);
      int64_t base = int64_t(storage_[size_t(e.args[a].buffer)].address);
      c.params.insert(c.params.end(), {base, base, v.offset});
      c.params.insert(c.params.end(), v.sizes, v.sizes + v.rank);
      c.params.insert(c.params.end(), v.strides, v.strides + v.rank);
    }
    for (const SymInt &s : e.scalars)
      c.params.push_back(s.eval(symbols_));
    c.workgroups = e.workgroups.eval(symbols_);
    c.params.insert(c.params.end(), {0, c.workgroups});
    c.pointers.clear();
    for (int64_t &p : c.params)
      c.pointers.push_back(&p);
    c.function = functions_[size_t(e.kernel)];
    c.kernel = e.kernel;
  }
  bound_ = true;
}

Logits CudaDevice::step(const StepInputs &in) {
  checkInputs(in);
  artifact_.checkUnchanged();
  if (bindSymbols(in) || !bound_)
    bind();
  CudaDriver &d = driver();
  const std::vector<int32_t> *sources[kNumInputs] = {&in.tokenIds,  &in.positions,  &in.seqIds,
                                                     &in.logitRows, &in.blockTable, &in.stateSlots};
  for (int i = 0; i < kNumInputs; ++i)
    if (!sources[i]->empty())
      d.check(d.api().cuMemcpyHtoD(storage_[size_t(manifest_.inputIds[size_t(i)])].address, sources[i]->data(),
                                   sources[i]->size() * sizeof(int32_t)),
              "cuda device: copying the step's inputs");
  // Profiling brackets each launch with events on the stream: no synchronisation between
  // kernels, so the step runs as it would unprofiled; the times are read once it has finished.
  if (profiling() && events_.size() < 2 * calls_.size()) {
    events_.resize(2 * calls_.size(), nullptr);
    for (void *&e : events_)
      if (!e) {
        cuda::CUevent event = nullptr;
        d.check(d.api().cuEventCreate(&event, 0), "cuda device: cuEventCreate");
        e = event;
      }
  }
  auto event = [&](size_t i) { return static_cast<cuda::CUevent>(events_[i]); };
  for (size_t i = 0; i < calls_.size(); ++i) {
    Call &c = calls_[i];
    if (c.workgroups == 0)
      continue;
    if (profiling())
      d.check(d.api().cuEventRecord(event(2 * i), nullptr), "cuda device: cuEventRecord");
    // Grids are 2^31 - 1 blocks wide in x; workgroup counts stay below 2^31 (Manifest).
    cuda::LaunchConfig config;
    config.gridDimX = unsigned(c.workgroups);
    if (d.api().cuLaunchKernelEx(&config, static_cast<cuda::CUfunction>(c.function), c.pointers.data(), nullptr) != 0)
      throw Error("cuda device: launching kernel '" + manifest_.kernels[size_t(c.kernel)].name + "' (" +
                  std::to_string(c.workgroups) + " blocks) failed");
    if (profiling())
      d.check(d.api().cuEventRecord(event(2 * i + 1), nullptr), "cuda device: cuEventRecord");
  }
  // Only the rows asked for exist: the logits buffer is [R, V].
  const Storage &out = storage_[size_t(manifest_.logitsId)];
  logits_.resize(out.bytes / sizeof(float));
  d.check(d.api().cuMemcpyDtoH(logits_.data(), out.address, out.bytes),
          "cuda device: the step (a kernel failed, or copying the logits back)");
  if (profiling())
    for (size_t i = 0; i < calls_.size(); ++i) {
      if (calls_[i].workgroups == 0)
        continue;
      float ms = 0;
      d.check(d.api().cuEventElapsedTime(&ms, event(2 * i), event(2 * i + 1)), "cuda device: cuEventElapsedTime");
      addEntryTime(i, double(ms) * 1e-3);
    }
  captureRoutes();
  Logits l;
  l.data = logits_.data();
  l.rows = symbols_[int(Symbol::R)];
  l.cols = manifest_.model.vocabSize;
  return l;
}

void CudaDevice::captureRoutes() {
  const auto &args = routeArguments();
  routes().resize(args.size());
  CudaDriver &d = driver();
  for (size_t r = 0; r < args.size(); ++r) {
    View v = view(args[r].first, args[r].second);
    const Storage &s = storage_[size_t(manifest_.program[args[r].first].args[args[r].second].buffer)];
    std::vector<int32_t> &out = routes()[r];
    int64_t rows = v.sizes[0], k = v.sizes[1];
    out.resize(size_t(rows * k));
    if (rows == 0)
      continue;
    // Rows may be strided (each row's K entries are contiguous): one copy of the span they
    // cover, then the rows picked out here.
    std::vector<int32_t> span(size_t((rows - 1) * v.strides[0] + k));
    d.check(d.api().cuMemcpyDtoH(span.data(), s.address + uint64_t(v.offset) * 4, span.size() * 4),
            "cuda device: copying the routes back");
    for (int64_t t = 0; t < rows; ++t)
      std::copy_n(span.begin() + t * v.strides[0], k, out.begin() + t * k);
  }
}

std::vector<float> CudaDevice::recurrentState(int64_t slot) const {
  std::vector<float> out;
  CudaDriver &d = driver();
  for (auto [id, n] : stateSlices(Symbol::P, {slot}, "state slot")) {
    if (manifest_.buffers[size_t(id)].dtype != DType::F32)
      continue;
    size_t at = out.size();
    out.resize(at + n / sizeof(float));
    d.check(d.api().cuMemcpyDtoH(out.data() + at, storage_[size_t(id)].address + uint64_t(slot) * n, n),
            "cuda device: copying a recurrent state back");
  }
  return out;
}

void CudaDevice::zeroStateSlot(int64_t slot) {
  CudaDriver &d = driver();
  for (auto [id, n] : stateSlices(Symbol::P, {slot}, "state slot"))
    d.check(d.api().cuMemsetD8(storage_[size_t(id)].address + uint64_t(slot) * n, 0, n), "cuda device: zeroing a state slot");
}

void CudaDevice::copyStateSlot(int64_t from, int64_t to) {
  CudaDriver &d = driver();
  for (auto [id, n] : stateSlices(Symbol::P, {from, to}, "state slot")) {
    uint64_t base = storage_[size_t(id)].address;
    d.check(d.api().cuMemcpyDtoD(base + uint64_t(to) * n, base + uint64_t(from) * n, n), "cuda device: copying a state slot");
  }
}

void CudaDevice::copyKvBlock(int64_t from, int64_t to) {
  CudaDriver &d = driver();
  for (auto [id, n] : stateSlices(Symbol::NB, {from, to}, "KV block")) {
    uint64_t base = storage_[size_t(id)].address;
    d.check(d.api().cuMemcpyDtoD(base + uint64_t(to) * n, base + uint64_t(from) * n, n), "cuda device: copying a KV block");
  }
}

} // namespace axe
