#include <memmap/pci/lspci_text.hpp>

#include <memmap/error.hpp>
#include <memmap/util/size.hpp>

#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace memmap::pci {

namespace {

constexpr std::size_t k_max_line = 254;  // libpci reads lines into a 256-byte buffer

bool
is_hex(char c)
{
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

std::optional<std::uint64_t>
parse_hex(std::string_view s)
{
  if (s.empty() || s.size() > 16) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

// A device header as libpci's dump reader recognises it: [D{4,6}:]BB:DD.F followed by a
// space. Returns the canonical BDF.
std::optional<std::string>
parse_header(std::string_view line)
{
  std::size_t n = 0;
  while (n < line.size() && is_hex(line[n])) {
    ++n;
  }
  std::uint64_t domain = 0;
  std::string_view rest = line;
  if (n >= 4 && n <= 6 && n < line.size() && line[n] == ':') {
    domain = *parse_hex(line.substr(0, n));
    rest = line.substr(n + 1);
  } else if (n != 2) {
    return std::nullopt;
  }
  // rest: "BB:DD.F "
  if (rest.size() < 8 || !is_hex(rest[0]) || !is_hex(rest[1]) || rest[2] != ':' || !is_hex(rest[3])
      || !is_hex(rest[4]) || rest[5] != '.' || rest[6] < '0' || rest[6] > '7' || rest[7] != ' ') {
    return std::nullopt;
  }
  const auto bus = *parse_hex(rest.substr(0, 2));
  const auto dev = *parse_hex(rest.substr(3, 2));
  if (dev > 0x1f) {
    return std::nullopt;
  }
  return fmt::format("{:04x}:{:02x}:{:02x}.{}", domain, bus, dev, rest[6] - '0');
}

// A hex data line "OFF: XX XX ..." (OFF 2-8 hex digits). Returns false if the line is not
// a data line at all; throws if it is one but malformed.
bool
check_data_line(std::string_view line, const std::string& where, std::size_t& high)
{
  std::size_t n = 0;
  while (n < line.size() && is_hex(line[n])) {
    ++n;
  }
  if (n < 2 || n > 8 || n + 1 >= line.size() || line[n] != ':' || line[n + 1] != ' ') {
    return false;
  }
  const std::uint64_t offset = *parse_hex(line.substr(0, n));
  std::size_t i = n + 2;
  std::uint64_t count = 0;
  while (i < line.size()) {
    if (i + 2 > line.size() || !is_hex(line[i]) || !is_hex(line[i + 1])) {
      // libpci tolerates trailing spaces only.
      bool only_spaces = true;
      for (std::size_t k = i; k < line.size(); ++k) {
        only_spaces = only_spaces && line[k] == ' ';
      }
      if (only_spaces) {
        break;
      }
      throw InputError(fmt::format("{}: malformed hex dump line (libpci's dump reader: "
                                   "\"Malformed line\"); expected two hex digits per byte, "
                                   "single spaces between",
                                   where));
    }
    ++count;
    i += 2;
    if (i < line.size()) {
      if (line[i] != ' ') {
        throw InputError(fmt::format("{}: malformed hex dump line (libpci's dump reader: "
                                     "\"Malformed line\")",
                                     where));
      }
      ++i;
    }
  }
  if (offset + count > 4096) {
    throw InputError(fmt::format("{}: config offset {:#x} + {} bytes is past 4096", where, offset, count));
  }
  high = std::max<std::size_t>(high, static_cast<std::size_t>(offset + count));
  return true;
}

std::string_view
trim_left_tabs(std::string_view s, int& tabs)
{
  tabs = 0;
  while (!s.empty() && s.front() == '\t') {
    s.remove_prefix(1);
    ++tabs;
  }
  return s;
}

bool
starts_with(std::string_view s, std::string_view p)
{
  return s.substr(0, p.size()) == p;
}

// "Memory at fb000000 (32-bit, non-prefetchable) [size=16M]" and friends.
void
parse_region(std::string_view body, TextRegion& r)
{
  std::string_view after;
  if (starts_with(body, "Memory at ")) {
    after = body.substr(10);
  } else if (starts_with(body, "I/O ports at ")) {
    r.io = true;
    after = body.substr(13);
  } else if (starts_with(body, "Expansion ROM at ")) {
    r.rom = true;
    after = body.substr(17);
  } else {
    return;
  }
  std::size_t n = 0;
  while (n < after.size() && is_hex(after[n])) {
    ++n;
  }
  if (n > 0) {
    r.address = parse_hex(after.substr(0, n));
  }
  r.is_virtual = after.find("[virtual]") != std::string_view::npos;
  r.disabled = after.find("[disabled]") != std::string_view::npos;
  const auto sz = after.find("[size=");
  if (sz != std::string_view::npos) {
    const auto close = after.find(']', sz);
    if (close != std::string_view::npos) {
      r.size = parse_lspci_size(after.substr(sz + 6, close - sz - 6));
    }
  }
}

} // namespace

std::optional<std::uint64_t>
parse_lspci_size(std::string_view s)
{
  return util::parse_binary_size(s);
}

LspciText
scan_lspci_text(std::string_view text, const std::string& display)
{
  LspciText out;
  TextDevice* cur = nullptr;
  bool in_device = false;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    const std::size_t nl = text.find('\n', pos);
    const std::string where = fmt::format("{}:{}", display, line_no);
    if (nl == std::string_view::npos) {
      throw InputError(where + ": last line has no newline (libpci's dump reader rejects it: "
                               "\"line too long or unterminated\")");
    }
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.size() > k_max_line) {
      throw InputError(fmt::format("{}: line of {} characters; libpci's dump reader takes at most "
                                   "{} (\"line too long or unterminated\")",
                                   where, line.size(), k_max_line));
    }
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      in_device = false;
      continue;
    }
    if (auto bdf = parse_header(line)) {
      TextDevice d;
      d.bdf = *bdf;
      d.line = line_no;
      out.devices.push_back(std::move(d));
      cur = &out.devices.back();
      in_device = true;
      continue;
    }
    std::size_t high = 0;
    if (check_data_line(line, where, high)) {
      if (in_device && cur) {
        cur->hex_bytes = std::max(cur->hex_bytes, high);
      }
      continue;
    }
    if (!in_device || !cur) {
      continue;
    }
    int tabs = 0;
    std::string_view body = trim_left_tabs(line, tabs);
    if (tabs != 1) {
      continue;  // capability details (two tabs) or something else
    }
    if (starts_with(body, "Kernel driver in use: ")) {
      cur->driver = std::string(body.substr(22));
      continue;
    }
    TextRegion r;
    r.line = line_no;
    if (starts_with(body, "Region ")) {
      const auto colon = body.find(':');
      if (colon != std::string_view::npos && colon > 7) {
        int idx = -1;
        auto sub = body.substr(7, colon - 7);
        auto [ptr, ec] = std::from_chars(sub.data(), sub.data() + sub.size(), idx);
        if (ec == std::errc() && ptr == sub.data() + sub.size() && idx >= 0 && idx < 6) {
          r.index = idx;
          body = body.substr(colon + 1);
          while (!body.empty() && body.front() == ' ') {
            body.remove_prefix(1);
          }
        }
      }
    }
    if (starts_with(body, "[virtual] ")) {
      body.remove_prefix(10);
      r.is_virtual = true;
    }
    const bool virt = r.is_virtual;
    parse_region(body, r);
    r.is_virtual = r.is_virtual || virt;
    if (r.rom) {
      cur->rom = r;
    } else if (starts_with(body, "Memory at ") || starts_with(body, "I/O ports at ")) {
      cur->regions.push_back(r);
    } else {
      continue;
    }
    out.has_sizes = out.has_sizes || r.size.has_value();
  }
  return out;
}

} // namespace memmap::pci
