//===- CpuDevice.cpp - runs the step program on the CPU -------------------===//

#include "runtime/cpu/CpuDevice.h"

#include "support/Error.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>

namespace axe {

namespace {

constexpr uint64_t kAlignment = 64;
// Large buffers come from mmap: page-aligned, zero pages committed only when touched.
constexpr uint64_t kMmapThreshold = 1 << 20;

} // namespace

CpuDevice::CpuDevice(const Artifact &artifact, int64_t numBlocks, int64_t numStateSlots,
                     unsigned numThreads)
    : Device("cpu", artifact, numBlocks, numStateSlots), pool_(numThreads) {
  storage_.resize(manifest_.buffers.size());
  try {
    for (const BufferDecl &b : manifest_.buffers) {
      Storage &s = storage_[size_t(b.id)];
      if (b.kind == BufferKind::Weight) {
        s.data = const_cast<void *>(artifact.weightData(b.id)); // kernels only read weights
        s.bytes = bytesOf(b);
      } else if (b.kind == BufferKind::State) {
        allocate(s, bytesOf(b), /*zeroed=*/true);
      }
    }
  } catch (...) {
    for (Storage &s : storage_)
      release(s);
    throw;
  }

  size_t numDescriptors = 0;
  for (const ProgramEntry &e : manifest_.program) {
    firstDescriptor_.push_back(numDescriptors);
    numDescriptors += e.args.size();
  }
  descriptors_.resize(numDescriptors);
  calls_.resize(manifest_.program.size());
}

CpuDevice::~CpuDevice() {
  for (Storage &s : storage_)
    release(s);
}

void CpuDevice::allocate(Storage &s, uint64_t bytes, bool zeroed) {
  release(s);
  uint64_t capacity = std::max<uint64_t>(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
  if (capacity >= kMmapThreshold) {
    void *p = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      throw Error("cpu device: cannot allocate " + std::to_string(capacity) + " bytes");
    s.data = p;
    s.mapped = true;
  } else {
    s.data = std::aligned_alloc(kAlignment, capacity);
    if (!s.data)
      throw Error("cpu device: cannot allocate " + std::to_string(capacity) + " bytes");
    if (zeroed)
      std::memset(s.data, 0, capacity);
    s.mapped = false;
  }
  s.capacity = capacity;
  s.bytes = bytes;
}

void CpuDevice::release(Storage &s) {
  if (s.capacity == 0)
    return; // weights: owned by the artifact
  if (s.mapped)
    ::munmap(s.data, s.capacity);
  else
    std::free(s.data);
  s = Storage();
}

void CpuDevice::bind() {
  for (const BufferDecl &b : manifest_.buffers) {
    if (b.kind != BufferKind::Input && b.kind != BufferKind::Temp && b.kind != BufferKind::Output)
      continue;
    Storage &s = storage_[size_t(b.id)];
    uint64_t bytes = bytesOf(b);
    if (bytes > s.capacity)
      allocate(s, bytes, /*zeroed=*/false);
    s.bytes = bytes;
  }

  for (size_t i = 0; i < manifest_.program.size(); ++i) {
    const ProgramEntry &e = manifest_.program[i];
    std::vector<int64_t> leading;
    for (size_t a = 0; a < e.args.size(); ++a) {
      View v = view(i, a);
      MemRefDescriptor &desc = descriptors_[firstDescriptor_[i] + a];
      desc.set(storage_[size_t(e.args[a].buffer)].data, v.offset, v.rank, v.sizes, v.strides);
      leading.push_back(KernelCall::pointerArg(&desc));
    }
    for (const SymInt &s : e.scalars)
      leading.push_back(s.eval(symbols_));
    calls_[i].call = KernelCall(artifact_.kernelEntry(e.kernel), std::move(leading));
    calls_[i].workgroups = e.workgroups.eval(symbols_);
    calls_[i].kernel = e.kernel;
  }
  bound_ = true;
}

Logits CpuDevice::step(const StepInputs &in) {
  checkInputs(in);
  artifact_.checkUnchanged(); // weights modified in place would be read half old, half new

  if (bindSymbols(in) || !bound_)
    bind();

  const std::vector<int32_t> *sources[kNumInputs] = {&in.tokenIds,  &in.positions,  &in.seqIds,
                                                     &in.logitRows, &in.blockTable, &in.stateSlots};
  for (int i = 0; i < kNumInputs; ++i) {
    const std::vector<int32_t> &src = *sources[i];
    if (!src.empty())
      std::memcpy(storage_[size_t(manifest_.inputIds[size_t(i)])].data, src.data(),
                  src.size() * sizeof(int32_t));
  }

  runCalls();

  Logits out;
  out.data = static_cast<const float *>(storage_[size_t(manifest_.logitsId)].data);
  out.rows = symbols_[int(Symbol::R)];
  out.cols = manifest_.model.vocabSize;
  return out;
}

void CpuDevice::runCalls() {
  using Clock = std::chrono::steady_clock;
  for (size_t i = 0; i < calls_.size(); ++i) {
    const Call &c = calls_[i];
    if (c.workgroups == 0)
      continue;
    Clock::time_point start;
    if (profiling())
      start = Clock::now();
    pool_.parallelFor(c.workgroups, [&c](int64_t begin, int64_t end) { c.call(begin, end); });
    if (profiling())
      addEntryTime(i, std::chrono::duration<double>(Clock::now() - start).count());
  }
  captureRoutes();
}

void CpuDevice::captureRoutes() {
  const auto &args = routeArguments();
  routes().resize(args.size());
  for (size_t r = 0; r < args.size(); ++r) {
    const MemRefDescriptor &d = descriptors_[firstDescriptor_[args[r].first] + args[r].second];
    int64_t rows = d.size(0), cols = d.size(1);
    const int32_t *base = static_cast<const int32_t *>(d.aligned) + d.offset;
    std::vector<int32_t> &out = routes()[r];
    out.resize(size_t(rows * cols));
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t k = 0; k < cols; ++k)
        out[size_t(t * cols + k)] = base[t * d.stride(2, 0) + k * d.stride(2, 1)];
  }
}

std::vector<float> CpuDevice::recurrentState(int64_t slot) const {
  std::vector<float> out;
  for (auto [id, n] : stateSlices(Symbol::P, {slot}, "state slot")) {
    if (manifest_.buffers[size_t(id)].dtype != DType::F32)
      continue;
    const auto *base = reinterpret_cast<const float *>(static_cast<const uint8_t *>(bufferData(id)) + uint64_t(slot) * n);
    out.insert(out.end(), base, base + n / sizeof(float));
  }
  return out;
}

void CpuDevice::zeroStateSlot(int64_t slot) {
  for (auto [id, n] : stateSlices(Symbol::P, {slot}, "state slot"))
    std::memset(static_cast<uint8_t *>(bufferData(id)) + uint64_t(slot) * n, 0, n);
}

void CpuDevice::copyStateSlot(int64_t from, int64_t to) {
  for (auto [id, n] : stateSlices(Symbol::P, {from, to}, "state slot")) {
    auto *base = static_cast<uint8_t *>(bufferData(id));
    std::memcpy(base + uint64_t(to) * n, base + uint64_t(from) * n, n);
  }
}

void CpuDevice::copyKvBlock(int64_t from, int64_t to) {
  for (auto [id, n] : stateSlices(Symbol::NB, {from, to}, "KV block")) {
    auto *base = static_cast<uint8_t *>(bufferData(id));
    std::memcpy(base + uint64_t(to) * n, base + uint64_t(from) * n, n);
  }
}

} // namespace axe
