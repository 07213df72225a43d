#pragma once

// Small text helpers shared by the readers and renderers.

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include <memmap/util/hex.hpp>

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

// `s` without the leading characters in `chars` (default: spaces).
constexpr std::string_view
trim_left(std::string_view s, std::string_view chars = " ")
{
  const auto i = s.find_first_not_of(chars);
  return i == std::string_view::npos ? std::string_view{} : s.substr(i);
}

// `s` without the trailing characters in `chars` (default: space, tab, CR).
constexpr std::string_view
trim_right(std::string_view s, std::string_view chars = " \t\r")
{
  const auto i = s.find_last_not_of(chars);
  return i == std::string_view::npos ? std::string_view{} : s.substr(0, i + 1);
}

// An ASCII decimal digit (not locale-dependent, unlike std::isdigit).
constexpr bool
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

// An ASCII hex digit, either case (not locale-dependent, unlike std::isxdigit).
constexpr bool
is_xdigit(char c)
{
  return hex_digit(c) >= 0;
}

} // namespace memmap::util
