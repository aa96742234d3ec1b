//===- Safetensors.h - strict, zero-copy safetensors reader ---*- C++ -*-===//
//
// Reads checkpoints in the safetensors format: one file or a sharded set with
// `model.safetensors.index.json`. Files are mmapped read-only and tensors are views into them, so
// opening a 70 GB checkpoint costs its headers, not its data.
//
// Every file is validated before use (see SafetensorsFile::open): header size cap, well-formed
// JSON, dtype whitelist, checked shape × dtype arithmetic, begin ≤ end inside the data section,
// no overlaps and no holes. Errors throw axe::Error naming the file and the tensor.
//
// No LLVM or MLIR here: the runtime's artifact loader uses the same reader.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_SUPPORT_SAFETENSORS_H
#define AXE_SUPPORT_SAFETENSORS_H

#include "support/DType.h"
#include "support/Error.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace axe {

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0; // byte offsets inside the data section
  uint64_t end = 0;

  uint64_t numElements() const;
  uint64_t numBytes() const { return end - begin; }
};

// A view of one tensor's bytes inside an mmapped file.
struct TensorView {
  const TensorInfo *info = nullptr;
  const uint8_t *data = nullptr;
  const std::string *file = nullptr; // path of the file that holds it, for messages
};

// One validated, mmapped .safetensors file.
class SafetensorsFile {
public:
  // Header length cap: real headers are a few MB even for the largest shards.
  static constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

  // Opens, maps and validates `path`; throws axe::Error on any defect.
  static std::unique_ptr<SafetensorsFile> open(const std::string &path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;

  const std::string &path() const { return path_; }
  // The whole mapped file.
  const uint8_t *mappedData() const { return map_; }
  size_t mappedBytes() const { return mapBytes_; }
  const std::vector<TensorInfo> &tensors() const { return tensors_; }
  const std::map<std::string, std::string> &metadata() const { return metadata_; }
  // nullptr when the file has no tensor of that name.
  const TensorInfo *find(const std::string &name) const;
  TensorView view(const TensorInfo &info) const;
  // Drops the mapped pages of `info` from memory (they are read again from the file if touched):
  // streaming writers call it once a tensor is converted, so memory does not grow with the model.
  void release(const TensorInfo &info) const;

private:
  SafetensorsFile() = default;
  void parseHeader(const char *json, size_t length);
  void validateLayout();

  std::string path_;
  const uint8_t *map_ = nullptr;
  size_t mapBytes_ = 0;
  const uint8_t *data_ = nullptr; // start of the data section
  uint64_t dataBytes_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// All the tensors of a checkpoint directory, by name, across shards.
class Checkpoint {
public:
  // Opens `dir`: the shards named by model.safetensors.index.json if present, else
  // model.safetensors, else every *.safetensors file. Names must be unique across files, and an
  // index must agree with the files it names.
  static Checkpoint open(const std::string &dir);

  const std::string &dir() const { return dir_; }
  bool has(const std::string &name) const { return byName_.count(name) != 0; }
  // Throws axe::Error naming the tensor and the checkpoint when it is missing.
  TensorView get(const std::string &name) const;
  // Sorted names of every tensor.
  std::vector<std::string> names() const;
  size_t numFiles() const { return files_.size(); }
  void release(const std::string &name) const;
  uint64_t totalBytes() const;

private:
  void add(std::unique_ptr<SafetensorsFile> file);

  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, std::pair<const SafetensorsFile *, const TensorInfo *>> byName_;
};

} // namespace axe

#endif // AXE_SUPPORT_SAFETENSORS_H
