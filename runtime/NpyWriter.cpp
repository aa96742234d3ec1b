//===- NpyWriter.cpp - float32 .npy files, written row by row -------------===//

#include "runtime/NpyWriter.h"

#include "support/Error.h"

#include <cerrno>
#include <cstring>

namespace axe {

std::string npyHeader(const std::vector<int64_t> &shape, size_t totalBytes) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "") +
            (i + 1 < shape.size() ? " " : "");
  dict += "), }";
  const size_t preamble = 10; // magic (6), version (2), header length (2)
  if (preamble + dict.size() + 1 > totalBytes || totalBytes % 64 != 0 || totalBytes - preamble > 65535)
    throw Error("npy: header of " + std::to_string(dict.size()) + " bytes does not fit in " +
                std::to_string(totalBytes));
  dict.append(totalBytes - preamble - dict.size() - 1, ' ');
  dict += '\n';
  uint16_t length = uint16_t(dict.size());
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(length & 0xff);
  out += char(length >> 8);
  return out + dict;
}

NpyWriter::NpyWriter(const std::string &path, int64_t cols) : path_(path), cols_(cols) {
  if (cols < 0)
    throw Error(path + ": negative column count");
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_)
    throw Error(path + ": cannot create: " + std::strerror(errno));
  std::string header = npyHeader({0, cols});
  if (std::fwrite(header.data(), 1, header.size(), file_) != header.size()) {
    std::fclose(file_);
    file_ = nullptr;
    throw Error(path + ": write error");
  }
}

NpyWriter::~NpyWriter() {
  if (file_)
    std::fclose(file_);
}

void NpyWriter::appendRows(const float *rows, int64_t numRows) {
  if (!file_)
    throw Error(path_ + ": already finished");
  size_t count = size_t(numRows) * size_t(cols_);
  if (std::fwrite(rows, sizeof(float), count, file_) != count)
    throw Error(path_ + ": write error: " + std::strerror(errno));
  rows_ += numRows;
}

void NpyWriter::finish() {
  if (!file_)
    throw Error(path_ + ": already finished");
  std::string header = npyHeader({rows_, cols_});
  bool ok = std::fseek(file_, 0, SEEK_SET) == 0 &&
            std::fwrite(header.data(), 1, header.size(), file_) == header.size();
  ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok)
    throw Error(path_ + ": write error while finishing");
}

} // namespace axe
