//===- Device.cpp - what the CPU and GPU devices share --------------------===//

#include "runtime/Device.h"

#include "support/Error.h"

namespace axe {

namespace {

// Per-step sizes stay far below this, so that byte counts cannot overflow.
constexpr int64_t kMaxSymbolValue = int64_t(1) << 31;

} // namespace

Device::Device(const char *name, const Artifact &artifact, int64_t numBlocks, int64_t numStateSlots)
    : name_(name), artifact_(artifact), manifest_(artifact.manifest()) {
  if (numBlocks < 1 || numBlocks > kMaxSymbolValue)
    throw Error(name_ + " device: the KV block count NB=" + std::to_string(numBlocks) + " must be in [1, 2^31]");
  if (numStateSlots < 1 || numStateSlots > kMaxSymbolValue)
    throw Error(name_ + " device: the state slot count P=" + std::to_string(numStateSlots) +
                " must be in [1, 2^31]");
  symbols_[int(Symbol::NB)] = numBlocks;
  symbols_[int(Symbol::P)] = numStateSlots;
}

uint64_t Device::bufferElements(const BufferDecl &b) const {
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

std::string Device::symbolsStr() const {
  std::string s;
  for (int i = 0; i < kNumSymbols; ++i)
    s += std::string(i ? " " : "") + symbolName(Symbol(i)) + "=" + std::to_string(symbols_[i]);
  return s;
}

Device::View Device::view(size_t entry, size_t arg) const {
  const ProgramEntry &e = manifest_.program[entry];
  const ViewArg &v = e.args[arg];
  const BufferDecl &b = manifest_.buffers[size_t(v.buffer)];
  View out;
  out.rank = int(v.shape.size());
  out.offset = v.offset;
  // The manifest's check assumed a view's dim-0 symbol equals its buffer's; check the values.
  __int128 last = v.offset;
  bool empty = false;
  for (int d = 0; d < out.rank; ++d) {
    out.sizes[d] = v.shape[size_t(d)].eval(symbols_);
    out.strides[d] = v.strides[size_t(d)].eval(symbols_);
    empty |= out.sizes[d] == 0;
    last += (__int128)(out.sizes[d] - 1) * out.strides[d];
  }
  uint64_t elements = bufferElements(b);
  if (!empty && last >= (__int128)elements)
    throw Error(artifact_.dir() + "/manifest.json: program[" + std::to_string(entry) + "] (kernel '" +
                manifest_.kernels[size_t(e.kernel)].name + "').args[" + std::to_string(arg) +
                "]: the view reaches element " + std::to_string(int64_t(last)) + " of buffer " +
                std::to_string(b.id) + " ('" + b.name + "'), which has " + std::to_string(elements) +
                " at " + symbolsStr());
  return out;
}

void Device::checkInputs(const StepInputs &in) const {
  auto fail = [&](const std::string &what) { throw Error(name_ + " device: step inputs: " + what); };
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

bool Device::bindSymbols(const StepInputs &in) {
  SymbolValues next = symbols_;
  next[int(Symbol::T)] = int64_t(in.tokenIds.size());
  next[int(Symbol::S)] = in.numSeqs;
  next[int(Symbol::R)] = int64_t(in.logitRows.size());
  next[int(Symbol::MB)] = in.blockTableCols;
  if (next == symbols_)
    return false;
  symbols_ = next;
  return true;
}

std::vector<std::pair<int64_t, uint64_t>> Device::stateSlices(Symbol symbol, std::initializer_list<int64_t> indices,
                                                              const char *what) const {
  int64_t count = symbols_[int(symbol)];
  for (int64_t index : indices)
    if (index < 0 || index >= count)
      throw Error(name_ + " device: " + what + " " + std::to_string(index) + " is not in [0, " +
                  symbolName(symbol) + "=" + std::to_string(count) + ")");
  std::vector<std::pair<int64_t, uint64_t>> out;
  for (const BufferDecl &b : manifest_.buffers)
    if (b.kind == BufferKind::State && !b.shape.empty() && b.shape[0].symbol == int(symbol))
      out.emplace_back(b.id, bufferElements(b) / uint64_t(count) * dtypeSize(b.dtype));
  return out;
}

void Device::enableRouteCapture() {
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
      throw Error(name_ + " device: kernel '" + kernel.name + "' (axe.moe_route) has " +
                  std::to_string(indices.size()) +
                  " i32 [T, K] arguments; route capture needs exactly one (the chosen experts)");
    routeArgs_.emplace_back(i, indices[0]);
  }
}

void Device::addEntryTime(size_t entry, double seconds) {
  for (KernelTime *t : {&profile_[size_t(manifest_.program[entry].kernel)], &entryProfile_[entry]}) {
    ++t->calls;
    t->seconds += seconds;
  }
}

} // namespace axe
