// Small text-formatting helpers shared by every renderer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace memmap::render {

// Size with binary units. Exact whenever that takes at most four digits: the largest unit the
// size is a whole multiple of, as lspci's [size=] does (4096 -> "4K", 8224 MiB -> "8224M",
// 7 x 256 MiB -> "1792M", 100 -> "100B"). Otherwise rounded to one decimal in the largest
// unit it reaches, and the decimal is always shown, so a rounded size never reads as an exact
// one (0xbfde0000 -> "3.0G", never "3G").
// `size_is_full_span` renders the 2^64 span (end-start+1 wrapped to 0) as "16E".
std::string human_size(std::uint64_t bytes, bool size_is_full_span = false);

// Lowercase hex, zero-padded to at least `width` digits, no prefix.
std::string hex(std::uint64_t v, int width = 0);

// "0x..." lowercase, as used in JSON.
std::string hex0x(std::uint64_t v);

// Zero-padded lowercase hex of a value nobody may have read: "?" when unknown (memmap never
// prints a made-up 0).
std::string hex_or_unknown(const std::optional<std::uint64_t>& v, int width);
template <class T>
std::string hex_or_unknown(const std::optional<T>& v, int width)
{
  return hex_or_unknown(v ? std::optional<std::uint64_t>(*v) : std::nullopt, width);
}

// Digits needed to print `v` in hex (at least 1).
int hex_digits(std::uint64_t v);

// Case-insensitive substring match.
bool contains_ci(std::string_view haystack, std::string_view needle);

// ANSI colours, applied only when enabled (a terminal, no NO_COLOR, or --color=always).
enum class Color { none, red, green, yellow, blue, magenta, cyan, dim, bold };

class Style {
public:
  Style() = default;
  explicit Style(bool color) : m_color(color) {}
  bool color() const { return m_color; }
  std::string paint(std::string_view text, Color c) const;

private:
  bool m_color = false;
};

// Decide whether to colour: mode "always", "never" or "auto" (a tty on fd, NO_COLOR unset,
// TERM not "dumb").
bool want_color(std::string_view mode, int fd);

} // namespace memmap::render
