//===- NpyWriter.h - float32 .npy files, written row by row ---*- C++ -*-===//
//
// `axe-run --dump-logits` writes every fed token's logits row so that tests can compare with
// transformers position by position. The rows arrive one step at a time and can total gigabytes,
// so they are streamed: the header is written with room for any row count and rewritten with the
// final shape by finish().
//
// Format: NPY 1.0 ("\x93NUMPY", version, little-endian header length, a Python dict literal padded
// with spaces to a 64-byte boundary and ending in '\n'), then the data in C order.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_NPYWRITER_H
#define AXE_RUNTIME_NPYWRITER_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace axe {

// The complete NPY 1.0 preamble (magic, version, length, dict) for a little-endian float32 array
// of `shape` in C order, padded with spaces to exactly `totalBytes` (a multiple of 64).
std::string npyHeader(const std::vector<int64_t> &shape, size_t totalBytes = 128);

// Writes a float32 array of shape [rows, cols], rows appended as they come.
class NpyWriter {
public:
  // Creates `path` (throws axe::Error naming it on failure).
  NpyWriter(const std::string &path, int64_t cols);
  ~NpyWriter(); // closes an unfinished file as it is
  NpyWriter(const NpyWriter &) = delete;
  NpyWriter &operator=(const NpyWriter &) = delete;

  void appendRows(const float *rows, int64_t numRows);
  // Rewrites the header with the final row count and closes the file.
  void finish();
  int64_t rows() const { return rows_; }

private:
  std::string path_;
  std::FILE *file_ = nullptr;
  int64_t cols_ = 0;
  int64_t rows_ = 0;
};

} // namespace axe

#endif // AXE_RUNTIME_NPYWRITER_H
