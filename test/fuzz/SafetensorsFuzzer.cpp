//===- SafetensorsFuzzer.cpp - the strict safetensors reader on any bytes --===//
//
// The input is the whole file. It is written to a memfd (a regular file without a disk) and opened
// through /proc/self/fd, as a checkpoint's files are opened. In an accepted file the tensors tile
// the data section exactly and each tensor's first and last byte can be read.
//
//===----------------------------------------------------------------------===//

#include "support/Error.h"
#include "support/Safetensors.h"
#include "test/fuzz/FuzzCheck.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace {
int memfd = -1;
std::string memfdPath;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  memfd = ::memfd_create("fuzz.safetensors", MFD_CLOEXEC);
  axe::fuzz::check(memfd >= 0, "memfd_create failed");
  memfdPath = "/proc/self/fd/" + std::to_string(memfd);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (::ftruncate(memfd, 0) != 0 || ::pwrite(memfd, data, size, 0) != ssize_t(size))
    axe::fuzz::finding("cannot write the memfd");
  try {
    auto file = axe::SafetensorsFile::open(memfdPath);
    uint64_t headerBytes = 0;
    std::memcpy(&headerBytes, data, 8); // an accepted file has the 8-byte length
    uint64_t total = 0;
    volatile uint8_t sink = 0;
    for (const axe::TensorInfo &t : file->tensors()) {
      axe::fuzz::check(t.begin <= t.end, "a tensor ends before it begins");
      axe::fuzz::check(t.numElements() * axe::dtypeSize(t.dtype) == t.numBytes(),
                       "a tensor's bytes disagree with its shape and dtype");
      axe::fuzz::check(file->find(t.name) == &t, "find() does not return the tensor");
      axe::TensorView v = file->view(t);
      if (t.end > t.begin)
        sink = sink + v.data[0] + v.data[t.end - t.begin - 1];
      total += t.numBytes();
    }
    axe::fuzz::check(total == size - 8 - headerBytes, "the tensors do not tile the data section");
  } catch (const axe::Error &) {
  } catch (const std::exception &e) {
    axe::fuzz::unexpected(e);
  }
  return 0;
}
