#pragma once

// Sizes as lspci prints them and users type them: decimal with an optional binary suffix
// (256, 4K, 16M, 1G, 2T).

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace memmap::util {

// A size with binary units as memmap prints it: exact where four digits do ("256B", "16M",
// "1536K"), else one decimal ("1.5G").
std::string size_text(std::uint64_t bytes);

// The shift of a binary size suffix (K 10, M 20, G 30, T 40; either case), or -1.
constexpr int
size_suffix_shift(char c)
{
  switch (c) {
  case 'K':
  case 'k':
    return 10;
  case 'M':
  case 'm':
    return 20;
  case 'G':
  case 'g':
    return 30;
  case 'T':
  case 't':
    return 40;
  default:
    return -1;
  }
}

// Decimal digits with an optional suffix: nullopt if empty, zero, not all digits, or if the
// size does not fit in 64 bits.
constexpr std::optional<std::uint64_t>
parse_binary_size(std::string_view s)
{
  int shift = s.empty() ? -1 : size_suffix_shift(s.back());
  if (shift >= 0) {
    s.remove_suffix(1);
  } else {
    shift = 0;
  }
  if (s.empty()) {
    return std::nullopt;
  }
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() >> shift;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (limit - d) / 10) {
      return std::nullopt;
    }
    v = v * 10 + d;
  }
  if (v == 0) {
    return std::nullopt;
  }
  return v << shift;
}

} // namespace memmap::util
