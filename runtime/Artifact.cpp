//===- Artifact.cpp - a loaded, validated model.axe/ ----------------------===//

#include "runtime/Artifact.h"

#include "runtime/Sha256.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>

namespace axe {

namespace {

// Checks that `file` exists with the recorded size and, if asked, the recorded SHA-256.
void checkFile(const std::string &dir, const ManifestFile &file, const char *field, bool hash) {
  std::string path = dir + "/" + file.path;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw Error(path + ": cannot open (manifest files." + field + "): " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    throw Error(path + ": not a regular file (manifest files." + field + ")");
  if (uint64_t(st.st_size) != file.bytes)
    throw Error(path + ": " + std::to_string(st.st_size) + " bytes, but the manifest's files." +
                field + ".bytes says " + std::to_string(file.bytes));
  if (!hash)
    return;
  std::string actual = sha256File(path);
  if (actual != file.sha256)
    throw Error(path + ": SHA-256 " + actual + " does not match the manifest's files." + field +
                ".sha256 " + file.sha256);
}

std::string shapeStr(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

} // namespace

void checkCpuFeatures(const std::string &what) {
  __builtin_cpu_init();
  std::string missing;
  if (!__builtin_cpu_supports("avx2"))
    missing += " AVX2";
  if (!__builtin_cpu_supports("fma"))
    missing += " FMA";
  if (!__builtin_cpu_supports("f16c"))
    missing += " F16C";
  if (!missing.empty())
    throw Error(what + ": the kernels are built for x86-64-v3, but this CPU lacks" + missing);
}

std::unique_ptr<Artifact> Artifact::load(const std::string &dir, const ArtifactOptions &options) {
  std::unique_ptr<Artifact> a(new Artifact());
  a->dir_ = dir;
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error(dir + ": not an artifact directory (expected model.axe/ with manifest.json)");
  a->manifest_ = Manifest::load(dir + "/manifest.json");
  const Manifest &m = a->manifest_;

  std::string kernelsPath = dir + "/" + m.cpuKernelsFile.path;
  std::string weightsPath = dir + "/" + m.weightsFile.path;
  checkFile(dir, m.cpuKernelsFile, "cpu_kernels", /*hash=*/true);
  checkFile(dir, m.weightsFile, "weights", options.verifyWeights);

  // Weights: every weight buffer is a tensor of the file with exactly its dtype and shape.
  a->weights_ = SafetensorsFile::open(weightsPath);
  a->weightData_.assign(m.buffers.size(), nullptr);
  for (const BufferDecl &b : m.buffers) {
    if (b.kind != BufferKind::Weight)
      continue;
    std::string where = weightsPath + ": weight buffer " + std::to_string(b.id) + " ('" + b.name + "')";
    const TensorInfo *t = a->weights_->find(b.name);
    if (!t)
      throw Error(where + ": no tensor of that name in the file");
    if (t->dtype != b.dtype)
      throw Error(where + ": the file's dtype is " + dtypeName(t->dtype) + ", the manifest's " +
                  dtypeName(b.dtype));
    std::vector<int64_t> shape;
    for (const SymInt &d : b.shape)
      shape.push_back(d.value);
    if (t->shape != shape)
      throw Error(where + ": the file's shape is " + shapeStr(t->shape) + ", the manifest's " +
                  shapeStr(shape));
    a->weightData_[size_t(b.id)] = a->weights_->view(*t).data;
  }

  // Kernels: check the CPU before loading code that would die on an illegal instruction.
  checkCpuFeatures(kernelsPath);
  a->library_ = ::dlopen(kernelsPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!a->library_) {
    const char *err = ::dlerror();
    throw Error(kernelsPath + ": cannot load: " + (err ? err : "dlopen failed"));
  }
  // dlsym on the handle also searches the library's dependencies (libc): a manifest naming
  // `abort` would get it. Only the kernel ABI's entry points, defined in kernels.so itself.
  struct link_map *library = nullptr;
  if (::dlinfo(a->library_, RTLD_DI_LINKMAP, &library) != 0 || !library)
    throw Error(kernelsPath + ": cannot inspect the loaded library");
  const std::string kEntryPrefix = "_mlir_ciface_";
  for (size_t i = 0; i < m.kernels.size(); ++i) {
    const KernelDecl &k = m.kernels[i];
    std::string where = kernelsPath + ": kernels[" + std::to_string(i) + "] ('" + k.name + "')";
    if (k.symbol.compare(0, kEntryPrefix.size(), kEntryPrefix) != 0)
      throw Error(where + ": symbol '" + k.symbol + "' is not a kernel entry point (" + kEntryPrefix + "*)");
    ::dlerror();
    void *entry = ::dlsym(a->library_, k.symbol.c_str());
    if (!entry)
      throw Error(where + ": symbol '" + k.symbol + "' is not exported");
    Dl_info info;
    if (::dladdr(entry, &info) == 0 || !info.dli_fname || std::string(info.dli_fname) != library->l_name)
      throw Error(where + ": symbol '" + k.symbol + "' is not defined in " + kernelsPath);
    a->kernelEntries_.push_back(entry);
  }
  return a;
}

Artifact::~Artifact() {
  if (library_)
    ::dlclose(library_);
}

} // namespace axe
