//===- ShapeString.h - a shape as text for messages -----------*- C++ -*-===//
#ifndef AXE_SUPPORT_SHAPESTRING_H
#define AXE_SUPPORT_SHAPESTRING_H

#include <string>
#include <type_traits>

namespace axe {

// "[2, 3, 4]". Entries are integers, or values with a str() (a manifest's SymInt: "[T, 8]").
template <typename Range> std::string shapeString(const Range &dims) {
  std::string s = "[";
  bool first = true;
  for (const auto &d : dims) {
    s += first ? "" : ", ";
    first = false;
    if constexpr (std::is_integral_v<std::decay_t<decltype(d)>>)
      s += std::to_string(d);
    else
      s += d.str();
  }
  return s + "]";
}

} // namespace axe

#endif // AXE_SUPPORT_SHAPESTRING_H
