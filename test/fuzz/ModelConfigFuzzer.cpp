//===- ModelConfigFuzzer.cpp - the config.json reader on any text ---------===//
//
// The input is a config.json's text. An accepted config must also survive what the compiler does
// next with it alone: the parameter counts (--summary).
//
//===----------------------------------------------------------------------===//

#include "models/ModelConfig.h"
#include "support/Error.h"
#include "test/fuzz/FuzzCheck.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  try {
    axe::ModelConfig config = axe::parseModelConfig(text, "config.json");
    axe::ParameterCounts counts = axe::countParameters(config);
    volatile uint64_t sink = counts.total();
    (void)sink;
  } catch (const axe::Error &) {
  } catch (const std::exception &e) {
    axe::fuzz::unexpected(e);
  }
  return 0;
}
