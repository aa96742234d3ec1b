//===- MappedFileGuard.cpp - a message instead of a bare SIGBUS -----------===//

#include "runtime/MappedFileGuard.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>
#include <unistd.h>

namespace axe {

namespace {

// The handler reads this table without locks: a slot's message is complete before its range is
// published (release), and a range is cleared before its slot is reused.
struct Watched {
  std::atomic<uintptr_t> begin{0}, end{0};
  char message[512];
  size_t messageBytes = 0;
};
constexpr int kSlots = 64;
Watched slots[kSlots];
std::mutex slotsMutex;
std::once_flag installOnce;

void onSigbus(int signal, siginfo_t *info, void *) {
  uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Watched &w : slots) {
    uintptr_t begin = w.begin.load(std::memory_order_acquire);
    if (begin != 0 && address >= begin && address < w.end.load(std::memory_order_relaxed)) {
      ssize_t ignored = ::write(STDERR_FILENO, w.message, w.messageBytes);
      (void)ignored;
      ::_exit(1);
    }
  }
  // Not ours: the default action (core dump), as if no handler were installed.
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

} // namespace

void watchMappedFile(const void *data, size_t bytes, const std::string &path) {
  if (!data || bytes == 0)
    return;
  std::call_once(installOnce, [] {
    struct sigaction action {};
    action.sa_sigaction = onSigbus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, nullptr);
  });
  std::lock_guard<std::mutex> lock(slotsMutex);
  for (Watched &w : slots) {
    if (w.begin.load(std::memory_order_relaxed) != 0)
      continue;
    std::string text = "axe: error: " + path +
                       ": the file was truncated while mapped (SIGBUS reading it); restore the "
                       "artifact and restart\n";
    w.messageBytes = std::min(text.size(), sizeof(w.message));
    std::memcpy(w.message, text.data(), w.messageBytes);
    w.end.store(reinterpret_cast<uintptr_t>(data) + bytes, std::memory_order_relaxed);
    w.begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
    return;
  }
}

void unwatchMappedFile(const void *data) {
  std::lock_guard<std::mutex> lock(slotsMutex);
  for (Watched &w : slots)
    if (w.begin.load(std::memory_order_relaxed) == reinterpret_cast<uintptr_t>(data))
      w.begin.store(0, std::memory_order_release);
}

} // namespace axe
