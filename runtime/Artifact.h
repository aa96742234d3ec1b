//===- Artifact.h - a loaded, validated model.axe/ ------------*- C++ -*-===//
//
// Loads the artifact that axe-compile writes (docs/artifact.md) and refuses a bad one with a
// one-line axe::Error naming the file and the field, buffer or kernel. Every check runs before any
// code of the artifact does (docs/trust.md):
//   - manifest.json: schema, buffer plan, step program, and every call against its kernel's
//     contract (Manifest::parse);
//   - cpu/kernels.so: read once into memory; its size and SHA-256, and the manifest's digest
//     embedded in it (artifact/ManifestDigest.h); the CPU has AVX2, FMA and F16C; then the same bytes
//     are loaded from a sealed memfd (dlopen), and each kernel symbol is resolved inside them only;
//   - weights.safetensors: mmapped; every weight buffer exists with exactly its dtype and shape;
//     the mapped bytes' chunk digests (on all cores; skipped only on request).
// While the artifact is in use, checkUnchanged() tells whether the weights file was modified in
// place, and a SIGBUS on the mapped weights (the file truncated) ends the process with a message.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_ARTIFACT_H
#define AXE_RUNTIME_ARTIFACT_H

#include "artifact/Manifest.h"
#include "support/Safetensors.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace axe {

struct ArtifactLoadOptions {
  // Hash the weights against the manifest's chunk digests (reads the whole file once).
  bool verifyWeights = true;
  // Which CPU kernels to load: empty for the best this CPU runs (x86-64-v4 when the artifact has
  // them and the CPU has AVX-512, else x86-64-v3), or one of those two by name.
  std::string cpuKernels;
};

class Artifact {
public:
  // Loads and validates the artifact directory `dir`; throws axe::Error on any defect.
  static std::unique_ptr<Artifact> load(const std::string &dir, const ArtifactLoadOptions &options = {});
  ~Artifact(); // unloads kernels.so
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  const std::string &dir() const { return dir_; }
  const Manifest &manifest() const { return manifest_; }
  // The weight tensor of weight buffer `bufferId`, inside the mmapped weights file (or made from
  // the manifest's synthetic seed at load: runtime/SyntheticWeights.h).
  const void *weightData(int64_t bufferId) const { return weightData_[size_t(bufferId)]; }
  // The target of the CPU kernels loaded: x86-64-v3 or x86-64-v4.
  const std::string &cpuTarget() const { return cpuKernels_->target; }
  // The entry point of kernel `index` (manifest().kernels[index]).
  void *kernelEntry(int64_t index) const { return kernelEntries_[size_t(index)]; }
  // Throws axe::Error when weights.safetensors was modified or resized in place since the load: the
  // mapping would then mix old and new bytes. (A file replaced by rename does not matter: the
  // mapping keeps the old one.) Costs one fstat; the engine calls it before every step.
  void checkUnchanged() const;
  // nvvm/kernels.cubin's bytes, checked against the manifest (size, SHA-256); throws when the
  // artifact was compiled for the CPU only. Read and checked on the first call and kept: the
  // engine's cache plan and the CUDA device both ask.
  const std::vector<uint8_t> &gpuKernels() const;

private:
  Artifact() = default;
  // A kernel file's bytes, read once and checked against its record (size cap, SHA-256).
  std::vector<uint8_t> readRecorded(const ManifestFile &file, const char *field) const;
  // cpu/kernels.so's bytes, checked against the manifest (size, SHA-256, embedded digest).
  std::vector<uint8_t> readKernels() const;
  // The weight buffers: views of weights.safetensors (checked against the manifest, hashed
  // unless options say not to), or made from the manifest's synthetic seed.
  void mapWeights(const ArtifactLoadOptions &options);
  void makeSyntheticWeights();
  // Loads exactly those bytes and resolves the kernels' entry points.
  void openKernels(const std::vector<uint8_t> &bytes);

  std::string dir_;
  Manifest manifest_;
  const ManifestFile *cpuKernels_ = nullptr; // the library chosen at load (in manifest_)
  std::unique_ptr<SafetensorsFile> weights_;
  std::vector<const void *> weightData_; // by buffer id; null for other kinds
  std::vector<std::unique_ptr<uint8_t, void (*)(void *)>> synthetic_; // synthetic weights' memory
  mutable std::optional<std::vector<uint8_t>> gpuKernels_;
  int weightsFd_ = -1;                   // the mapped file, for checkUnchanged
  int64_t weightsSize_ = 0, weightsMtimeNs_ = 0;
  void *library_ = nullptr; // dlopen handle of cpu/kernels.so
  std::vector<void *> kernelEntries_;
};

// Throws axe::Error naming `what` and the missing features unless the CPU has what `target`'s
// kernels need: AVX2, FMA and F16C (x86-64-v3), and AVX512F/BW/DQ/VL/CD (x86-64-v4).
void checkCpuFeatures(const std::string &what, const std::string &target = "x86-64-v3");

} // namespace axe

#endif // AXE_RUNTIME_ARTIFACT_H
