// One decoded DMA-related trace event (dma:*, iommu:*, swiotlb:*), whatever it was read
// from: a live per-CPU raw buffer (libtraceevent), a trace-cmd trace.dat, or a saved text
// trace. The decoders fill it; the tracker (tracker.hpp) consumes it. Pure data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memmap::trace {

// Every event name the summary counts (docs/trace-formats.md, "events").
enum class EventType : std::uint8_t {
  dma_map_page,
  dma_map_resource,
  dma_map_phys,
  dma_unmap_page,
  dma_unmap_resource,
  dma_unmap_phys,
  dma_map_sg,
  dma_unmap_sg,
  dma_alloc,
  dma_alloc_pages,
  dma_alloc_sgt,
  dma_free,
  dma_free_pages,
  dma_free_sgt,
  dma_map_sg_err,
  dma_alloc_sgt_err,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_sync_sg_for_cpu,
  dma_sync_sg_for_device,
  iommu_map,
  iommu_unmap,
  iommu_io_page_fault,
  iommu_add_device_to_group,
  iommu_remove_device_from_group,
  iommu_attach_device_to_domain,
  iommu_detach_device_from_domain,
  swiotlb_bounced,
};

inline constexpr int k_event_type_count = 28;

// What an event does to the tracked state.
enum class EventClass : std::uint8_t {
  map_single,    // dma_map_page/_resource/_phys
  unmap_single,  // dma_unmap_page/_resource/_phys
  map_sg,
  unmap_sg,
  alloc,         // dma_alloc, dma_alloc_pages, dma_alloc_sgt
  free,          // dma_free, dma_free_pages, dma_free_sgt
  error,         // dma_map_sg_err, dma_alloc_sgt_err
  sync,
  iommu_map,
  iommu_unmap,
  fault,         // iommu:io_page_fault
  group,         // add/remove_device_to/from_group, attach/detach_device_to/from_domain
  bounce,        // swiotlb:swiotlb_bounced
};

// The kernel's event name ("dma_map_phys", "map", "io_page_fault") and its system.
std::string_view event_name(EventType t);
std::string_view event_system(EventType t);  // "dma", "iommu", "swiotlb"
EventClass event_class(EventType t);
// The type for an event name as printed in text traces (no system); nullopt for names
// that are not counted (dma_fence_*, sched_switch, ...).
std::optional<EventType> event_type_from_name(std::string_view name);

enum class DmaDir : std::uint8_t { bidirectional = 0, to_device = 1, from_device = 2, none = 3 };

// "BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE", "NONE" (the kernel's spelling).
std::string_view to_string(DmaDir d);
std::optional<DmaDir> dir_from_string(std::string_view s);

// DMA attribute bits (include/linux/dma-mapping.h), as named by the dma:* print formats.
inline constexpr std::uint64_t k_attr_mmio = std::uint64_t{1} << 10;
// "MMIO|SKIP_CPU_SYNC" -> bits; unknown names are ignored, "0x.." tokens are bits.
std::uint64_t attrs_from_string(std::string_view s);
// Bits -> "SKIP_CPU_SYNC|MMIO"; unnamed bits as "0x..". Empty for 0.
std::string attrs_to_string(std::uint64_t attrs);

// The dma_mapping_error() value stored by failed single maps.
inline constexpr std::uint64_t k_dma_mapping_error = ~std::uint64_t{0};

struct DmaEvent {
  EventType type = EventType::dma_map_phys;
  std::uint64_t ts_ns = 0;      // trace timestamp (ns); 0 when unknown
  int cpu = -1;
  int pid = -1;
  std::string comm;             // task name when the source has it ("" otherwise)

  std::string device;           // dev_name(): "0000:01:00.0", "fe300000.dma-controller"
  DmaDir dir = DmaDir::bidirectional;
  bool has_dir = false;         // the source printed/recorded a direction
  std::uint64_t dma_addr = 0;   // single: the DMA (bus/IOVA) address; swiotlb: dev_addr
  std::uint64_t phys_addr = 0;  // single maps: the CPU physical address
  bool has_phys = false;
  std::uint64_t size = 0;
  std::uint64_t attrs = 0;
  std::uint64_t virt_addr = 0;  // coherent allocations (hashed or raw pointer, opaque)
  bool has_virt = false;
  std::string gfp;              // gfp flags as text (coherent allocations), "" if unknown

  // Scatter-gather lists (dma_map_sg, dma_unmap_sg, dma_alloc_sgt, dma_free_sgt, sync_sg).
  std::vector<std::uint64_t> phys_addrs;
  std::vector<std::uint64_t> dma_addrs;
  std::vector<std::uint64_t> sizes;
  int full_nents = -1;          // 6.18+ dma_map_sg: all entries, before the 128 cap
  int full_ents = -1;
  bool truncated = false;
  int err = 0;                  // dma_map_sg_err

  // iommu:* and swiotlb.
  std::uint64_t iova = 0;       // map/unmap/io_page_fault
  std::uint64_t unmapped_size = 0;
  std::string driver;           // io_page_fault: the IOMMU driver
  int flags = 0;                // io_page_fault flags (bit0: write)
  int group = -1;               // add_device_to_group
  std::uint64_t dma_mask = 0;   // swiotlb
  bool force = false;           // swiotlb: FORCE (swiotlb=force) or NORMAL

  // Reset to a blank event of `t`, keeping vector capacity (decoders reuse one object).
  void reset(EventType t);
};

} // namespace memmap::trace
