//===- TokenInput.cpp - the token streams evaluation reads ----------------===//

#include "runtime/eval/TokenInput.h"

#include "support/Error.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace axe {

std::string readInputFile(const std::string &path, const char *flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path))
    throw Error(std::string(flag) + ": cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<int32_t> readTokenIds(const std::string &path, int64_t vocab) {
  std::string text = readInputFile(path, "--ids");
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(uint8_t(c)) || c == ',') {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && !std::isspace(uint8_t(text[end])) && text[end] != ',')
      ++end;
    std::string item = text.substr(i, end - i);
    if (item.find_first_not_of("0123456789") != std::string::npos || item.size() > 10)
      throw Error("--ids: " + path + ": '" + item + "' (token " + std::to_string(ids.size()) +
                  ") is not a token id");
    long long id = std::stoll(item);
    if (id >= vocab)
      throw Error("--ids: " + path + ": id " + item + " (token " + std::to_string(ids.size()) +
                  ") is not below the vocabulary size " + std::to_string(vocab));
    ids.push_back(int32_t(id));
    i = end;
  }
  return ids;
}

} // namespace axe
