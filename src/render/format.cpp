#include <memmap/render/format.hpp>

#include <memmap/util/size.hpp>

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
  return size_is_full_span ? std::string("16E") : util::size_text(bytes);
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
