//===- Error.h - the error type of axe's readers --------------*- C++ -*-===//
//
// Readers shared by the compiler and the runtime (no LLVM/MLIR dependency) report bad input by
// throwing axe::Error with a one-line message that names the file and, where there is one, the
// tensor or field. Tools catch it at the top and exit non-zero with that line.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_SUPPORT_ERROR_H
#define AXE_SUPPORT_ERROR_H

#include <stdexcept>
#include <string>

namespace axe {

class Error : public std::runtime_error {
public:
  explicit Error(const std::string &message) : std::runtime_error(message) {}
};

} // namespace axe

#endif // AXE_SUPPORT_ERROR_H
