//===- Manifest.h - the schema of model.axe/manifest.json -----*- C++ -*-===//
//
// The step program, buffer plan and kernel table of an artifact (docs/artifact.md): one set of
// types for both sides. Dispatch formation builds them, axe-compile writes them
// (artifact/ManifestWriter.h), and the runtime parses them back here and validates them before
// anything is mapped or called: every field's type, dense buffer ids, the six inputs and the
// logits output, kernel indices and argument counts, and that every view stays inside its buffer
// for every value of the symbols. A defect throws axe::Error
// with one line naming the file and the field.
//
// No file other than manifest.json is read here; Artifact checks the files the manifest names.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_ARTIFACT_MANIFEST_H
#define AXE_ARTIFACT_MANIFEST_H

#include "support/DType.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace axe {

// Sizes that change from step to step (T, S, R, MB) or are fixed at load (NB, P).
enum class Symbol { T, S, R, MB, NB, P };
constexpr int kNumSymbols = 6;
const char *symbolName(Symbol symbol);
// The symbol named `name` ("T", "MB", ...), if any.
std::optional<Symbol> parseSymbol(const std::string &name);

// The value of every symbol, indexed by Symbol.
using SymbolValues = std::array<int64_t, kNumSymbols>;

// A shape entry, stride, scalar or workgroup count: an integer or one symbol.
struct SymInt {
  int64_t value = 0;
  int symbol = -1; // a Symbol, or -1 for the integer `value`

  static SymInt of(int64_t v) { return {v, -1}; }
  static SymInt of(Symbol s) { return {0, int(s)}; }
  bool isSymbol() const { return symbol >= 0; }
  bool operator==(const SymInt &o) const { return symbol == o.symbol && (isSymbol() || value == o.value); }
  bool operator!=(const SymInt &o) const { return !(*this == o); }
  int64_t eval(const SymbolValues &values) const { return symbol >= 0 ? values[symbol] : value; }
  std::string str() const;
};

enum class BufferKind { Input, Weight, State, Temp, Output };
const char *bufferKindName(BufferKind kind);

// The six inputs the runtime writes before each step, in manifest order.
enum class InputBuffer { TokenIds, Positions, SeqIds, LogitRows, BlockTable, StateSlots };
constexpr int kNumInputs = 6;

struct BufferDecl {
  int64_t id = 0;
  BufferKind kind = BufferKind::Temp;
  std::string name;
  DType dtype = DType::F32;
  std::vector<SymInt> shape; // only dim 0 may be symbolic (the block table: both dims)

  // Elements and bytes of the dims from `fromDim` on, which must all be fixed: a weight's whole
  // size, or one block's or slot's share of a cache (every dim after the symbolic first).
  uint64_t fixedElements(size_t fromDim = 0) const;
  uint64_t fixedBytes(size_t fromDim = 0) const { return fixedElements(fromDim) * dtypeSize(dtype); }
};

// What a compiled kernel assumes of one view argument: its element type and rank, and the sizes
// fixed in its code (-1: read from the view at run time).
struct KernelArgContract {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

struct KernelDecl {
  std::string name;
  std::string symbol; // exported by cpu/kernels.so
  std::string op;
  int64_t numArgs = 0;    // memref views
  int64_t numScalars = 0; // int64_t scalars after the views
  // The contract every call is checked against at load (docs/artifact.md): one entry per view,
  // and the workgroup counts the kernel is compiled to be dispatched with.
  std::vector<KernelArgContract> args;
  std::vector<SymInt> workgroups;
};

// A strided view of a buffer, in elements.
struct ViewArg {
  int64_t buffer = 0;
  int64_t offset = 0;
  std::vector<SymInt> shape;
  std::vector<SymInt> strides;
};

struct ProgramEntry {
  int64_t kernel = 0;
  std::vector<ViewArg> args;
  std::vector<SymInt> scalars;
  SymInt workgroups;
};

struct ManifestFile {
  std::string path; // relative to the artifact directory
  uint64_t bytes = 0;
  std::string sha256; // kernel files: 64 lowercase hex digits of the whole file
  // weights: the SHA-256 of each consecutive chunk_bytes-byte piece (the last may be shorter).
  uint64_t chunkBytes = 0;
  std::vector<std::string> chunkSha256;
  std::string target; // kernel files only: x86-64-v3 (cpu_kernels), x86-64-v4 (cpu_kernels_v4),
                      // sm_90a (gpu_kernels, gpu_ptx)
};

struct ModelInfo {
  std::string modelType;
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t maxPositionEmbeddings = 0; // the longest sequence the model was trained for
  std::vector<int64_t> eosTokenIds;
};

struct PrecisionDecision {
  std::string name, role, precision, rule;
};

struct PrecisionInfo {
  std::string policy;
  std::string kvCache;
  std::vector<PrecisionDecision> weights;
};

struct Manifest {
  static constexpr int64_t kFormatVersion = 1;
  // Integers in shapes, strides and offsets, and the element count of a buffer's fixed dims, stay
  // below this, so that every bound check is exact in 128-bit arithmetic.
  static constexpr int64_t kMaxInt = int64_t(1) << 48;
  // Views have rank 0..kMaxViewRank; a kernel takes at most kMaxCallArgs arguments in all
  // (views, scalars and the two workgroup bounds).
  static constexpr int kMaxViewRank = 4;
  static constexpr int kMaxCallArgs = 32;

  ModelInfo model;
  PrecisionInfo precision;
  ManifestFile weightsFile; // empty path when the weights are synthetic
  // Synthetic weights (axe-compile --synthetic-weights): no weights file; the loader fills every
  // weight buffer from this seed (runtime/SyntheticWeights.h). For timing at real widths without
  // moving gigabytes: the numbers the model computes are meaningless.
  std::optional<uint64_t> syntheticSeed;
  ManifestFile cpuKernelsFile;
  // Optional (empty path when absent): the same kernels for x86-64-v4 (AVX-512), which the loader
  // takes instead on a CPU that has it (docs/artifact.md "Kernel ABI (CPU)").
  ManifestFile cpuKernelsV4File;
  // Optional (empty paths when the artifact has no GPU target): the step program's kernels for
  // one chip, as a cubin and as the PTX it was assembled from (docs/artifact.md "GPU kernels").
  ManifestFile gpuKernelsFile;
  ManifestFile gpuPtxFile;
  std::vector<Symbol> symbols;
  int64_t kvBlockSize = 0;
  // A sequence's results do not depend on how its prompt is split into steps as long as every
  // piece starts at a multiple of this many positions (the delta rule's chunk; docs/artifact.md).
  int64_t prefillAlignment = 1;
  std::vector<BufferDecl> buffers; // indexed by id
  std::vector<KernelDecl> kernels;
  std::vector<ProgramEntry> program;

  std::array<int64_t, kNumInputs> inputIds{}; // buffer id of each InputBuffer
  int64_t logitsId = 0;                       // the output buffer
  // The digest that cpu/kernels.so must embed (artifact/ManifestDigest.h).
  std::string digest;

  // Parses and validates manifest text; `path` names the file in messages.
  static Manifest parse(const std::string &text, const std::string &path);
  // Reads and parses the file at `path`.
  static Manifest load(const std::string &path);

  const BufferDecl &input(InputBuffer which) const { return buffers[inputIds[int(which)]]; }
};

} // namespace axe

#endif // AXE_ARTIFACT_MANIFEST_H
