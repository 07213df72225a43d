// Field values of saved text traces: numbers as the kernel's print formats write them,
// __print_array lists, libtraceevent 1.7 raw byte arrays and timestamps. Private to
// src/trace (text_event.cpp).
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>
#include <vector>

#include <memmap/util/hex.hpp>
#include <memmap/util/text.hpp>

namespace memmap::trace::text_detail {

using util::is_digit;
using util::trim_left;
using util::trim_right;

inline bool
starts_with(std::string_view s, std::string_view p)
{
  return s.starts_with(p);
}

// Parse an unsigned number: "0x"-prefixed values are hex whatever `base` says.
inline bool
parse_u64(std::string_view s, int base, std::uint64_t& out)
{
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) {
    return false;
  }
  const auto res = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return res.ec == std::errc{} && res.ptr == s.data() + s.size();
}

inline bool
parse_int(std::string_view s, int& out)
{
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    std::uint64_t v = 0;
    if (!parse_u64(s, 16, v)) {
      return false;
    }
    out = static_cast<int>(v);
    return true;
  }
  const auto res = std::from_chars(s.data(), s.data() + s.size(), out, 10);
  return res.ec == std::errc{} && res.ptr == s.data() + s.size();
}

// "{0x1000,0x2000}" (kernel __print_array) -> values; "{}" -> empty.
inline bool
parse_brace_array(std::string_view v, std::vector<std::uint64_t>& out)
{
  out.clear();
  if (v.size() < 2 || v.front() != '{' || v.back() != '}') {
    return false;
  }
  v = v.substr(1, v.size() - 2);
  while (!v.empty()) {
    const auto comma = v.find(',');
    const std::string_view item = v.substr(0, comma);
    std::uint64_t x = 0;
    if (!parse_u64(item, 16, x)) {
      return false;
    }
    out.push_back(x);
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
  }
  return true;
}

// "ARRAY[00, e0, 6f, ...]" (libtraceevent 1.7 raw bytes, little-endian) -> values of
// `width` bytes each.
inline bool
parse_byte_array(std::string_view v, std::size_t width, std::vector<std::uint64_t>& out)
{
  out.clear();
  if (!starts_with(v, "ARRAY[") || v.back() != ']') {
    return false;
  }
  v = v.substr(6, v.size() - 7);
  std::uint64_t cur = 0;
  std::size_t nbytes = 0;
  std::size_t i = 0;
  while (i < v.size()) {
    if (v[i] == ' ' || v[i] == ',') {
      ++i;
      continue;
    }
    if (i + 1 >= v.size()) {
      return false;
    }
    const int hi = util::hex_digit(v[i]);
    const int lo = util::hex_digit(v[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < v.size() && v[i + 2] != ',')) {
      return false;
    }
    cur |= static_cast<std::uint64_t>(hi * 16 + lo) << (8 * nbytes);
    i += 2;
    if (++nbytes == width) {
      out.push_back(cur);
      cur = 0;
      nbytes = 0;
    }
  }
  return nbytes == 0;
}

// Timestamp "19611.596887" (seconds.micro- or nanoseconds) or a raw counter "123456".
inline bool
parse_timestamp(std::string_view s, std::uint64_t& ns)
{
  const auto dot = s.find('.');
  std::uint64_t sec = 0;
  if (!parse_u64(s.substr(0, dot), 10, sec)) {
    return false;
  }
  if (dot == std::string_view::npos) {
    ns = sec;  // raw clock (counter, x86-tsc...): kept as is
    return true;
  }
  std::string_view frac = s.substr(dot + 1);
  if (frac.empty() || frac.size() > 9) {
    return false;
  }
  std::uint64_t f = 0;
  if (!parse_u64(frac, 10, f)) {
    return false;
  }
  for (std::size_t i = frac.size(); i < 9; ++i) {
    f *= 10;
  }
  ns = sec * 1000000000ULL + f;
  return true;
}

} // namespace memmap::trace::text_detail
