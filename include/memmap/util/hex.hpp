#pragma once

// Hex digits and hex numbers as the kernel and users write them: one place for every parser.

#include <cstdint>
#include <optional>
#include <string_view>

namespace memmap::util {

// The value of one hex digit (either case), or -1 if `c` is not one.
constexpr int
hex_digit(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// The significant digits of a hex number: `s` without a 0x/0X prefix and leading zeros
// (one "0" stays). Only the characters are dropped; whether the rest are hex digits is the
// caller's check ("0x" alone leaves "x").
constexpr std::string_view
hex_significant(std::string_view s)
{
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
  }
  while (s.size() > 1 && s[0] == '0') {
    s.remove_prefix(1);
  }
  return s;
}

// A whole string as a 64-bit hex number, 0x optional, leading zeros allowed: nullopt if it
// is empty, holds anything but hex digits, or does not fit in 64 bits.
constexpr std::optional<std::uint64_t>
parse_hex_u64(std::string_view s)
{
  s = hex_significant(s);
  if (s.empty() || s.size() > 16) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (char c : s) {
    const int d = hex_digit(c);
    if (d < 0) {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

} // namespace memmap::util
