#include <memmap/render/format.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <unistd.h>

namespace memmap::render {

std::string
human_size(std::uint64_t bytes, bool size_is_full_span)
{
  if (size_is_full_span) {
    return "16E";
  }
  static constexpr const char* k_units[] = {"B", "K", "M", "G", "T", "P", "E"};
  constexpr std::uint64_t k_exact_limit = 10000;  // at most four digits
  int exact = 0;
  while (exact < 6 && bytes != 0 && bytes % (std::uint64_t{1} << (10 * (exact + 1))) == 0) {
    ++exact;
  }
  if ((bytes >> (10 * exact)) < k_exact_limit) {
    return fmt::format("{}{}", bytes >> (10 * exact), k_units[exact]);
  }
  int unit = 0;
  while (unit < 6 && bytes >= (std::uint64_t{1} << (10 * (unit + 1)))) {
    ++unit;
  }
  const double v = static_cast<double>(bytes) / static_cast<double>(std::uint64_t{1} << (10 * unit));
  std::string s = fmt::format("{:.1f}", v);
  if (s == "1024.0" && unit < 6) {  // rounding carried into the next unit
    return fmt::format("1.0{}", k_units[unit + 1]);
  }
  return s + k_units[unit];
}

std::string
hex(std::uint64_t v, int width)
{
  return fmt::format("{:0{}x}", v, width);
}

std::string
hex_or_unknown(const std::optional<std::uint64_t>& v, int width)
{
  return v ? hex(*v, width) : std::string("?");
}

std::string
hex0x(std::uint64_t v)
{
  return fmt::format("{:#x}", v);
}

int
hex_digits(std::uint64_t v)
{
  int n = 1;
  while (v >>= 4) {
    ++n;
  }
  return n;
}

bool
contains_ci(std::string_view haystack, std::string_view needle)
{
  if (needle.empty()) {
    return true;
  }
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a))
                                 == std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

std::string
Style::paint(std::string_view text, Color c) const
{
  if (!m_color || c == Color::none || text.empty()) {
    return std::string(text);
  }
  const char* code = "";
  switch (c) {
  case Color::red:
    code = "31";
    break;
  case Color::green:
    code = "32";
    break;
  case Color::yellow:
    code = "33";
    break;
  case Color::blue:
    code = "34";
    break;
  case Color::magenta:
    code = "35";
    break;
  case Color::cyan:
    code = "36";
    break;
  case Color::dim:
    code = "2";
    break;
  case Color::bold:
    code = "1";
    break;
  case Color::none:
    break;
  }
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

bool
want_color(std::string_view mode, int fd)
{
  if (mode == "always") {
    return true;
  }
  if (mode == "never") {
    return false;
  }
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) {
    return false;
  }
  const char* term = std::getenv("TERM");
  if (term && std::string_view(term) == "dumb") {
    return false;
  }
  return ::isatty(fd) == 1;
}

} // namespace memmap::render
