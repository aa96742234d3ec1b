//===- Artifact.cpp - a loaded, validated model.axe/ ----------------------===//

#include "runtime/Artifact.h"

#include "artifact/ManifestDigest.h"
#include "runtime/MappedFileGuard.h"
#include "runtime/SyntheticWeights.h"
#include "support/Sha256.h"
#include "support/Shape.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace axe {

namespace {

// A compiled kernel library is a few MB; anything far larger is not one.
constexpr uint64_t kMaxKernelsBytes = uint64_t(1) << 30;

int64_t mtimeNs(const struct stat &st) {
  return int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Opens `path` as a regular file without blocking (a FIFO would hang a plain open) and checks its
// size against the manifest's.
int openRecorded(const std::string &path, const ManifestFile &file, const char *field, struct stat &st) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    throw Error(path + ": cannot open (manifest files." + field + "): " + std::strerror(errno));
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": not a regular file (manifest files." + field + ")");
  }
  if (uint64_t(st.st_size) != file.bytes) {
    ::close(fd);
    throw Error(path + ": " + std::to_string(st.st_size) + " bytes, but the manifest's files." +
                field + ".bytes says " + std::to_string(file.bytes));
  }
  return fd;
}

std::vector<uint8_t> readAll(int fd, uint64_t bytes, const std::string &path) {
  std::vector<uint8_t> data(bytes);
  uint64_t done = 0;
  while (done < bytes) {
    ssize_t got = ::pread(fd, data.data() + done, bytes - done, off_t(done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      throw Error(path + ": read error: " + (got < 0 ? std::strerror(errno) : "the file ended early"));
    done += uint64_t(got);
  }
  return data;
}

// The instructions a kernel target needs that this CPU lacks ("" when it has them all).
std::string missingCpuFeatures(const std::string &target) {
  __builtin_cpu_init();
  // __builtin_cpu_supports takes only a string literal: each row evaluates its own.
  struct Feature {
    bool present;
    const char *name;
    bool v4Only;
  };
  const Feature features[] = {
      {__builtin_cpu_supports("avx2") != 0, "AVX2", false},
      {__builtin_cpu_supports("fma") != 0, "FMA", false},
      {__builtin_cpu_supports("f16c") != 0, "F16C", false},
      {__builtin_cpu_supports("avx512f") != 0, "AVX512F", true},
      {__builtin_cpu_supports("avx512bw") != 0, "AVX512BW", true},
      {__builtin_cpu_supports("avx512dq") != 0, "AVX512DQ", true},
      {__builtin_cpu_supports("avx512vl") != 0, "AVX512VL", true},
      {__builtin_cpu_supports("avx512cd") != 0, "AVX512CD", true},
  };
  std::string missing;
  for (const Feature &f : features)
    if (!f.present && (!f.v4Only || target == "x86-64-v4"))
      missing += std::string(" ") + f.name;
  return missing;
}

// The CPU kernels to load: the fastest the artifact has and this CPU runs, or the one asked for.
const ManifestFile *chooseCpuKernels(const Manifest &m, const std::string &asked, const std::string &dir) {
  bool hasV4 = !m.cpuKernelsV4File.path.empty();
  if (asked == "x86-64-v3")
    return &m.cpuKernelsFile;
  if (asked == "x86-64-v4") {
    if (!hasV4)
      throw Error(dir + ": the artifact has no x86-64-v4 CPU kernels (compile it with --cpu-targets "
                        "x86-64-v3,x86-64-v4)");
    return &m.cpuKernelsV4File;
  }
  if (!asked.empty())
    throw Error("CPU kernels '" + asked + "' are not supported (x86-64-v3, x86-64-v4)");
  return hasV4 && missingCpuFeatures("x86-64-v4").empty() ? &m.cpuKernelsV4File : &m.cpuKernelsFile;
}

} // namespace

void checkCpuFeatures(const std::string &what, const std::string &target) {
  std::string missing = missingCpuFeatures(target);
  if (!missing.empty())
    throw Error(what + ": the kernels are built for " + target + ", but this CPU lacks" + missing);
}

void Artifact::mapWeights(const ArtifactLoadOptions &options) {
  const Manifest &m = manifest_;
  struct stat st;
  const std::string &dir = dir_;
  // Weights: every weight buffer is a tensor of the file with exactly its dtype and shape.
  std::string weightsPath = dir + "/" + m.weightsFile.path;
  weightsFd_ = openRecorded(weightsPath, m.weightsFile, "weights", st);
  weightsSize_ = int64_t(st.st_size);
  weightsMtimeNs_ = mtimeNs(st);
  weights_ = SafetensorsFile::open(weightsPath);
  // The mapping must be of the file just checked (not one renamed into its place meanwhile).
  struct stat mapped;
  if (::stat(weightsPath.c_str(), &mapped) != 0 || mapped.st_ino != st.st_ino || mapped.st_dev != st.st_dev)
    throw Error(weightsPath + ": the file was replaced while the artifact was loading");
  for (const BufferDecl &b : m.buffers) {
    if (b.kind != BufferKind::Weight)
      continue;
    std::string where = weightsPath + ": weight buffer " + std::to_string(b.id) + " ('" + b.name + "')";
    const TensorInfo *t = weights_->find(b.name);
    if (!t)
      throw Error(where + ": no tensor of that name in the file");
    if (t->dtype != b.dtype)
      throw Error(where + ": the file's dtype is " + dtypeName(t->dtype) + ", the manifest's " +
                  dtypeName(b.dtype));
    std::vector<int64_t> shape;
    for (const SymInt &d : b.shape)
      shape.push_back(d.value);
    if (t->shape != shape)
      throw Error(where + ": the file's shape is " + shapeString(t->shape) + ", the manifest's " +
                  shapeString(shape));
    weightData_[size_t(b.id)] = weights_->view(*t).data;
  }
  if (options.verifyWeights) {
    // The digests of the mapped bytes: exactly what the kernels will read.
    std::vector<std::string> chunks =
        sha256Chunks(weights_->mappedData(), weights_->mappedBytes(), m.weightsFile.chunkBytes,
                     std::max(1u, std::thread::hardware_concurrency()));
    for (size_t i = 0; i < chunks.size(); ++i)
      if (chunks[i] != m.weightsFile.chunkSha256[i])
        throw Error(weightsPath + ": bytes " + std::to_string(i * m.weightsFile.chunkBytes) + ".." +
                    std::to_string(std::min<uint64_t>((i + 1) * m.weightsFile.chunkBytes, m.weightsFile.bytes)) +
                    " do not match the manifest's files.weights.chunk_sha256[" + std::to_string(i) +
                    "]: the weights are corrupt or were changed after axe-compile");
  }
  watchMappedFile(weights_->mappedData(), weights_->mappedBytes(), weightsPath);
}

void Artifact::makeSyntheticWeights() {
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (const BufferDecl &b : manifest_.buffers) {
    if (b.kind != BufferKind::Weight)
      continue;
    uint64_t bytes = b.fixedBytes();
    // 64-byte aligned, like the tensors of a weights file the compiler writes.
    void *data = std::aligned_alloc(64, std::max<uint64_t>(64, (bytes + 63) / 64 * 64));
    if (!data)
      throw Error(dir_ + ": cannot allocate " + std::to_string(bytes) + " bytes for synthetic weight '" + b.name + "'");
    synthetic_.emplace_back(static_cast<uint8_t *>(data), &std::free);
    fillSyntheticWeight(b, *manifest_.syntheticSeed, manifest_.model.hiddenSize, data, threads);
    weightData_[size_t(b.id)] = data;
  }
}

std::unique_ptr<Artifact> Artifact::load(const std::string &dir, const ArtifactLoadOptions &options) {
  std::unique_ptr<Artifact> a(new Artifact());
  a->dir_ = dir;
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error(dir + ": not an artifact directory (expected model.axe/ with manifest.json)");
  a->manifest_ = Manifest::load(dir + "/manifest.json");
  const Manifest &m = a->manifest_;
  a->cpuKernels_ = chooseCpuKernels(m, options.cpuKernels, dir);
  // The kernels first: they are small, and they tell whether the manifest is the one they were
  // compiled for before anything large is read.
  std::vector<uint8_t> kernels = a->readKernels();

  a->weightData_.assign(m.buffers.size(), nullptr);
  if (m.syntheticSeed)
    a->makeSyntheticWeights();
  else
    a->mapWeights(options);
  a->openKernels(kernels);
  return a;
}

std::vector<uint8_t> Artifact::readRecorded(const ManifestFile &file, const char *field) const {
  std::string path = dir_ + "/" + file.path;
  if (file.bytes > kMaxKernelsBytes)
    throw Error(path + ": the manifest's files." + field + ".bytes " + std::to_string(file.bytes) +
                " exceeds the " + std::to_string(kMaxKernelsBytes) + "-byte cap for a kernel file");
  // Read the file once: the bytes that are hashed and checked are the bytes that are loaded.
  struct stat st;
  int fd = openRecorded(path, file, field, st);
  std::vector<uint8_t> bytes;
  try {
    bytes = readAll(fd, file.bytes, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  std::string actual = sha256Hex(bytes.data(), bytes.size());
  if (actual != file.sha256)
    throw Error(path + ": SHA-256 " + actual + " does not match the manifest's files." + field +
                ".sha256 " + file.sha256);
  return bytes;
}

const std::vector<uint8_t> &Artifact::gpuKernels() const {
  if (manifest_.gpuKernelsFile.path.empty())
    throw Error(dir_ + ": the artifact holds no GPU kernels; compile it with axe-compile --target cpu,sm_90a");
  // The CPU kernels embed the manifest's digest, which covers this file's size and hash.
  if (!gpuKernels_)
    gpuKernels_ = readRecorded(manifest_.gpuKernelsFile, "gpu_kernels");
  return *gpuKernels_;
}

std::vector<uint8_t> Artifact::readKernels() const {
  const Manifest &m = manifest_;
  std::string kernelsPath = dir_ + "/" + cpuKernels_->path;
  std::vector<uint8_t> bytes =
      readRecorded(*cpuKernels_, cpuKernels_ == &m.cpuKernelsFile ? "cpu_kernels" : "cpu_kernels_v4");
  std::string stamp = std::string(kManifestDigestPrefix) + m.digest;
  if (std::search(bytes.begin(), bytes.end(), stamp.begin(), stamp.end()) == bytes.end())
    throw Error(kernelsPath + ": was not compiled for this manifest.json (its embedded manifest digest "
                "differs: the manifest was edited after axe-compile, or the files come from different "
                "compiles); compile the artifact again");
  return bytes;
}

void Artifact::openKernels(const std::vector<uint8_t> &bytes) {
  const Manifest &m = manifest_;
  std::string kernelsPath = dir_ + "/" + cpuKernels_->path;
  std::string stamp = std::string(kManifestDigestPrefix) + m.digest;
  // Check the CPU before loading code that would die on an illegal instruction.
  checkCpuFeatures(kernelsPath, cpuKernels_->target);
  int memfd = ::memfd_create("axe-kernels.so", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (memfd < 0)
    throw Error(kernelsPath + ": memfd_create: " + std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(memfd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int err = errno;
      ::close(memfd);
      throw Error(kernelsPath + ": cannot copy into memory: " + std::strerror(err));
    }
    written += size_t(n);
  }
  ::fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  std::string loadPath = "/proc/self/fd/" + std::to_string(memfd);
  library_ = ::dlopen(loadPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  ::close(memfd);
  if (!library_) {
    const char *err = ::dlerror();
    throw Error(kernelsPath + ": cannot load: " + (err ? err : "dlopen failed"));
  }
  // dlsym on the handle also searches the library's dependencies (libc): a manifest naming
  // `abort` would get it. Only the kernel ABI's entry points, defined in kernels.so itself.
  struct link_map *library = nullptr;
  if (::dlinfo(library_, RTLD_DI_LINKMAP, &library) != 0 || !library)
    throw Error(kernelsPath + ": cannot inspect the loaded library");
  auto definedHere = [&](void *symbol) {
    Dl_info info;
    return ::dladdr(symbol, &info) != 0 && info.dli_fname && std::string(info.dli_fname) == library->l_name;
  };
  void *digest = ::dlsym(library_, kManifestDigestSymbol);
  if (!digest || !definedHere(digest) || stamp != static_cast<const char *>(digest))
    throw Error(kernelsPath + ": does not export the manifest digest '" + kManifestDigestSymbol +
                "' for this manifest.json; compile the artifact again");
  const std::string kEntryPrefix = "_mlir_ciface_";
  for (size_t i = 0; i < m.kernels.size(); ++i) {
    const KernelDecl &k = m.kernels[i];
    std::string where = kernelsPath + ": kernels[" + std::to_string(i) + "] ('" + k.name + "')";
    if (k.symbol.compare(0, kEntryPrefix.size(), kEntryPrefix) != 0)
      throw Error(where + ": symbol '" + k.symbol + "' is not a kernel entry point (" + kEntryPrefix + "*)");
    ::dlerror();
    void *entry = ::dlsym(library_, k.symbol.c_str());
    if (!entry)
      throw Error(where + ": symbol '" + k.symbol + "' is not exported");
    if (!definedHere(entry))
      throw Error(where + ": symbol '" + k.symbol + "' is not defined in " + kernelsPath);
    kernelEntries_.push_back(entry);
  }
}

void Artifact::checkUnchanged() const {
  if (weightsFd_ < 0)
    return; // synthetic weights: no file
  struct stat st;
  std::string path = dir_ + "/" + manifest_.weightsFile.path;
  if (::fstat(weightsFd_, &st) != 0)
    throw Error(path + ": cannot stat the mapped weights: " + std::strerror(errno));
  if (int64_t(st.st_size) != weightsSize_ || mtimeNs(st) != weightsMtimeNs_)
    throw Error(path + ": the weights file was modified while in use (size " +
                std::to_string(weightsSize_) + " -> " + std::to_string(st.st_size) +
                " bytes, or its modification time): results would mix old and new weights; restore "
                "the artifact and restart");
}

Artifact::~Artifact() {
  if (weights_)
    unwatchMappedFile(weights_->mappedData());
  if (library_)
    ::dlclose(library_);
  if (weightsFd_ >= 0)
    ::close(weightsFd_);
}

} // namespace axe
