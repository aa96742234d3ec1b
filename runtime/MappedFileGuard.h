//===- MappedFileGuard.h - a message instead of a bare SIGBUS -*- C++ -*-===//
//
// The artifact's weights are mmapped. If the file is truncated while in use, the next read of a
// page past the new end raises SIGBUS, which would kill the process without a word. A watched
// mapping turns that into one line on stderr naming the file, and exit status 1. SIGBUS elsewhere
// keeps its default action.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_MAPPEDFILEGUARD_H
#define AXE_RUNTIME_MAPPEDFILEGUARD_H

#include <cstddef>
#include <string>

namespace axe {

// Watches [data, data + bytes), mapped from `path`, until unwatchMappedFile(data). Installs the
// SIGBUS handler on first use. At most 64 mappings at once (further ones are not watched).
void watchMappedFile(const void *data, size_t bytes, const std::string &path);
void unwatchMappedFile(const void *data);

} // namespace axe

#endif // AXE_RUNTIME_MAPPEDFILEGUARD_H
