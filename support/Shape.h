//===- Shape.h - element counts and text of shapes ------------*- C++ -*-===//
#ifndef AXE_SUPPORT_SHAPE_H
#define AXE_SUPPORT_SHAPE_H

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace axe {

// The number of elements of a static shape (callers have checked the sizes: no overflow check).
inline uint64_t shapeElements(const std::vector<int64_t> &shape) {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<uint64_t>(d);
  return n;
}

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

#endif // AXE_SUPPORT_SHAPE_H
