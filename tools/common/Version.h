//===- Version.h - what `TOOL --version` prints ---------------*- C++ -*-===//
//
// Every tool answers --version with one line, "TOOL (axe) VERSION (git COMMIT)": the version of
// the CMake project and the commit the binary was built from (`git describe --always --dirty`
// at build time; "unknown" when built outside a git checkout).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_TOOLS_COMMON_VERSION_H
#define AXE_TOOLS_COMMON_VERSION_H

#include <string>

namespace axe {

std::string versionLine(const std::string &tool);

} // namespace axe

#endif // AXE_TOOLS_COMMON_VERSION_H
