#include <memmap/pci/selector.hpp>

#include <memmap/error.hpp>
#include <memmap/model/address_space.hpp>

#include <algorithm>
#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace memmap::pci {

namespace {

template <typename T>
std::optional<T>
field(std::string_view part, std::uint64_t max, std::string_view what, std::string_view whole,
      const char* option)
{
  if (part.empty() || part == "*") {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v, 16);
  if (ec != std::errc() || ptr != part.data() + part.size() || v > max) {
    throw UsageError(fmt::format("{} {}: {} '{}' is not hex 0-{:x}", option, whole, what, part, max));
  }
  return static_cast<T>(v);
}

std::vector<std::string_view>
split(std::string_view s, char sep)
{
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    const auto n = s.find(sep, pos);
    if (n == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, n - pos));
    pos = n + 1;
  }
}

} // namespace

bool
Selector::matches(const Device& d) const
{
  return (!domain || *domain == d.domain) && (!bus || *bus == d.bus) && (!slot || *slot == d.dev)
         && (!func || *func == d.func) && (!vendor || *vendor == d.vendor_id)
         && (!device || *device == d.device_id);
}

bool
Selector::matches_address(std::string_view bdf) const
{
  const auto b = model::parse_bdf(bdf);
  if (!b || b->size() != 12) {
    return false;
  }
  std::uint32_t dom = 0;
  unsigned b_bus = 0;
  unsigned b_dev = 0;
  std::from_chars(b->data(), b->data() + 4, dom, 16);
  std::from_chars(b->data() + 5, b->data() + 7, b_bus, 16);
  std::from_chars(b->data() + 8, b->data() + 10, b_dev, 16);
  const unsigned fn = static_cast<unsigned>((*b)[11] - '0');
  return (!domain || *domain == dom) && (!bus || *bus == b_bus) && (!slot || *slot == b_dev)
         && (!func || *func == fn);
}

void
parse_slot_selector(std::string_view text, Selector& sel, const char* option)
{
  std::string_view rest = text;
  const auto dot = rest.rfind('.');
  if (dot != std::string_view::npos) {
    sel.func = field<std::uint8_t>(rest.substr(dot + 1), 7, "function", text, option);
    rest = rest.substr(0, dot);
  }
  const auto parts = split(rest, ':');
  if (parts.size() > 3) {
    throw UsageError(fmt::format("{} {}: expected [[[[domain]:]bus]:][slot][.[func]]", option, text));
  }
  const std::size_t n = parts.size();
  sel.slot = field<std::uint8_t>(parts[n - 1], 0x1f, "slot", text, option);
  if (n >= 2) {
    sel.bus = field<std::uint8_t>(parts[n - 2], 0xff, "bus", text, option);
  }
  if (n == 3) {
    sel.domain = field<std::uint32_t>(parts[0], 0xffffffff, "domain", text, option);
  }
}

void
parse_id_selector(std::string_view text, Selector& sel)
{
  const auto parts = split(text, ':');
  if (parts.size() != 2) {
    throw UsageError(fmt::format("-d {}: expected [vendor]:[device] in hex", text));
  }
  sel.vendor = field<std::uint16_t>(parts[0], 0xffff, "vendor", text, "-d");
  sel.device = field<std::uint16_t>(parts[1], 0xffff, "device", text, "-d");
}

std::string
select_one(std::string_view text, const std::vector<std::string>& bdfs, const char* option)
{
  Selector sel;
  parse_slot_selector(text, sel, option);
  std::vector<std::string> hits;
  for (const auto& b : bdfs) {
    if (sel.matches_address(b) && std::find(hits.begin(), hits.end(), b) == hits.end()) {
      hits.push_back(b);
    }
  }
  std::sort(hits.begin(), hits.end());
  if (hits.empty()) {
    throw UsageError(fmt::format("{} {}: matches no PCI function", option, text));
  }
  if (hits.size() > 1) {
    std::string list;
    for (std::size_t i = 0; i < hits.size() && i < 8; ++i) {
      list += (i ? ", " : "") + hits[i];
    }
    if (hits.size() > 8) {
      list += fmt::format(" and {} more", hits.size() - 8);
    }
    throw UsageError(fmt::format("{} {}: matches {} PCI functions ({}); name one", option, text,
                                 hits.size(), list));
  }
  return hits.front();
}

} // namespace memmap::pci
