//===- ManifestFuzzer.cpp - the artifact manifest parser on any text ------===//
//
// The input is a manifest.json's text, parsed as the loader parses it before any kernel is
// touched: every field is checked, so any text must be accepted or refused with one line.
//
//===----------------------------------------------------------------------===//

#include "artifact/Manifest.h"
#include "support/Error.h"
#include "test/fuzz/FuzzCheck.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  try {
    axe::Manifest m = axe::Manifest::parse(text, "manifest.json");
    (void)m;
  } catch (const axe::Error &) {
  } catch (const std::exception &e) {
    axe::fuzz::unexpected(e);
  }
  return 0;
}
