//===- Manifest.cpp - the schema of model.axe/manifest.json ---------------===//

#include "artifact/Manifest.h"

#include "artifact/ManifestDigest.h"
#include "support/Error.h"
#include "support/RegularFile.h"
#include "support/Shape.h"

#include <nlohmann/json.hpp>

#include <cassert>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

namespace axe {

using json = nlohmann::json;

namespace {

constexpr const char *kSymbolNames[kNumSymbols] = {"T", "S", "R", "MB", "NB", "P"};

struct InputSpec {
  const char *name;
  Symbol dim0;
  int rank;
};
// docs/artifact.md: "Always these six, in this order". All i32; the block table is [S, MB].
constexpr InputSpec kInputs[kNumInputs] = {
    {"token_ids", Symbol::T, 1},  {"positions", Symbol::T, 1},   {"seq_ids", Symbol::T, 1},
    {"logit_rows", Symbol::R, 1}, {"block_table", Symbol::S, 2}, {"state_slots", Symbol::S, 1},
};

//===----------------------------------------------------------------------===//
// Polynomials in the symbols, for the "view fits its buffer" check
//===----------------------------------------------------------------------===//

using Monomial = std::array<uint8_t, kNumSymbols>; // exponent of each symbol

// Integer polynomial in the symbols. Coefficients are 128-bit: inputs are below 2^48 and the
// degree stays small, so nothing overflows.
struct Poly {
  std::map<Monomial, __int128> terms;

  static Poly constant(__int128 c) {
    Poly p;
    if (c != 0)
      p.terms[Monomial{}] = c;
    return p;
  }
  static Poly of(const SymInt &v) {
    if (!v.isSymbol())
      return constant(v.value);
    Poly p;
    Monomial m{};
    m[v.symbol] = 1;
    p.terms[m] = 1;
    return p;
  }
  Poly &operator+=(const Poly &o) {
    for (const auto &[m, c] : o.terms)
      terms[m] += c;
    return *this;
  }
  Poly operator-(const Poly &o) const {
    Poly r = *this;
    for (const auto &[m, c] : o.terms)
      r.terms[m] -= c;
    return r;
  }
  Poly operator*(const Poly &o) const {
    Poly r;
    for (const auto &[ma, ca] : terms)
      for (const auto &[mb, cb] : o.terms) {
        Monomial m;
        for (int i = 0; i < kNumSymbols; ++i)
          m[i] = uint8_t(ma[i] + mb[i]);
        r.terms[m] += ca * cb;
      }
    return r;
  }

  // True when the polynomial is >= 0 whenever every symbol is >= 1: substitute X = 1 + x and check
  // that no coefficient is negative (sufficient; exact for the affine and bilinear forms views
  // produce).
  bool nonNegativeForPositiveSymbols() const {
    Poly shifted;
    for (const auto &[m, c] : terms) {
      Poly expanded = constant(c);
      for (int s = 0; s < kNumSymbols; ++s) {
        Poly onePlusX = constant(1);
        Monomial x{};
        x[s] = 1;
        onePlusX.terms[x] = 1;
        for (int e = 0; e < m[s]; ++e)
          expanded = expanded * onePlusX;
      }
      shifted += expanded;
    }
    for (const auto &[m, c] : shifted.terms)
      if (c < 0)
        return false;
    return true;
  }
};

std::string kindList() { return "input, weight, state, temp, output"; }

//===----------------------------------------------------------------------===//
// Parser: typed field access with messages that name the file and the field
//===----------------------------------------------------------------------===//

class Parser {
public:
  explicit Parser(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string &where, const std::string &what) const {
    throw Error(path_ + ": " + where + ": " + what);
  }

  const json &object(const json &v, const std::string &where) const {
    if (!v.is_object())
      fail(where, "must be an object");
    return v;
  }
  const json &array(const json &v, const std::string &where) const {
    if (!v.is_array())
      fail(where, "must be an array");
    return v;
  }
  const json &field(const json &obj, const char *key, const std::string &where) const {
    auto it = obj.find(key);
    if (it == obj.end())
      fail(where, std::string("missing field '") + key + "'");
    return *it;
  }
  std::string string(const json &obj, const char *key, const std::string &where,
                     bool nonEmpty = true) const {
    const json &v = field(obj, key, where);
    if (!v.is_string())
      fail(where + "." + key, "must be a string");
    std::string s = v.get<std::string>();
    if (nonEmpty && s.empty())
      fail(where + "." + key, "must not be empty");
    return s;
  }
  int64_t integer(const json &v, const std::string &where, int64_t min, int64_t max) const {
    if (!v.is_number_integer())
      fail(where, "must be an integer");
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))
      fail(where, "integer out of range");
    int64_t x = v.get<int64_t>();
    if (x < min || x > max)
      fail(where, std::to_string(x) + " is outside [" + std::to_string(min) + ", " +
                      std::to_string(max) + "]");
    return x;
  }
  int64_t integer(const json &obj, const char *key, const std::string &where, int64_t min,
                  int64_t max) const {
    return integer(field(obj, key, where), where + "." + key, min, max);
  }
  // An integer in [min, max] or one of the declared symbols.
  SymInt symInt(const json &v, const std::string &where, int64_t min, int64_t max) const {
    SymInt r;
    if (v.is_string()) {
      std::string name = v.get<std::string>();
      std::optional<Symbol> s = parseSymbol(name);
      if (!s)
        fail(where, "unknown symbol '" + name + "' (known: T, S, R, MB, NB, P)");
      if (!declared_[size_t(*s)])
        fail(where, "symbol '" + name + "' is not in the manifest's 'symbols'");
      r.symbol = int(*s);
      return r;
    }
    if (!v.is_number_integer())
      fail(where, "must be an integer or a symbol");
    r.value = integer(v, where, min, max);
    return r;
  }
  std::vector<SymInt> symInts(const json &v, const std::string &where, int64_t min,
                              int64_t max) const {
    array(v, where);
    std::vector<SymInt> out;
    for (size_t i = 0; i < v.size(); ++i)
      out.push_back(symInt(v[i], where + "[" + std::to_string(i) + "]", min, max));
    return out;
  }

  std::array<bool, kNumSymbols> declared_{};

private:
  std::string path_;
};

bool isHex64(const std::string &s) {
  if (s.size() != 64)
    return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

// A path inside the artifact directory: relative, without "..".
bool isInsidePath(const std::string &p) {
  if (p.empty() || p[0] == '/')
    return false;
  std::stringstream parts(p);
  std::string part;
  while (std::getline(parts, part, '/'))
    if (part == "..")
      return false;
  return true;
}

// The weights are hashed in chunks (verified in parallel), the kernels as one file.
// A kernel file names its target: `target` is the one supported (empty: the file records no
// target and is checked by chunks, like the weights).
ManifestFile parseFile(const Parser &ps, const json &files, const char *key, const std::string &target) {
  bool withTarget = !target.empty();
  std::string where = std::string("files.") + key;
  const json &f = ps.object(ps.field(files, key, "files"), where);
  ManifestFile out;
  out.path = ps.string(f, "path", where);
  if (!isInsidePath(out.path))
    ps.fail(where + ".path", "'" + out.path + "' must be a relative path inside the artifact");
  out.bytes = uint64_t(ps.integer(f, "bytes", where, 0, INT64_MAX));
  if (withTarget) {
    out.sha256 = ps.string(f, "sha256", where);
    if (!isHex64(out.sha256))
      ps.fail(where + ".sha256", "must be 64 lowercase hex digits");
  } else {
    out.chunkBytes = uint64_t(ps.integer(f, "chunk_bytes", where, 4096, int64_t(1) << 40));
    const json &chunks = ps.array(ps.field(f, "chunk_sha256", where), where + ".chunk_sha256");
    uint64_t want = (out.bytes + out.chunkBytes - 1) / out.chunkBytes;
    if (chunks.size() != want)
      ps.fail(where + ".chunk_sha256", std::to_string(chunks.size()) + " digests for " +
                                           std::to_string(out.bytes) + " bytes in chunks of " +
                                           std::to_string(out.chunkBytes) + " (expected " +
                                           std::to_string(want) + ")");
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (!chunks[i].is_string() || !isHex64(chunks[i].get<std::string>()))
        ps.fail(where + ".chunk_sha256[" + std::to_string(i) + "]", "must be 64 lowercase hex digits");
      out.chunkSha256.push_back(chunks[i].get<std::string>());
    }
  }
  if (withTarget) {
    out.target = ps.string(f, "target", where);
    if (out.target != target)
      ps.fail(where + ".target", "'" + out.target + "' is not supported (expected " + target + ")");
  }
  return out;
}

DType parseDTypeName(const Parser &ps, const std::string &name, const std::string &where) {
  DType dtype;
  if (!parseArtifactDType(name, dtype))
    ps.fail(where, "unknown dtype '" + name + "' (expected " + artifactDTypeList() + ")");
  return dtype;
}

std::string bufferWhere(const BufferDecl &b) {
  return "buffer " + std::to_string(b.id) + " ('" + b.name + "')";
}

void parseBuffers(Parser &ps, const json &doc, Manifest &m) {
  const json &list = ps.array(ps.field(doc, "buffers", "manifest"), "buffers");
  if (list.empty())
    ps.fail("buffers", "must not be empty");
  int64_t n = int64_t(list.size());
  std::vector<bool> seen(size_t(n), false);
  m.buffers.resize(size_t(n));
  std::vector<int64_t> order; // ids in manifest order
  for (int64_t i = 0; i < n; ++i) {
    std::string where = "buffers[" + std::to_string(i) + "]";
    const json &b = ps.object(list[size_t(i)], where);
    const json &idv = ps.field(b, "id", where);
    if (!idv.is_number_integer())
      ps.fail(where + ".id", "must be an integer");
    bool inRange = idv.is_number_unsigned()
                       ? idv.get<uint64_t>() < uint64_t(n)
                       : (idv.get<int64_t>() >= 0 && idv.get<int64_t>() < n);
    if (!inRange)
      ps.fail(where + ".id", idv.dump() + " is not in [0, " + std::to_string(n) +
                                 ") (ids must be dense: 0.." + std::to_string(n - 1) + ")");
    int64_t id = idv.get<int64_t>();
    if (seen[size_t(id)])
      ps.fail(where + ".id", "buffer id " + std::to_string(id) + " appears twice");
    seen[size_t(id)] = true;
    BufferDecl &d = m.buffers[size_t(id)];
    d.id = id;
    d.name = ps.string(b, "name", where);
    where += " ('" + d.name + "')";
    std::string kind = ps.string(b, "kind", where);
    if (kind == "input")
      d.kind = BufferKind::Input;
    else if (kind == "weight")
      d.kind = BufferKind::Weight;
    else if (kind == "state")
      d.kind = BufferKind::State;
    else if (kind == "temp")
      d.kind = BufferKind::Temp;
    else if (kind == "output")
      d.kind = BufferKind::Output;
    else
      ps.fail(where + ".kind", "unknown kind '" + kind + "' (expected " + kindList() + ")");
    d.dtype = parseDTypeName(ps, ps.string(b, "dtype", where), where + ".dtype");
    d.shape = ps.symInts(ps.field(b, "shape", where), where + ".shape", 0, Manifest::kMaxInt - 1);

    // Only dim 0 is ever symbolic (the block table: both), and symbols fit the kind.
    bool blockTable = d.kind == BufferKind::Input && d.name == "block_table";
    __int128 fixed = 1;
    for (size_t k = 0; k < d.shape.size(); ++k) {
      const SymInt &dim = d.shape[k];
      std::string dimWhere = where + ".shape[" + std::to_string(k) + "]";
      if (dim.isSymbol()) {
        if (k > 0 && !(blockTable && k == 1))
          ps.fail(dimWhere, "only the first dimension may be a symbol");
        if (d.kind == BufferKind::Weight)
          ps.fail(dimWhere, "a weight's shape must be integers");
        if (d.kind == BufferKind::State && dim.symbol != int(Symbol::NB) &&
            dim.symbol != int(Symbol::P))
          ps.fail(dimWhere, "a state buffer is sized at load: its first dimension must be NB, P "
                            "or an integer, not " + dim.str());
      } else {
        fixed *= dim.value;
        if (fixed >= Manifest::kMaxInt)
          ps.fail(where + ".shape", "more than 2^48 elements");
      }
    }
    order.push_back(id);
  }

  // The six inputs, in this order, and exactly one output: logits [R, vocab] f32.
  std::vector<int64_t> inputs, outputs;
  for (int64_t id : order) {
    if (m.buffers[size_t(id)].kind == BufferKind::Input)
      inputs.push_back(id);
    if (m.buffers[size_t(id)].kind == BufferKind::Output)
      outputs.push_back(id);
  }
  std::string expected = "token_ids, positions, seq_ids, logit_rows, block_table, state_slots";
  if (inputs.size() != kNumInputs)
    ps.fail("buffers", "expected exactly 6 input buffers (" + expected + "), found " +
                           std::to_string(inputs.size()));
  for (int i = 0; i < kNumInputs; ++i) {
    const BufferDecl &b = m.buffers[size_t(inputs[size_t(i)])];
    const InputSpec &spec = kInputs[i];
    if (b.name != spec.name)
      ps.fail(bufferWhere(b), "input " + std::to_string(i) + " must be '" + spec.name +
                                  "' (inputs in this order: " + expected + ")");
    bool shapeOk = int(b.shape.size()) == spec.rank && b.shape[0].symbol == int(spec.dim0) &&
                   (spec.rank == 1 || b.shape[1].symbol == int(Symbol::MB));
    std::string want = std::string("[") + kSymbolNames[int(spec.dim0)] + (spec.rank == 2 ? ", MB]" : "]");
    if (!shapeOk)
      ps.fail(bufferWhere(b) + ".shape", shapeString(b.shape) + " must be " + want);
    if (b.dtype != DType::I32)
      ps.fail(bufferWhere(b) + ".dtype", std::string("must be i32, not ") + artifactDTypeName(b.dtype));
    m.inputIds[size_t(i)] = b.id;
  }
  if (outputs.size() != 1)
    ps.fail("buffers", "expected exactly one output buffer (logits), found " +
                           std::to_string(outputs.size()));
  const BufferDecl &logits = m.buffers[size_t(outputs[0])];
  if (logits.name != "logits")
    ps.fail(bufferWhere(logits), "the output buffer must be named 'logits'");
  if (logits.dtype != DType::F32)
    ps.fail(bufferWhere(logits) + ".dtype", std::string("must be f32, not ") + artifactDTypeName(logits.dtype));
  if (logits.shape.size() != 2 || logits.shape[0].symbol != int(Symbol::R) ||
      logits.shape[1].isSymbol() || logits.shape[1].value != m.model.vocabSize)
    ps.fail(bufferWhere(logits) + ".shape", shapeString(logits.shape) + " must be [R, " +
                                                std::to_string(m.model.vocabSize) + "] (vocab_size)");
  m.logitsId = logits.id;
}

void parseKernels(const Parser &ps, const json &doc, Manifest &m) {
  const json &list = ps.array(ps.field(doc, "kernels", "manifest"), "kernels");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = "kernels[" + std::to_string(i) + "]";
    const json &k = ps.object(list[i], where);
    KernelDecl d;
    d.name = ps.string(k, "name", where);
    where += " ('" + d.name + "')";
    d.symbol = ps.string(k, "symbol", where);
    d.op = ps.string(k, "op", where);
    d.numArgs = ps.integer(k, "num_args", where, 0, Manifest::kMaxCallArgs);
    d.numScalars = ps.integer(k, "num_scalars", where, 0, Manifest::kMaxCallArgs);
    if (d.numArgs + d.numScalars + 2 > Manifest::kMaxCallArgs)
      ps.fail(where, std::to_string(d.numArgs) + " views + " + std::to_string(d.numScalars) +
                         " scalars + 2 workgroup bounds exceed the " +
                         std::to_string(Manifest::kMaxCallArgs) + "-argument limit");
    const json &args = ps.array(ps.field(k, "args", where), where + ".args");
    if (int64_t(args.size()) != d.numArgs)
      ps.fail(where + ".args", std::to_string(args.size()) + " argument contracts for " +
                                   std::to_string(d.numArgs) + " views");
    for (size_t a = 0; a < args.size(); ++a) {
      std::string argWhere = where + ".args[" + std::to_string(a) + "]";
      const json &arg = ps.object(args[a], argWhere);
      KernelArgContract contract;
      contract.dtype = parseDTypeName(ps, ps.string(arg, "dtype", argWhere), argWhere + ".dtype");
      const json &shape = ps.array(ps.field(arg, "shape", argWhere), argWhere + ".shape");
      if (shape.size() > size_t(Manifest::kMaxViewRank))
        ps.fail(argWhere + ".shape", "rank " + std::to_string(shape.size()) +
                                         " exceeds the maximum view rank " +
                                         std::to_string(Manifest::kMaxViewRank));
      for (size_t i = 0; i < shape.size(); ++i)
        contract.shape.push_back(shape[i].is_null()
                                     ? -1
                                     : ps.integer(shape[i], argWhere + ".shape[" + std::to_string(i) + "]",
                                                  0, Manifest::kMaxInt - 1));
      d.args.push_back(std::move(contract));
    }
    const json &workgroups = ps.array(ps.field(k, "workgroups", where), where + ".workgroups");
    if (workgroups.empty())
      ps.fail(where + ".workgroups", "must list the kernel's workgroup counts");
    d.workgroups = ps.symInts(workgroups, where + ".workgroups", 0, INT64_MAX);
    m.kernels.push_back(std::move(d));
  }
}

bool isPerStep(const SymInt &v) {
  return v.symbol == int(Symbol::T) || v.symbol == int(Symbol::S) || v.symbol == int(Symbol::R) ||
         v.symbol == int(Symbol::MB);
}

// Checks that `view` stays inside `buffer` for every value of the symbols (all >= 1):
// offset + sum((size_i - 1) * stride_i) < elements(buffer). A view whose dim 0 is a per-step
// symbol other than the buffer's per-step dim-0 symbol is checked as if the two were equal (e.g.
// [R, H] rows of a [T, H] buffer); CpuDevice checks the actual values every time it binds them.
void checkViewFits(const Parser &ps, const std::string &where, const ViewArg &view,
                   const BufferDecl &buffer) {
  for (const SymInt &size : view.shape)
    if (!size.isSymbol() && size.value == 0)
      return; // empty: touches nothing
  Poly elements = Poly::constant(1);
  for (const SymInt &dim : buffer.shape)
    elements = elements * Poly::of(dim);
  Poly last = Poly::constant(view.offset);
  for (size_t i = 0; i < view.shape.size(); ++i) {
    SymInt size = view.shape[i];
    if (i == 0 && isPerStep(size) && !buffer.shape.empty() && isPerStep(buffer.shape[0]))
      size = buffer.shape[0];
    last += (Poly::of(size) - Poly::constant(1)) * Poly::of(view.strides[i]);
  }
  if (!(elements - Poly::constant(1) - last).nonNegativeForPositiveSymbols()) {
    std::string extent = "offset " + std::to_string(view.offset) + ", shape " + shapeString(view.shape) +
                         ", strides " + shapeString(view.strides);
    ps.fail(where, "view (" + extent + ") can exceed " + bufferWhere(buffer) + " of shape " +
                       shapeString(buffer.shape));
  }
}

// A view must be what the compiled kernel assumes: its element type and rank, and every size fixed
// in the kernel's code (a view smaller than that would be read or written past its end).
void checkContract(const Parser &ps, const std::string &where, const ViewArg &view,
                   const BufferDecl &buffer, const KernelArgContract &contract) {
  std::string want = std::string("a rank-") + std::to_string(contract.shape.size()) + " " +
                     artifactDTypeName(contract.dtype) + " view";
  if (view.shape.size() != contract.shape.size() || buffer.dtype != contract.dtype)
    ps.fail(where, std::string("a rank-") + std::to_string(view.shape.size()) + " " +
                       artifactDTypeName(buffer.dtype) + " view, but the kernel is compiled for " + want);
  for (size_t i = 0; i < contract.shape.size(); ++i) {
    if (contract.shape[i] < 0)
      continue;
    const SymInt &size = view.shape[i];
    if (size.isSymbol() || size.value != contract.shape[i])
      ps.fail(where + ".shape[" + std::to_string(i) + "]",
              "'" + size.str() + "', but the kernel is compiled for " + std::to_string(contract.shape[i]));
  }
}

void parseProgram(const Parser &ps, const json &doc, Manifest &m) {
  const json &list = ps.array(ps.field(doc, "program", "manifest"), "program");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = "program[" + std::to_string(i) + "]";
    const json &e = ps.object(list[i], where);
    ProgramEntry entry;
    entry.kernel = ps.integer(e, "kernel", where, 0, INT64_MAX);
    if (entry.kernel >= int64_t(m.kernels.size()))
      ps.fail(where + ".kernel", std::to_string(entry.kernel) + " is not a kernel index (" +
                                     std::to_string(m.kernels.size()) + " kernels)");
    const KernelDecl &kernel = m.kernels[size_t(entry.kernel)];
    where += " (kernel '" + kernel.name + "')";

    const json &args = ps.array(ps.field(e, "args", where), where + ".args");
    if (int64_t(args.size()) != kernel.numArgs)
      ps.fail(where + ".args", std::to_string(args.size()) + " views, but the kernel takes " +
                                   std::to_string(kernel.numArgs));
    for (size_t a = 0; a < args.size(); ++a) {
      std::string argWhere = where + ".args[" + std::to_string(a) + "]";
      const json &av = ps.object(args[a], argWhere);
      ViewArg view;
      view.buffer = ps.integer(av, "buffer", argWhere, 0, INT64_MAX);
      if (view.buffer >= int64_t(m.buffers.size()))
        ps.fail(argWhere + ".buffer", std::to_string(view.buffer) + " is not a buffer id (" +
                                          std::to_string(m.buffers.size()) + " buffers)");
      view.offset = ps.integer(av, "offset", argWhere, 0, Manifest::kMaxInt - 1);
      view.shape = ps.symInts(ps.field(av, "shape", argWhere), argWhere + ".shape", 0,
                              Manifest::kMaxInt - 1);
      view.strides = ps.symInts(ps.field(av, "strides", argWhere), argWhere + ".strides", 0,
                                Manifest::kMaxInt - 1);
      if (view.shape.size() > size_t(Manifest::kMaxViewRank))
        ps.fail(argWhere + ".shape", "rank " + std::to_string(view.shape.size()) +
                                         " exceeds the maximum view rank " +
                                         std::to_string(Manifest::kMaxViewRank));
      if (view.strides.size() != view.shape.size())
        ps.fail(argWhere + ".strides", std::to_string(view.strides.size()) + " strides for a rank-" +
                                           std::to_string(view.shape.size()) + " view");
      const BufferDecl &buffer = m.buffers[size_t(view.buffer)];
      checkViewFits(ps, argWhere, view, buffer);
      checkContract(ps, argWhere, view, buffer, kernel.args[a]);
      entry.args.push_back(std::move(view));
    }
    const json &scalars = ps.array(ps.field(e, "scalars", where), where + ".scalars");
    if (int64_t(scalars.size()) != kernel.numScalars)
      ps.fail(where + ".scalars", std::to_string(scalars.size()) + " scalars, but the kernel takes " +
                                      std::to_string(kernel.numScalars));
    entry.scalars = ps.symInts(scalars, where + ".scalars", INT64_MIN, INT64_MAX);
    entry.workgroups = ps.symInt(ps.field(e, "workgroups", where), where + ".workgroups", 0,
                                 INT64_MAX);

    bool compiledFor = false;
    for (const SymInt &w : kernel.workgroups)
      compiledFor |= w.symbol == entry.workgroups.symbol && w.value == entry.workgroups.value;
    if (!compiledFor)
      ps.fail(where + ".workgroups", "'" + entry.workgroups.str() +
                                         "' is not a workgroup count the kernel is compiled for");
    m.program.push_back(std::move(entry));
  }
}

} // namespace

const char *symbolName(Symbol symbol) { return kSymbolNames[int(symbol)]; }

std::optional<Symbol> parseSymbol(const std::string &name) {
  for (int s = 0; s < kNumSymbols; ++s)
    if (name == kSymbolNames[s])
      return Symbol(s);
  return std::nullopt;
}

std::string SymInt::str() const { return isSymbol() ? kSymbolNames[symbol] : std::to_string(value); }

uint64_t BufferDecl::fixedElements(size_t fromDim) const {
  uint64_t n = 1;
  for (size_t d = fromDim; d < shape.size(); ++d) {
    assert(!shape[d].isSymbol() && "fixedElements over a symbolic dim");
    n *= uint64_t(shape[d].value);
  }
  return n;
}

const char *bufferKindName(BufferKind kind) {
  switch (kind) {
  case BufferKind::Input:
    return "input";
  case BufferKind::Weight:
    return "weight";
  case BufferKind::State:
    return "state";
  case BufferKind::Temp:
    return "temp";
  case BufferKind::Output:
    return "output";
  }
  return "?";
}

Manifest Manifest::parse(const std::string &text, const std::string &path) {
  Parser ps(path);
  json doc;
  // nlohmann keeps the last of repeated keys; a repeated key is a defect, not a choice.
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  auto noDuplicateKeys = [&](int, json::parse_event_t event, json &parsed) {
    if (event == json::parse_event_t::object_start)
      keys.emplace_back();
    else if (event == json::parse_event_t::object_end)
      keys.pop_back();
    else if (event == json::parse_event_t::key && !keys.empty() &&
             !keys.back().insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  try {
    doc = json::parse(text, noDuplicateKeys);
  } catch (const json::exception &e) {
    throw Error(path + ": malformed JSON: " + e.what());
  }
  if (!duplicate.empty())
    throw Error(path + ": key '" + duplicate + "' appears twice in one object");
  ps.object(doc, "manifest");

  Manifest m;
  std::string format = ps.string(doc, "format", "manifest");
  if (format != "axe-artifact")
    ps.fail("format", "'" + format + "' is not 'axe-artifact'");
  int64_t version = ps.integer(doc, "version", "manifest", INT64_MIN, INT64_MAX);
  if (version != kFormatVersion)
    ps.fail("version", "format version " + std::to_string(version) + " is not supported (this runtime reads version " +
                           std::to_string(kFormatVersion) + ")");

  const json &model = ps.object(ps.field(doc, "model", "manifest"), "model");
  m.model.modelType = ps.string(model, "model_type", "model");
  m.model.vocabSize = ps.integer(model, "vocab_size", "model", 1, INT32_MAX);
  m.model.hiddenSize = ps.integer(model, "hidden_size", "model", 1, INT32_MAX);
  m.model.numLayers = ps.integer(model, "num_layers", "model", 1, INT32_MAX);
  m.model.maxPositionEmbeddings = ps.integer(model, "max_position_embeddings", "model", 1, INT32_MAX);
  const json &eos = ps.array(ps.field(model, "eos_token_ids", "model"), "model.eos_token_ids");
  for (size_t i = 0; i < eos.size(); ++i)
    m.model.eosTokenIds.push_back(
        ps.integer(eos[i], "model.eos_token_ids[" + std::to_string(i) + "]", 0, INT32_MAX));

  const json &precision = ps.object(ps.field(doc, "precision", "manifest"), "precision");
  m.precision.policy = ps.string(precision, "policy", "precision");
  m.precision.kvCache = ps.string(precision, "kv_cache", "precision");
  const json &decisions = ps.array(ps.field(precision, "weights", "precision"), "precision.weights");
  for (size_t i = 0; i < decisions.size(); ++i) {
    std::string where = "precision.weights[" + std::to_string(i) + "]";
    const json &d = ps.object(decisions[i], where);
    m.precision.weights.push_back({ps.string(d, "name", where), ps.string(d, "role", where),
                                   ps.string(d, "precision", where),
                                   ps.string(d, "rule", where, /*nonEmpty=*/false)});
  }

  const json &files = ps.object(ps.field(doc, "files", "manifest"), "files");
  const json &weights = ps.object(ps.field(files, "weights", "files"), "files.weights");
  if (weights.contains("synthetic_seed")) {
    if (weights.size() != 1)
      ps.fail("files.weights", "synthetic weights have a seed and nothing else (no file)");
    m.syntheticSeed = uint64_t(ps.integer(weights, "synthetic_seed", "files.weights", 0, INT64_MAX));
  } else {
    m.weightsFile = parseFile(ps, files, "weights", "");
  }
  m.cpuKernelsFile = parseFile(ps, files, "cpu_kernels", "x86-64-v3");
  if (files.contains("cpu_kernels_v4"))
    m.cpuKernelsV4File = parseFile(ps, files, "cpu_kernels_v4", "x86-64-v4");
  if (files.contains("gpu_kernels") || files.contains("gpu_ptx")) {
    m.gpuKernelsFile = parseFile(ps, files, "gpu_kernels", "sm_90a");
    m.gpuPtxFile = parseFile(ps, files, "gpu_ptx", "sm_90a");
  }

  const json &symbols = ps.array(ps.field(doc, "symbols", "manifest"), "symbols");
  for (size_t i = 0; i < symbols.size(); ++i) {
    std::string where = "symbols[" + std::to_string(i) + "]";
    if (!symbols[i].is_string())
      ps.fail(where, "must be a string");
    std::string name = symbols[i].get<std::string>();
    std::optional<Symbol> found = parseSymbol(name);
    if (!found)
      ps.fail(where, "unknown symbol '" + name + "' (known: T, S, R, MB, NB, P)");
    if (ps.declared_[size_t(*found)])
      ps.fail(where, "symbol '" + name + "' appears twice");
    ps.declared_[size_t(*found)] = true;
    m.symbols.push_back(*found);
  }

  // 0: the model has no full-attention layer, so no KV cache (no buffer may be sized by NB).
  m.kvBlockSize = ps.integer(doc, "kv_block_size", "manifest", 0, INT32_MAX);
  m.prefillAlignment = ps.integer(doc, "prefill_alignment", "manifest", 1, 1 << 16);
  parseBuffers(ps, doc, m);
  if (m.kvBlockSize == 0)
    for (const BufferDecl &b : m.buffers)
      if (!b.shape.empty() && b.shape[0].isSymbol() && b.shape[0].symbol == int(Symbol::NB))
        ps.fail("manifest.kv_block_size", "is 0 (no KV cache) but buffer '" + b.name +
                                              "' is a KV cache of NB blocks");
  parseKernels(ps, doc, m);
  parseProgram(ps, doc, m);
  m.digest = manifestDigest(doc);
  return m;
}

Manifest Manifest::load(const std::string &path) {
  // The 35B model's manifest is a few hundred KB; the cap only stops a runaway read.
  constexpr uint64_t kMaxManifestBytes = 256ull << 20;
  return parse(readRegularFile(path, kMaxManifestBytes, "an artifact manifest"), path);
}

} // namespace axe
