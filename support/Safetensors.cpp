//===- Safetensors.cpp - strict, zero-copy safetensors reader -------------===//

#include "support/Safetensors.h"

#include "support/RegularFile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

namespace axe {

namespace {

[[noreturn]] void fail(const std::string &path, const std::string &what) {
  throw Error(path + ": " + what);
}

[[noreturn]] void failTensor(const std::string &path, const std::string &tensor,
                             const std::string &what) {
  throw Error(path + ": tensor '" + tensor + "': " + what);
}

// Whether anything is at `path`: a FIFO or a directory there is then refused by name when opened,
// not skipped.
bool pathExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

constexpr uint64_t kMaxIndexBytes = 64ull << 20; // the 35B model's index is ~100 KB

using Json = nlohmann::json;

// Builds the header's DOM as json::parse does, and notes the first tensor name that appears twice
// (a JSON object may repeat a key; the DOM keeps the last). One hash-set lookup per key: a parse
// callback would do it too, but nlohmann then rescans the parent object at each end_object, which
// makes a header of n tensors cost O(n^2). The base is the DOM builder json::parse itself uses
// (nlohmann's detail namespace; its two-argument constructor is the same from 3.10 to 3.12).
class HeaderParser : public nlohmann::detail::json_sax_dom_parser<Json> {
public:
  using Base = nlohmann::detail::json_sax_dom_parser<Json>;
  explicit HeaderParser(Json &result) : Base(result, /*allow_exceptions=*/true) {}

  bool start_object(std::size_t n) {
    ++depth_;
    return Base::start_object(n);
  }
  bool end_object() {
    --depth_;
    return Base::end_object();
  }
  bool start_array(std::size_t n) {
    ++depth_;
    return Base::start_array(n);
  }
  bool end_array() {
    --depth_;
    return Base::end_array();
  }
  bool key(Json::string_t &name) {
    if (depth_ == 1 && !names_.insert(name).second && duplicate_.empty())
      duplicate_ = name;
    return Base::key(name);
  }

  const std::string &duplicate() const { return duplicate_; }

private:
  int depth_ = 0;
  std::unordered_set<std::string> names_;
  std::string duplicate_;
};

} // namespace

uint64_t TensorInfo::numElements() const {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<uint64_t>(d); // validated against overflow when the file was opened
  return n;
}

//===----------------------------------------------------------------------===//
// SafetensorsFile
//===----------------------------------------------------------------------===//

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string &path) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;

  // No size cap: the data is mapped, not read; the header has its own cap below.
  RegularFile fd = RegularFile::open(path, UINT64_MAX, "a safetensors file");
  uint64_t size = fd.size();
  if (size < 8)
    fail(path, "truncated: " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  void *map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.fd(), 0);
  int mapErr = errno;
  if (map == MAP_FAILED)
    fail(path, std::string("cannot mmap: ") + std::strerror(mapErr));
  file->map_ = static_cast<const uint8_t *>(map);
  file->mapBytes_ = size;

  uint64_t headerBytes = 0;
  std::memcpy(&headerBytes, file->map_, 8); // little-endian, as is every supported host
  if (headerBytes > kMaxHeaderBytes)
    fail(path, "header length " + std::to_string(headerBytes) + " exceeds the " +
                   std::to_string(kMaxHeaderBytes) + "-byte cap");
  if (headerBytes > size - 8)
    fail(path, "truncated: header length " + std::to_string(headerBytes) + " runs past the end of the " +
                   std::to_string(size) + "-byte file");
  file->data_ = file->map_ + 8 + headerBytes;
  file->dataBytes_ = size - 8 - headerBytes;
  file->parseHeader(reinterpret_cast<const char *>(file->map_ + 8), headerBytes);
  file->validateLayout();
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_)
    ::munmap(const_cast<uint8_t *>(map_), mapBytes_);
}

void SafetensorsFile::parseHeader(const char *json, size_t length) {
  nlohmann::json header;
  HeaderParser parser(header);
  try {
    nlohmann::json::sax_parse(json, json + length, &parser);
  } catch (const nlohmann::json::exception &e) { // parse_error, or out_of_range for 1e999
    fail(path_, std::string("malformed JSON header: ") + e.what());
  }
  if (!parser.duplicate().empty())
    failTensor(path_, parser.duplicate(), "appears twice in the header (duplicate tensor name)");
  if (!header.is_object())
    fail(path_, "the JSON header must be an object of tensors");

  for (auto &[name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object())
        fail(path_, "__metadata__ must be an object of strings");
      for (auto &[key, value] : entry.items()) {
        if (!value.is_string())
          fail(path_, "__metadata__ entry '" + key + "' must be a string");
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object())
      failTensor(path_, name, "entry must be an object with dtype, shape and data_offsets");
    TensorInfo info;
    info.name = name;

    auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string())
      failTensor(path_, name, "missing or non-string 'dtype'");
    if (!parseDType(dtype->get<std::string>(), info.dtype))
      failTensor(path_, name, "unsupported dtype '" + dtype->get<std::string>() +
                                  "' (supported: BF16, F16, F32, F64, F8_E4M3, I8, U8, I16, I32, "
                                  "I64, BOOL)");

    auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array())
      failTensor(path_, name, "missing or non-array 'shape'");
    uint64_t elements = 1;
    for (const auto &dim : *shape) {
      if (!dim.is_number_unsigned() && !(dim.is_number_integer() && dim.get<int64_t>() >= 0))
        failTensor(path_, name, "shape entries must be non-negative integers");
      uint64_t d = dim.get<uint64_t>();
      if (d > static_cast<uint64_t>(INT64_MAX) ||
          (d != 0 && elements > UINT64_MAX / d))
        failTensor(path_, name, "shape element count overflows 64 bits");
      elements *= d;
      info.shape.push_back(static_cast<int64_t>(d));
    }
    uint64_t elementBytes = dtypeSize(info.dtype);
    if (elements > UINT64_MAX / elementBytes)
      failTensor(path_, name, "shape byte size overflows 64 bits");
    uint64_t bytes = elements * elementBytes;

    auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
      failTensor(path_, name, "'data_offsets' must be two non-negative integers [begin, end]");
    info.begin = (*offsets)[0].get<uint64_t>();
    info.end = (*offsets)[1].get<uint64_t>();
    if (info.begin > info.end)
      failTensor(path_, name, "data_offsets begin " + std::to_string(info.begin) +
                                  " is after end " + std::to_string(info.end));
    if (info.end > dataBytes_)
      failTensor(path_, name, "data_offsets end " + std::to_string(info.end) +
                                  " is outside the " + std::to_string(dataBytes_) +
                                  "-byte data section (truncated file?)");
    if (info.end - info.begin != bytes)
      failTensor(path_, name, "holds " + std::to_string(info.end - info.begin) +
                                  " bytes but its shape and dtype need " + std::to_string(bytes));
    index_[name] = tensors_.size();
    tensors_.push_back(std::move(info));
  }
}

void SafetensorsFile::validateLayout() {
  // Byte ranges must tile the data section exactly: no overlap, no hole, nothing left over.
  std::vector<const TensorInfo *> order;
  for (const TensorInfo &t : tensors_)
    order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const TensorInfo *a, const TensorInfo *b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const TensorInfo *previous = nullptr;
  for (const TensorInfo *t : order) {
    if (t->begin < covered)
      failTensor(path_, t->name, "bytes [" + std::to_string(t->begin) + ", " +
                                     std::to_string(t->end) + ") overlap tensor '" +
                                     previous->name + "'");
    if (t->begin > covered)
      failTensor(path_, t->name, "a hole of " + std::to_string(t->begin - covered) +
                                     " bytes precedes it in the data section");
    covered = t->end;
    previous = t;
  }
  if (covered != dataBytes_)
    fail(path_, std::to_string(dataBytes_ - covered) +
                    " bytes at the end of the data section belong to no tensor");
}

const TensorInfo *SafetensorsFile::find(const std::string &name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

TensorView SafetensorsFile::view(const TensorInfo &info) const {
  return TensorView{&info, data_ + info.begin, &path_};
}

void SafetensorsFile::release(const TensorInfo &info) const {
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  uintptr_t begin = reinterpret_cast<uintptr_t>(data_ + info.begin) & ~(page - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(data_ + info.end);
  if (end > begin)
    ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

//===----------------------------------------------------------------------===//
// Checkpoint
//===----------------------------------------------------------------------===//

void Checkpoint::add(std::unique_ptr<SafetensorsFile> file) {
  for (const TensorInfo &t : file->tensors()) {
    auto [it, inserted] = byName_.emplace(t.name, std::make_pair(file.get(), &t));
    if (!inserted)
      failTensor(file->path(), t.name,
                 "also stored in " + it->second.first->path() + " (duplicate tensor name)");
  }
  files_.push_back(std::move(file));
}

Checkpoint Checkpoint::open(const std::string &dir) {
  Checkpoint ckpt;
  ckpt.dir_ = dir;
  std::string indexPath = dir + "/model.safetensors.index.json";
  if (pathExists(indexPath)) {
    std::string text = readRegularFile(indexPath, kMaxIndexBytes, "a safetensors index");
    nlohmann::json index;
    try {
      index = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception &e) { // parse_error, or out_of_range for 1e999
      fail(indexPath, std::string("malformed JSON: ") + e.what());
    }
    auto map = index.find("weight_map");
    if (!index.is_object() || map == index.end() || !map->is_object())
      fail(indexPath, "missing 'weight_map' object");
    std::map<std::string, std::vector<std::string>> byFile;
    for (auto &[name, file] : map->items()) {
      if (!file.is_string() || file.get<std::string>().find('/') != std::string::npos)
        fail(indexPath, "tensor '" + name + "' must map to a file name in the same directory");
      byFile[file.get<std::string>()].push_back(name);
    }
    for (auto &[file, names] : byFile) {
      std::string path = dir + "/" + file;
      if (!pathExists(path))
        fail(indexPath, "names shard '" + file + "', which does not exist");
      auto shard = SafetensorsFile::open(path);
      for (const std::string &name : names)
        if (!shard->find(name))
          fail(indexPath, "maps tensor '" + name + "' to " + file + ", which does not hold it");
      if (shard->tensors().size() != names.size())
        fail(path, "holds " + std::to_string(shard->tensors().size()) +
                       " tensors but the index maps " + std::to_string(names.size()) + " to it");
      ckpt.add(std::move(shard));
    }
    return ckpt;
  }
  if (pathExists(dir + "/model.safetensors")) {
    ckpt.add(SafetensorsFile::open(dir + "/model.safetensors"));
    return ckpt;
  }
  std::vector<std::string> found;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 12 && name.compare(name.size() - 12, 12, ".safetensors") == 0)
        found.push_back(name);
    }
    ::closedir(d);
  } else {
    fail(dir, std::string("cannot open the checkpoint directory: ") + std::strerror(errno));
  }
  if (found.empty())
    fail(dir, "no .safetensors files (and no model.safetensors.index.json)");
  std::sort(found.begin(), found.end());
  for (const std::string &name : found)
    ckpt.add(SafetensorsFile::open(dir + "/" + name));
  return ckpt;
}

TensorView Checkpoint::get(const std::string &name) const {
  auto it = byName_.find(name);
  if (it == byName_.end())
    throw Error(dir_ + ": missing tensor '" + name + "'");
  return it->second.first->view(*it->second.second);
}

void Checkpoint::release(const std::string &name) const {
  auto it = byName_.find(name);
  if (it != byName_.end())
    it->second.first->release(*it->second.second);
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto &entry : byName_)
    out.push_back(entry.first);
  return out;
}

uint64_t Checkpoint::totalBytes() const {
  uint64_t total = 0;
  for (const auto &entry : byName_)
    total += entry.second.second->numBytes();
  return total;
}

} // namespace axe
