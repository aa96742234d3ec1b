//===- SafetensorsWriter.cpp - streaming safetensors writer ---------------===//

#include "support/SafetensorsWriter.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace axe {

SafetensorsWriter::~SafetensorsWriter() {
  if (file_) {
    std::fclose(file_);
    std::remove(tmpPath_.c_str());
  }
}

void SafetensorsWriter::declare(const std::string &name, DType dtype, std::vector<int64_t> shape) {
  if (file_)
    throw Error(path_ + ": tensor '" + name + "' declared after writing began");
  TensorInfo info;
  info.name = name;
  info.dtype = dtype;
  info.shape = std::move(shape);
  info.begin = total_;
  info.end = total_ + info.numElements() * dtypeSize(dtype);
  total_ = info.end;
  tensors_.push_back(std::move(info));
}

void SafetensorsWriter::begin() {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty())
    header["__metadata__"] = metadata_;
  for (const TensorInfo &t : tensors_) {
    if (header.contains(t.name))
      throw Error(path_ + ": tensor '" + t.name + "' declared twice");
    header[t.name] = {{"dtype", dtypeName(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {t.begin, t.end}}};
  }
  std::string text = header.dump();
  text.append((64 - (8 + text.size()) % 64) % 64, ' ');
  tmpPath_ = path_ + ".tmp";
  file_ = std::fopen(tmpPath_.c_str(), "wb");
  if (!file_)
    throw Error(tmpPath_ + ": cannot create: " + std::strerror(errno));
  uint64_t length = text.size();
  put(&length, 8);
  put(text.data(), text.size());
}

void SafetensorsWriter::put(const void *data, size_t bytes) {
  if (bytes && std::fwrite(data, 1, bytes, file_) != bytes)
    throw Error(tmpPath_ + ": write failed: " + std::strerror(errno));
  if (hash_)
    hash_->update(data, bytes);
  fileBytes_ += bytes;
}

void SafetensorsWriter::write(const void *data, size_t bytes) {
  if (!file_)
    throw Error(path_ + ": write() before begin()");
  if (written_ + bytes > total_)
    throw Error(path_ + ": more bytes written than the declared tensors hold");
  put(data, bytes);
  written_ += bytes;
}

void SafetensorsWriter::finish() {
  if (!file_)
    throw Error(path_ + ": finish() before begin()");
  if (written_ != total_)
    throw Error(path_ + ": " + std::to_string(written_) + " of " + std::to_string(total_) +
                " declared bytes written");
  if (hash_) {
    chunkSha256_ = hash_->finish();
    hash_.reset();
  }
  bool ok = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
  ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok || std::rename(tmpPath_.c_str(), path_.c_str()) != 0) {
    std::remove(tmpPath_.c_str());
    throw Error(path_ + ": cannot finish writing: " + std::strerror(errno));
  }
}

} // namespace axe
