//===- TokenInput.h - the token streams evaluation reads ------*- C++ -*-===//
//
// `axe-run eval` and `axe-compile --profile-sensitivity` both read a corpus as text (tokenized
// with the model's tokenizer.json) or as token ids; these read the files, with errors that name
// the flag, the file and the offending token.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_EVAL_TOKENINPUT_H
#define AXE_RUNTIME_EVAL_TOKENINPUT_H

#include <cstdint>
#include <string>
#include <vector>

namespace axe {

// The bytes of the regular file `path`; throws axe::Error naming `flag` when it cannot be read.
std::string readInputFile(const std::string &path, const char *flag);

// Token ids separated by whitespace or commas (--ids FILE), each below `vocab`.
std::vector<int32_t> readTokenIds(const std::string &path, int64_t vocab);

} // namespace axe

#endif // AXE_RUNTIME_EVAL_TOKENINPUT_H
