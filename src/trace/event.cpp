#include <memmap/trace/event.hpp>

#include <array>
#include <charconv>

#include <fmt/format.h>

namespace memmap::trace {

namespace {

struct TypeInfo {
  std::string_view name;
  std::string_view system;
  EventClass cls;
};

// Indexed by EventType.
constexpr std::array<TypeInfo, k_event_type_count> k_types{{
  {"dma_map_page", "dma", EventClass::map_single},
  {"dma_map_resource", "dma", EventClass::map_single},
  {"dma_map_phys", "dma", EventClass::map_single},
  {"dma_unmap_page", "dma", EventClass::unmap_single},
  {"dma_unmap_resource", "dma", EventClass::unmap_single},
  {"dma_unmap_phys", "dma", EventClass::unmap_single},
  {"dma_map_sg", "dma", EventClass::map_sg},
  {"dma_unmap_sg", "dma", EventClass::unmap_sg},
  {"dma_alloc", "dma", EventClass::alloc},
  {"dma_alloc_pages", "dma", EventClass::alloc},
  {"dma_alloc_sgt", "dma", EventClass::alloc},
  {"dma_free", "dma", EventClass::free},
  {"dma_free_pages", "dma", EventClass::free},
  {"dma_free_sgt", "dma", EventClass::free},
  {"dma_map_sg_err", "dma", EventClass::error},
  {"dma_alloc_sgt_err", "dma", EventClass::error},
  {"dma_sync_single_for_cpu", "dma", EventClass::sync},
  {"dma_sync_single_for_device", "dma", EventClass::sync},
  {"dma_sync_sg_for_cpu", "dma", EventClass::sync},
  {"dma_sync_sg_for_device", "dma", EventClass::sync},
  {"map", "iommu", EventClass::iommu_map},
  {"unmap", "iommu", EventClass::iommu_unmap},
  {"io_page_fault", "iommu", EventClass::fault},
  {"add_device_to_group", "iommu", EventClass::group},
  {"remove_device_from_group", "iommu", EventClass::group},
  {"attach_device_to_domain", "iommu", EventClass::group},
  {"detach_device_from_domain", "iommu", EventClass::group},
  {"swiotlb_bounced", "swiotlb", EventClass::bounce},
}};

struct AttrName {
  std::uint64_t bit;
  std::string_view name;
};

// include/trace/events/dma.h DMA_ATTRS; bit 11 has had two names.
constexpr std::array<AttrName, 12> k_attrs{{
  {std::uint64_t{1} << 1, "WEAK_ORDERING"},
  {std::uint64_t{1} << 2, "WRITE_COMBINE"},
  {std::uint64_t{1} << 4, "NO_KERNEL_MAPPING"},
  {std::uint64_t{1} << 5, "SKIP_CPU_SYNC"},
  {std::uint64_t{1} << 6, "FORCE_CONTIGUOUS"},
  {std::uint64_t{1} << 7, "ALLOC_SINGLE_PAGES"},
  {std::uint64_t{1} << 8, "NO_WARN"},
  {std::uint64_t{1} << 9, "PRIVILEGED"},
  {std::uint64_t{1} << 10, "MMIO"},
  {std::uint64_t{1} << 11, "CACHE_CLEAN"},
  {std::uint64_t{1} << 11, "CACHELINES_OVERLAP"},
  {std::uint64_t{1} << 12, "REQUIRE_COHERENT"},
}};

} // namespace

std::string_view
event_name(EventType t)
{
  return k_types[static_cast<std::size_t>(t)].name;
}

std::string_view
event_system(EventType t)
{
  return k_types[static_cast<std::size_t>(t)].system;
}

EventClass
event_class(EventType t)
{
  return k_types[static_cast<std::size_t>(t)].cls;
}

std::optional<EventType>
event_type_from_name(std::string_view name)
{
  // Cheap rejection of the common noise (sched_*, irq_*, dma_fence_*) before the scan.
  if (name.empty()) {
    return std::nullopt;
  }
  const char c = name.front();
  if (c != 'd' && c != 'm' && c != 'u' && c != 'i' && c != 'a' && c != 'r' && c != 's') {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < k_types.size(); ++i) {
    if (k_types[i].name == name) {
      return static_cast<EventType>(i);
    }
  }
  return std::nullopt;
}

std::string_view
to_string(DmaDir d)
{
  switch (d) {
  case DmaDir::bidirectional:
    return "BIDIRECTIONAL";
  case DmaDir::to_device:
    return "TO_DEVICE";
  case DmaDir::from_device:
    return "FROM_DEVICE";
  case DmaDir::none:
    return "NONE";
  }
  return "NONE";
}

std::optional<DmaDir>
dir_from_string(std::string_view s)
{
  if (s == "BIDIRECTIONAL" || s == "DMA_BIDIRECTIONAL") {
    return DmaDir::bidirectional;
  }
  if (s == "TO_DEVICE" || s == "DMA_TO_DEVICE") {
    return DmaDir::to_device;
  }
  if (s == "FROM_DEVICE" || s == "DMA_FROM_DEVICE") {
    return DmaDir::from_device;
  }
  if (s == "NONE" || s == "DMA_NONE") {
    return DmaDir::none;
  }
  return std::nullopt;
}

std::uint64_t
attrs_from_string(std::string_view s)
{
  std::uint64_t bits = 0;
  while (!s.empty()) {
    const auto bar = s.find('|');
    const std::string_view tok = s.substr(0, bar);
    s = bar == std::string_view::npos ? std::string_view{} : s.substr(bar + 1);
    if (tok.size() > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
      std::uint64_t v = 0;
      std::from_chars(tok.data() + 2, tok.data() + tok.size(), v, 16);
      bits |= v;
      continue;
    }
    for (const auto& a : k_attrs) {
      if (a.name == tok) {
        bits |= a.bit;
        break;
      }
    }
  }
  return bits;
}

std::string
attrs_to_string(std::uint64_t attrs)
{
  std::string out;
  std::uint64_t named = 0;
  for (const auto& a : k_attrs) {
    if ((attrs & a.bit) != 0 && (named & a.bit) == 0) {
      if (!out.empty()) {
        out += '|';
      }
      out += a.name;
      named |= a.bit;
    }
  }
  if (const std::uint64_t rest = attrs & ~named; rest != 0) {
    if (!out.empty()) {
      out += '|';
    }
    out += fmt::format("{:#x}", rest);
  }
  return out;
}

void
DmaEvent::reset(EventType t)
{
  type = t;
  ts_ns = 0;
  cpu = -1;
  pid = -1;
  comm.clear();
  device.clear();
  dir = DmaDir::bidirectional;
  has_dir = false;
  dma_addr = 0;
  phys_addr = 0;
  has_phys = false;
  size = 0;
  attrs = 0;
  virt_addr = 0;
  has_virt = false;
  gfp.clear();
  phys_addrs.clear();
  dma_addrs.clear();
  sizes.clear();
  full_nents = -1;
  full_ents = -1;
  truncated = false;
  err = 0;
  iova = 0;
  unmapped_size = 0;
  driver.clear();
  flags = 0;
  group = -1;
  dma_mask = 0;
  force = false;
}

} // namespace memmap::trace
