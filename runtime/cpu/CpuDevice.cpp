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
// Per-step sizes stay far below this, so that byte counts cannot overflow.
constexpr int64_t kMaxSymbolValue = int64_t(1) << 31;

} // namespace

CpuDevice::CpuDevice(const Artifact &artifact, int64_t numBlocks, int64_t numStateSlots,
                     unsigned numThreads)
    : artifact_(artifact), manifest_(artifact.manifest()), pool_(numThreads) {
  if (numBlocks < 1 || numBlocks > kMaxSymbolValue)
    throw Error("cpu device: the KV block count NB=" + std::to_string(numBlocks) + " must be in [1, 2^31]");
  if (numStateSlots < 1 || numStateSlots > kMaxSymbolValue)
    throw Error("cpu device: the state slot count P=" + std::to_string(numStateSlots) +
                " must be in [1, 2^31]");
  symbols_[int(Symbol::NB)] = numBlocks;
  symbols_[int(Symbol::P)] = numStateSlots;

  storage_.resize(manifest_.buffers.size());
  try {
    for (const BufferDecl &b : manifest_.buffers) {
      Storage &s = storage_[size_t(b.id)];
      if (b.kind == BufferKind::Weight) {
        s.data = const_cast<void *>(artifact.weightData(b.id)); // kernels only read weights
        s.bytes = bufferElements(b) * dtypeSize(b.dtype);
      } else if (b.kind == BufferKind::State) {
        allocate(s, bufferElements(b) * dtypeSize(b.dtype), /*zeroed=*/true);
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

uint64_t CpuDevice::bufferElements(const BufferDecl &b) const {
  // Fixed dims are below 2^48 in all (Manifest) and symbols below 2^31 (two symbols at most: the
  // block table), so the product fits in 128 bits; beyond 2^62 bytes no allocation can succeed.
  unsigned __int128 n = 1;
  for (const SymInt &d : b.shape)
    n *= uint64_t(d.eval(symbols_));
  if (n > (unsigned __int128)(1) << 58)
    throw Error(artifact_.dir() + ": buffer " + std::to_string(b.id) + " ('" + b.name +
                "') is too large at " + symbolsStr());
  return uint64_t(n);
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

std::string CpuDevice::symbolsStr() const {
  std::string s;
  for (int i = 0; i < kNumSymbols; ++i)
    s += std::string(i ? " " : "") + symbolName(Symbol(i)) + "=" + std::to_string(symbols_[i]);
  return s;
}

void CpuDevice::bind() {
  for (const BufferDecl &b : manifest_.buffers) {
    if (b.kind != BufferKind::Input && b.kind != BufferKind::Temp && b.kind != BufferKind::Output)
      continue;
    Storage &s = storage_[size_t(b.id)];
    uint64_t bytes = bufferElements(b) * dtypeSize(b.dtype);
    if (bytes > s.capacity)
      allocate(s, bytes, /*zeroed=*/false);
    s.bytes = bytes;
  }

  const std::string manifestPath = artifact_.dir() + "/manifest.json";
  for (size_t i = 0; i < manifest_.program.size(); ++i) {
    const ProgramEntry &e = manifest_.program[i];
    const KernelDecl &kernel = manifest_.kernels[size_t(e.kernel)];
    std::vector<int64_t> leading;
    for (size_t a = 0; a < e.args.size(); ++a) {
      const ViewArg &v = e.args[a];
      const BufferDecl &b = manifest_.buffers[size_t(v.buffer)];
      int rank = int(v.shape.size());
      int64_t sizes[kMaxDescriptorRank], strides[kMaxDescriptorRank];
      // The manifest's check assumed a view's dim-0 symbol equals its buffer's; check the values.
      __int128 last = v.offset;
      bool empty = false;
      for (int d = 0; d < rank; ++d) {
        sizes[d] = v.shape[size_t(d)].eval(symbols_);
        strides[d] = v.strides[size_t(d)].eval(symbols_);
        empty |= sizes[d] == 0;
        last += (__int128)(sizes[d] - 1) * strides[d];
      }
      uint64_t elements = bufferElements(b);
      if (!empty && last >= (__int128)elements)
        throw Error(manifestPath + ": program[" + std::to_string(i) + "] (kernel '" + kernel.name +
                    "').args[" + std::to_string(a) + "]: the view reaches element " +
                    std::to_string(int64_t(last)) + " of buffer " + std::to_string(b.id) + " ('" +
                    b.name + "'), which has " + std::to_string(elements) + " at " + symbolsStr());
      MemRefDescriptor &desc = descriptors_[firstDescriptor_[i] + a];
      desc.set(storage_[size_t(b.id)].data, v.offset, rank, sizes, strides);
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

void CpuDevice::checkInputs(const StepInputs &in) const {
  auto fail = [](const std::string &what) { throw Error("cpu device: step inputs: " + what); };
  int64_t T = int64_t(in.tokenIds.size()), S = in.numSeqs, MB = in.blockTableCols;
  int64_t R = int64_t(in.logitRows.size());
  int64_t NB = numBlocks(), P = numStateSlots(), V = manifest_.model.vocabSize;
  if (T < 1 || T > kMaxSymbolValue)
    fail("the token count T=" + std::to_string(T) + " must be in [1, 2^31]");
  if (S < 1 || S > T)
    fail("the sequence count S=" + std::to_string(S) + " must be in [1, T=" + std::to_string(T) + "]");
  if (MB < 1 || MB > kMaxSymbolValue)
    fail("the block table width MB=" + std::to_string(MB) + " must be in [1, 2^31]");
  if (int64_t(in.positions.size()) != T || int64_t(in.seqIds.size()) != T)
    fail("positions and seq_ids must have T=" + std::to_string(T) + " entries");
  if (int64_t(in.blockTable.size()) != S * MB)
    fail("block_table must have S*MB=" + std::to_string(S * MB) + " entries");
  if (int64_t(in.stateSlots.size()) != S)
    fail("state_slots must have S=" + std::to_string(S) + " entries");
  for (int64_t t = 0; t < T; ++t) {
    if (in.tokenIds[t] < 0 || in.tokenIds[t] >= V)
      fail("token_ids[" + std::to_string(t) + "]=" + std::to_string(in.tokenIds[t]) +
           " is not in [0, vocab_size=" + std::to_string(V) + ")");
    if (in.seqIds[t] < 0 || in.seqIds[t] >= S)
      fail("seq_ids[" + std::to_string(t) + "]=" + std::to_string(in.seqIds[t]) + " is not in [0, S)");
    if (in.positions[t] < 0 ||
        (manifest_.kvBlockSize > 0 && in.positions[t] / manifest_.kvBlockSize >= MB))
      fail("positions[" + std::to_string(t) + "]=" + std::to_string(in.positions[t]) +
           " is negative or beyond the block table's " + std::to_string(MB) + " blocks");
  }
  for (int64_t r = 0; r < R; ++r)
    if (in.logitRows[r] < 0 || in.logitRows[r] >= T)
      fail("logit_rows[" + std::to_string(r) + "]=" + std::to_string(in.logitRows[r]) + " is not in [0, T)");
  for (size_t k = 0; k < in.blockTable.size(); ++k)
    if (in.blockTable[k] < 0 || in.blockTable[k] >= NB)
      fail("block_table entry " + std::to_string(k) + "=" + std::to_string(in.blockTable[k]) +
           " is not in [0, NB=" + std::to_string(NB) + ")");
  for (int64_t s = 0; s < S; ++s)
    if (in.stateSlots[s] < 0 || in.stateSlots[s] >= P)
      fail("state_slots[" + std::to_string(s) + "]=" + std::to_string(in.stateSlots[s]) +
           " is not in [0, P=" + std::to_string(P) + ")");
}

Logits CpuDevice::step(const StepInputs &in) {
  checkInputs(in);
  artifact_.checkUnchanged(); // weights modified in place would be read half old, half new

  SymbolValues next = symbols_;
  next[int(Symbol::T)] = int64_t(in.tokenIds.size());
  next[int(Symbol::S)] = in.numSeqs;
  next[int(Symbol::R)] = int64_t(in.logitRows.size());
  next[int(Symbol::MB)] = in.blockTableCols;
  if (!bound_ || next != symbols_) {
    symbols_ = next;
    bound_ = false;
    bind();
  }

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
  for (const Call &c : calls_) {
    if (c.workgroups == 0)
      continue;
    Clock::time_point start;
    if (!profile_.empty())
      start = Clock::now();
    pool_.parallelFor(c.workgroups, [&c](int64_t begin, int64_t end) { c.call(begin, end); });
    if (!profile_.empty()) {
      KernelTime &t = profile_[size_t(c.kernel)];
      ++t.calls;
      t.seconds += std::chrono::duration<double>(Clock::now() - start).count();
    }
  }
  captureRoutes();
}

void CpuDevice::enableRouteCapture() {
  routeArgs_.clear();
  for (size_t i = 0; i < manifest_.program.size(); ++i) {
    const KernelDecl &kernel = manifest_.kernels[size_t(manifest_.program[i].kernel)];
    if (kernel.op != "axe.moe_route")
      continue;
    std::vector<size_t> indices;
    for (size_t a = 0; a < kernel.args.size(); ++a)
      if (kernel.args[a].dtype == DType::I32 && kernel.args[a].shape.size() == 2)
        indices.push_back(a);
    if (indices.size() != 1)
      throw Error("cpu device: kernel '" + kernel.name + "' (axe.moe_route) has " + std::to_string(indices.size()) +
                  " i32 [T, K] arguments; route capture needs exactly one (the chosen experts)");
    routeArgs_.emplace_back(i, indices[0]);
  }
}

void CpuDevice::captureRoutes() {
  routes_.resize(routeArgs_.size());
  for (size_t r = 0; r < routeArgs_.size(); ++r) {
    const MemRefDescriptor &d = descriptors_[firstDescriptor_[routeArgs_[r].first] + routeArgs_[r].second];
    int64_t rows = d.size(0), cols = d.size(1);
    const int32_t *base = static_cast<const int32_t *>(d.aligned) + d.offset;
    std::vector<int32_t> &out = routes_[r];
    out.resize(size_t(rows * cols));
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t k = 0; k < cols; ++k)
        out[size_t(t * cols + k)] = base[t * d.stride(2, 0) + k * d.stride(2, 1)];
  }
}

std::vector<float> CpuDevice::recurrentState(int64_t slot) const {
  int64_t P = numStateSlots();
  if (slot < 0 || slot >= P)
    throw Error("cpu device: state slot " + std::to_string(slot) + " is not in [0, P=" + std::to_string(P) + ")");
  std::vector<float> out;
  for (const BufferDecl &b : manifest_.buffers) {
    if (b.kind != BufferKind::State || b.dtype != DType::F32 || b.shape.empty() || b.shape[0].symbol != int(Symbol::P))
      continue;
    uint64_t n = bufferElements(b) / uint64_t(P);
    const float *base = static_cast<const float *>(storage_[size_t(b.id)].data) + uint64_t(slot) * n;
    out.insert(out.end(), base, base + n);
  }
  return out;
}

template <typename Fn>
void CpuDevice::forEachStateBuffer(Symbol symbol, std::initializer_list<int64_t> indices, const char *what, Fn fn) {
  int64_t count = symbols_[int(symbol)];
  for (int64_t index : indices)
    if (index < 0 || index >= count)
      throw Error(std::string("cpu device: ") + what + " " + std::to_string(index) + " is not in [0, " +
                  symbolName(symbol) + "=" + std::to_string(count) + ")");
  for (const BufferDecl &b : manifest_.buffers) {
    if (b.kind != BufferKind::State || b.shape.empty() || b.shape[0].symbol != int(symbol))
      continue;
    uint64_t sliceBytes = bufferElements(b) / uint64_t(count) * dtypeSize(b.dtype);
    fn(static_cast<uint8_t *>(storage_[size_t(b.id)].data), sliceBytes);
  }
}

void CpuDevice::zeroStateSlot(int64_t slot) {
  forEachStateBuffer(Symbol::P, {slot}, "state slot",
                     [&](uint8_t *base, uint64_t n) { std::memset(base + uint64_t(slot) * n, 0, n); });
}

void CpuDevice::copyStateSlot(int64_t from, int64_t to) {
  forEachStateBuffer(Symbol::P, {from, to}, "state slot", [&](uint8_t *base, uint64_t n) {
    std::memcpy(base + uint64_t(to) * n, base + uint64_t(from) * n, n);
  });
}

void CpuDevice::copyKvBlock(int64_t from, int64_t to) {
  forEachStateBuffer(Symbol::NB, {from, to}, "KV block", [&](uint8_t *base, uint64_t n) {
    std::memcpy(base + uint64_t(to) * n, base + uint64_t(from) * n, n);
  });
}

} // namespace axe
