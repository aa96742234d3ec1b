//===- SafetensorsWriter.h - streaming safetensors writer -----*- C++ -*-===//
//
// Writes a .safetensors file tensor by tensor, so that nothing larger than one chunk of one
// tensor is ever in memory: declare every tensor first (the header needs all offsets), then
// stream their bytes in declaration order. The file is written under a temporary name and
// renamed when finish() has checked that every declared byte arrived.
//
// The data section starts at a 64-byte boundary (the header is padded with spaces, which the
// format allows), so a reader's mmap gives aligned tensors whenever sizes keep them aligned.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_SUPPORT_SAFETENSORSWRITER_H
#define AXE_SUPPORT_SAFETENSORSWRITER_H

#include "support/Safetensors.h"
#include "support/Sha256.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace axe {

class SafetensorsWriter {
public:
  explicit SafetensorsWriter(std::string path) : path_(std::move(path)) {}
  ~SafetensorsWriter(); // an unfinished file is removed
  SafetensorsWriter(const SafetensorsWriter &) = delete;
  SafetensorsWriter &operator=(const SafetensorsWriter &) = delete;

  void declare(const std::string &name, DType dtype, std::vector<int64_t> shape);
  void setMetadata(const std::string &key, const std::string &value) { metadata_[key] = value; }
  // Writes the header; then write() streams the declared tensors' bytes in order.
  void begin();
  void write(const void *data, size_t bytes);
  // Checks the byte count, flushes, renames into place. Throws axe::Error on any failure.
  void finish();

  uint64_t dataBytes() const { return total_; }
  // Before begin(): also hash the file as it is written, in pieces of `chunkBytes`
  // (sha256Chunks' digests, without reading the file back).
  void hashInChunks(uint64_t chunkBytes) { hash_.reset(new ChunkedSha256(chunkBytes)); }
  // After finish(): the file's size and chunk digests (hashInChunks).
  uint64_t fileBytes() const { return fileBytes_; }
  const std::vector<std::string> &chunkSha256() const { return chunkSha256_; }

private:
  void put(const void *data, size_t bytes);

  std::string path_, tmpPath_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
  uint64_t total_ = 0, written_ = 0, fileBytes_ = 0;
  std::FILE *file_ = nullptr;
  std::unique_ptr<ChunkedSha256> hash_;
  std::vector<std::string> chunkSha256_;
};

} // namespace axe

#endif // AXE_SUPPORT_SAFETENSORSWRITER_H
