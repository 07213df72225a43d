#include <memmap/pci/lspci_text.hpp>

#include <memmap/error.hpp>
#include <memmap/util/hex.hpp>
#include <memmap/util/size.hpp>
#include <memmap/util/text.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace memmap::pci {

namespace {

constexpr std::size_t k_max_line = 254;  // libpci reads lines into a 256-byte buffer
// lspci's walks visit each offset once: at most 48 standard (0x40-0xfc) and 960 extended
// (0x100-0xffc) capabilities of a function.
constexpr std::size_t k_max_caps = 48 + 960;

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
  while (n < line.size() && util::is_xdigit(line[n])) {
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
  if (rest.size() < 8 || !util::is_xdigit(rest[0]) || !util::is_xdigit(rest[1]) || rest[2] != ':' || !util::is_xdigit(rest[3])
      || !util::is_xdigit(rest[4]) || rest[5] != '.' || rest[6] < '0' || rest[6] > '7' || rest[7] != ' ') {
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
// a data line at all; throws if it is one but malformed (`where()` names the line).
template <class Where>
bool
check_data_line(std::string_view line, const Where& where, std::size_t& high)
{
  std::size_t n = 0;
  while (n < line.size() && util::is_xdigit(line[n])) {
    ++n;
  }
  if (n < 2 || n > 8 || n + 1 >= line.size() || line[n] != ':' || line[n + 1] != ' ') {
    return false;
  }
  const std::uint64_t offset = *parse_hex(line.substr(0, n));
  std::size_t i = n + 2;
  std::uint64_t count = 0;
  while (i < line.size()) {
    if (i + 2 > line.size() || !util::is_xdigit(line[i]) || !util::is_xdigit(line[i + 1])) {
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
                                   where()));
    }
    ++count;
    i += 2;
    if (i < line.size()) {
      if (line[i] != ' ') {
        throw InputError(fmt::format("{}: malformed hex dump line (libpci's dump reader: "
                                     "\"Malformed line\")",
                                     where()));
      }
      ++i;
    }
  }
  if (offset + count > 4096) {
    throw InputError(fmt::format("{}: config offset {:#x} + {} bytes is past 4096", where(), offset, count));
  }
  high = std::max<std::size_t>(high, static_cast<std::size_t>(offset + count));
  return true;
}

// "Memory at fb000000 (32-bit, non-prefetchable) [size=16M]" and friends (lspci's
// show_bases/show_rom wording). Returns false for a line that is not a region.
bool
parse_region(std::string_view body, TextRegion& r)
{
  std::string_view after;
  if (body.starts_with("Memory at ")) {
    after = body.substr(10);
  } else if (body.starts_with("I/O ports at ")) {
    r.io = true;
    after = body.substr(13);
  } else if (body.starts_with("Expansion ROM at ")) {
    r.rom = true;
    after = body.substr(17);
  } else {
    return false;
  }
  std::size_t n = 0;
  while (n < after.size() && util::is_xdigit(after[n])) {
    ++n;
  }
  if (n > 0) {
    r.address = parse_hex(after.substr(0, n));
  }
  r.unassigned = after.starts_with("<unassigned>");
  r.ignored = after.starts_with("<ignored>");
  r.broken_64 = after.starts_with("<broken-64-bit-slot>") || after.starts_with("<invalid-64bit-slot>");
  r.is_virtual = r.is_virtual || after.find("[virtual]") != std::string_view::npos;
  r.disabled = after.find("[disabled]") != std::string_view::npos;
  r.enhanced = after.find("[enhanced]") != std::string_view::npos;
  if (!r.io && !r.rom) {
    const auto open = after.find(" (");
    const auto comma = open == std::string_view::npos ? open : after.find(", ", open);
    if (comma != std::string_view::npos) {
      r.mem_type = std::string(after.substr(open + 2, comma - open - 2));
      r.bits = r.mem_type == "64-bit" ? 64 : 32;
      r.prefetchable = after.substr(comma + 2).starts_with("prefetchable)");
    }
  }
  const auto sz = after.find("[size=");
  if (sz != std::string_view::npos) {
    const auto close = after.find(']', sz);
    if (close != std::string_view::npos) {
      r.size = parse_lspci_size(after.substr(sz + 6, close - sz - 6));
    }
  }
  return true;
}

// Indentation level: one tab, or eight spaces (a tab expanded), per level.
int
indent_level(std::string_view& s)
{
  int level = 0;
  while (!s.empty()) {
    if (s.front() == '\t') {
      s.remove_prefix(1);
      ++level;
    } else if (s.size() >= 8 && s.substr(0, 8) == "        ") {
      s.remove_prefix(8);
      ++level;
    } else {
      break;
    }
  }
  if (!s.empty() && s.front() == ' ') {
    return -1;  // a continuation line aligned with spaces: no level of its own
  }
  return level;
}

// "XXXX" (exactly four hex digits) -> the value.
std::optional<std::uint16_t>
hex4(std::string_view s)
{
  if (s.size() != 4 || !std::all_of(s.begin(), s.end(), util::is_xdigit)) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(*parse_hex(s));
}

// The header line after "BB:DD.F ": class, names, ids, revision, prog-if as lspci's
// show_terse prints them ("Class [cccc]: Vendor Device [vvvv:dddd] (rev rr) (prog-if pp [..])"
// with -nn, "cccc: vvvv:dddd (rev rr)" with -n, names alone otherwise).
void
parse_header_facts(std::string_view rest, TextDevice& d)
{
  const auto colon = rest.find(": ");
  if (colon == std::string_view::npos) {
    return;
  }
  std::string_view cls = rest.substr(0, colon);
  std::string_view dev = rest.substr(colon + 2);
  if (auto c = hex4(cls)) {
    d.class_id = c;
  } else if (cls.size() > 7 && cls.substr(cls.size() - 7, 2) == " [" && cls.back() == ']') {
    d.class_id = hex4(cls.substr(cls.size() - 5, 4));
    d.class_text = std::string(cls.substr(0, cls.size() - 7));
  } else {
    d.class_text = std::string(cls);
  }
  // " (prog-if 8f [PCI native mode controller, ...])" comes last, " (rev 03)" before it.
  if (const auto p = dev.rfind(" (prog-if "); p != std::string_view::npos && p + 12 <= dev.size()) {
    const auto v = dev.substr(p + 10, 2);
    if (std::all_of(v.begin(), v.end(), util::is_xdigit)
        && (p + 12 == dev.size() || dev[p + 12] == ')' || dev[p + 12] == ' ')) {
      d.prog_if = static_cast<std::uint8_t>(*parse_hex(v));
      dev = dev.substr(0, p);
    }
  }
  if (const auto p = dev.rfind(" (rev "); p != std::string_view::npos && p + 9 == dev.size() && dev.back() == ')') {
    const auto v = dev.substr(p + 6, 2);
    if (std::all_of(v.begin(), v.end(), util::is_xdigit)) {
      d.revision = static_cast<std::uint8_t>(*parse_hex(v));
      dev = dev.substr(0, p);
    }
  }
  auto ids = [&](std::string_view s) {
    if (s.size() == 9 && s[4] == ':') {
      const auto v = hex4(s.substr(0, 4));
      const auto dv = hex4(s.substr(5, 4));
      if (v && dv) {
        d.vendor_id = v;
        d.device_id = dv;
        return true;
      }
    }
    return false;
  };
  if (ids(dev)) {
    return;  // -n: numbers only
  }
  if (dev.size() > 12 && dev.substr(dev.size() - 12, 2) == " [" && dev.back() == ']'
      && ids(dev.substr(dev.size() - 10, 9))) {
    dev = dev.substr(0, dev.size() - 12);
  } else if (dev.size() == 11 && dev.front() == '[' && dev.back() == ']') {
    ids(dev.substr(1, 9));
    dev = {};
  }
  d.name_text = std::string(dev);
}

// "[68] MSI: Enable+ ..." / "[100 v1] Virtual Channel" / "<access denied>".
void
parse_capability(std::string_view body, int line_no, TextDevice& d)
{
  if (body.starts_with("<access denied>")) {
    d.caps_denied = true;
    return;
  }
  if (body.size() < 4 || body.front() != '[') {
    return;
  }
  const auto close = body.find(']');
  if (close == std::string_view::npos) {
    return;
  }
  std::string_view inside = body.substr(1, close - 1);
  std::optional<std::uint8_t> version;
  if (const auto sp = inside.find(" v"); sp != std::string_view::npos) {
    unsigned v = 0;
    const auto vs = inside.substr(sp + 2);
    auto [ptr, ec] = std::from_chars(vs.data(), vs.data() + vs.size(), v);
    if (ec != std::errc() || ptr != vs.data() + vs.size() || v > 15) {
      return;
    }
    version = static_cast<std::uint8_t>(v);
    inside = inside.substr(0, sp);
  }
  if (inside.size() < 2 || inside.size() > 3 || !std::all_of(inside.begin(), inside.end(), util::is_xdigit)) {
    return;
  }
  std::string_view words = body.substr(close + 1);
  if (!words.empty() && words.front() == ' ') {
    words.remove_prefix(1);
  }
  if (words.starts_with("<chain")) {
    return;  // "<chain looped>", "<chain broken>": lspci's walk ended there
  }
  if (d.caps.size() >= k_max_caps) {
    return;  // more than lspci ever prints for one function: hostile input, not a list
  }
  TextCapability c;
  c.offset = static_cast<std::uint16_t>(*parse_hex(inside));
  c.extended = c.offset >= 0x100;
  c.version = version;
  c.words = std::string(words);
  c.ids = lspci_capability_ids(words, c.extended);
  c.line = line_no;
  d.caps.push_back(std::move(c));
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
    if (nl == std::string_view::npos) {
      throw InputError(fmt::format("{}:{}: last line has no newline (libpci's dump reader rejects it: "
                                   "\"line too long or unterminated\")",
                                   display, line_no));
    }
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.size() > k_max_line) {
      throw InputError(fmt::format("{}:{}: line of {} characters; libpci's dump reader takes at most "
                                   "{} (\"line too long or unterminated\")",
                                   display, line_no, line.size(), k_max_line));
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
      parse_header_facts(line.substr(line.find(' ') + 1), d);
      out.devices.push_back(std::move(d));
      cur = &out.devices.back();
      in_device = true;
      continue;
    }
    std::size_t high = 0;
    if (check_data_line(line, [&] { return fmt::format("{}:{}", display, line_no); }, high)) {
      if (in_device && cur) {
        cur->hex_bytes = std::max(cur->hex_bytes, high);
        cur->hex_last_line = line_no;
      }
      continue;
    }
    if (!in_device || !cur) {
      continue;
    }
    std::string_view body = line;
    const int level = indent_level(body);
    if (level >= 1) {
      cur->verbose = true;
    }
    if (level != 1) {
      continue;  // capability details (two levels) or something else
    }
    if (body.starts_with("Kernel driver in use: ")) {
      cur->driver = std::string(body.substr(22));
      out.has_kernel_lines = true;
      continue;
    }
    if (body.starts_with("Kernel modules: ")) {
      out.has_kernel_lines = true;
      continue;
    }
    if (body.starts_with("Capabilities: ")) {
      parse_capability(body.substr(14), line_no, *cur);
      continue;
    }
    TextRegion r;
    r.line = line_no;
    if (body.starts_with("Region ")) {
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
    // Older lspci put "[virtual] " or "[enhanced] " before the region.
    for (bool more = true; more;) {
      more = false;
      if (body.starts_with("[virtual] ")) {
        body.remove_prefix(10);
        r.is_virtual = true;
        more = true;
      } else if (body.starts_with("[enhanced] ")) {
        body.remove_prefix(11);
        r.enhanced = true;
        more = true;
      }
    }
    const bool virt = r.is_virtual;
    const bool enh = r.enhanced;
    if (!parse_region(body, r)) {
      continue;
    }
    r.is_virtual = r.is_virtual || virt;
    r.enhanced = r.enhanced || enh;
    if (r.rom) {
      cur->rom = r;
    } else {
      cur->regions.push_back(r);
    }
    out.has_sizes = out.has_sizes || r.size.has_value();
  }
  return out;
}

} // namespace memmap::pci
