#pragma once

// Small text helpers shared by the readers and renderers.

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace memmap::util {

// The words of `s` split at runs of white space (no empty words).
inline std::vector<std::string_view>
split_ws(std::string_view s)
{
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    }
    std::size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) {
      ++j;
    }
    if (j > i) {
      out.push_back(s.substr(i, j - i));
    }
    i = j;
  }
  return out;
}

// The strings of `v` joined with `sep` ("" for none).
inline std::string
join(const std::vector<std::string>& v, std::string_view sep = ", ")
{
  std::string s;
  for (const auto& x : v) {
    s += (s.empty() ? "" : std::string(sep)) + x;
  }
  return s;
}

} // namespace memmap::util
