// Labels of the map's boxes, shared by the text, SVG and HTML renderers (map_layout.hpp).
#include <memmap/render/map_layout.hpp>

#include <memmap/render/format.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace memmap::render {

using model::RegionKind;

std::string
map_title(const MapItem& item)
{
  switch (item.type) {
  case MapItemType::hole:
    return item.name;
  case MapItemType::elided:
    return fmt::format("{} region{} not shown", item.hidden, item.hidden == 1 ? "" : "s");
  case MapItemType::box:
    break;
  }
  std::string s = item.name;
  for (const auto& c : item.claims) {
    if (item.kind == RegionKind::pci_device) {
      s += fmt::format(" [{}]", c);
    } else {
      s += " > " + c;
    }
  }
  return s;
}

std::string
map_range_text(const MapItem& item, const MapLayout& layout)
{
  if (layout.addresses_hidden) {
    return "(hidden)";
  }
  return fmt::format("{}-{}", hex(item.start), hex(item.end));
}

std::string
map_size_text(const MapItem& item, const MapLayout& layout)
{
  if (layout.addresses_hidden) {
    return "?";
  }
  return human_size(item.end - item.start + 1, item.full_span);
}

std::string
map_device_text(const MapItem& item)
{
  if (!item.device) {
    return {};
  }
  std::string s = item.device->name;
  const auto& drv = item.device->driver;
  if (!drv.empty() && std::find(item.claims.begin(), item.claims.end(), drv) == item.claims.end()) {
    s += fmt::format("{}[{}]", s.empty() ? "" : " ", drv);
  }
  return s;
}

std::string
map_bar_text(int bar)
{
  if (bar == 6) {
    return "ROM";
  }
  if (bar >= 7 && bar <= 12) {
    return fmt::format("VF BAR{}", bar - 7);
  }
  return fmt::format("BAR{}", bar);
}

std::vector<MapLabelLine>
map_label_lines(const MapItem& it, const MapLayout& layout, int lines, std::size_t width,
                bool ascii)
{
  using Role = MapLabelLine::Role;
  std::string title = map_clean_text(map_title(it), ascii);
  const std::string size = map_size_text(it, layout);
  std::string range = map_range_text(it, layout);
  if (it.bar) {
    range += " " + map_bar_text(*it.bar);
  }
  const std::string dev = map_clean_text(map_device_text(it), ascii);
  std::vector<MapLabelLine> out;
  if (it.type != MapItemType::box) {
    out.push_back({title, size, Role::detail});
    return out;
  }
  if (it.overlaps_previous) {
    title += " (overlaps the box above)";
  }
  if (lines <= 1) {
    std::string left = title;
    if (!dev.empty()) {
      left += "  " + dev;
    }
    std::string right = range + "  " + size;
    if (map_text_width(title) + 2 + map_text_width(right) > width) {
      right = size;
    }
    out.push_back({left, right, Role::title});
    return out;
  }
  out.push_back({title, size, Role::title});
  if (lines == 2 && !dev.empty()) {
    out.push_back({dev, range, Role::detail});
    return out;
  }
  out.push_back({range, "", Role::plain});
  if (!dev.empty()) {
    out.push_back({dev, "", Role::detail});
  }
  return out;
}

std::string
map_clean_text(std::string_view text, bool ascii)
{
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += '?';
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A multi-byte sequence: lead byte, then 1-3 continuation bytes.
    const std::size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    bool ok = len != 0 && c != 0xc0 && c != 0xc1 && c < 0xf5 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    }
    if (!ok) {
      out += '?';
      ++i;
      continue;
    }
    if (ascii) {
      out += '?';
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::size_t
map_text_width(std::string_view text)
{
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

std::string
map_truncate(std::string_view text, std::size_t width, std::string_view ellipsis)
{
  if (map_text_width(text) <= width) {
    return std::string(text);
  }
  const std::size_t ew = map_text_width(ellipsis);
  if (width < ew) {
    return std::string(width, '.');
  }
  if (width == ew) {
    return std::string(ellipsis);
  }
  std::size_t keep = width - ew;
  std::size_t i = 0;
  std::size_t n = 0;
  while (i < text.size()) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
      if (n == keep) {
        break;
      }
      ++n;
    }
    ++i;
  }
  return std::string(text.substr(0, i)) + std::string(ellipsis);
}

const char*
map_kind_label(RegionKind kind)
{
  switch (kind) {
  case RegionKind::system_ram:
    return "RAM";
  case RegionKind::reserved:
    return "reserved";
  case RegionKind::acpi_tables:
    return "ACPI tables";
  case RegionKind::acpi_nvs:
    return "ACPI NVS";
  case RegionKind::persistent_memory:
    return "persistent memory";
  case RegionKind::soft_reserved:
    return "soft reserved";
  case RegionKind::unusable:
    return "unusable";
  case RegionKind::kernel_image:
    return "kernel image";
  case RegionKind::crash_kernel:
    return "crash kernel";
  case RegionKind::rom:
    return "ROM";
  case RegionKind::pci_host_bridge:
    return "PCI host bridge window";
  case RegionKind::pci_bridge_window:
    return "PCI bridge window";
  case RegionKind::pci_device:
    return "PCI BAR";
  case RegionKind::pci_ecam:
    return "PCI config (ECAM)";
  case RegionKind::ioapic:
    return "IOAPIC";
  case RegionKind::local_apic:
    return "local APIC";
  case RegionKind::hpet:
    return "HPET";
  case RegionKind::cxl:
    return "CXL";
  case RegionKind::pnp:
    return "PnP device";
  case RegionKind::driver:
    return "driver claim";
  case RegionKind::other:
    return "other";
  }
  return "other";
}

} // namespace memmap::render
