// The DMA mapping tracker: feeds on DmaEvents in time order and keeps, per device, the
// counters and the outstanding mappings, following the matching rules of
// docs/trace-formats.md ("The summary and its matching rules"). Pure: no I/O.
//
// Decisions the document leaves to memmap (documented in memmap(8)):
//  * a map at a key that is still live replaces the old entry (counted as `remaps`; the
//    old one's unmap was lost, e.g. in a ring-buffer overflow);
//  * a single map that returned DMA_MAPPING_ERROR (all ones) and a dma_alloc* that
//    returned dma_addr 0 with a NULL virt_addr are failures: counted as maps/allocs and
//    in `map_failures`/`alloc_failures`, nothing becomes outstanding;
//  * an sg unmap that matches nothing goes to unmatched_unmaps with "sg": true, the
//    address of its first physical entry as "phys_addr", no dma_addr and size 0;
//  * a free that matches nothing goes to unmatched_frees (same fields as an unmap);
//  * an unmatched unmap is a "double" unmap when the same key was unmapped earlier in
//    this trace, else "unknown" (mapped before the trace started, or events were lost).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <memmap/trace/event.hpp>

namespace memmap::trace {

// Map-to-unmap lifetimes of streaming mappings, in decades: <1us, <10us, ... , >=1s.
inline constexpr int k_lifetime_buckets = 8;
const char* lifetime_bucket_label(int i);  // "<1us", "<10us", ..., ">=1s"

struct Lifetimes {
  std::array<std::uint64_t, k_lifetime_buckets> buckets{};
  std::uint64_t count = 0;
  std::uint64_t max_ns = 0;
  std::uint64_t sum_ns = 0;

  void add(std::uint64_t ns);
  // Upper bound of the bucket holding the q-quantile (q in 0..1), as a label.
  const char* quantile_label(double q) const;
};

struct DeviceStats {
  std::string device;
  int iommu_group = -1;             // from iommu:add_device_to_group when traced
  std::uint64_t maps = 0;           // single + sg maps (every event)
  std::uint64_t unmaps = 0;         // single + sg unmaps (every event, matched or not)
  std::uint64_t allocs = 0;
  std::uint64_t frees = 0;
  std::uint64_t errors = 0;         // dma_map_sg_err, dma_alloc_sgt_err
  std::uint64_t syncs = 0;
  std::uint64_t bounces = 0;        // swiotlb_bounced
  std::uint64_t bounce_bytes = 0;
  std::uint64_t faults = 0;         // iommu:io_page_fault
  std::uint64_t outstanding_count = 0;
  std::uint64_t outstanding_bytes = 0;
  std::uint64_t coherent_count = 0;  // of the outstanding ones
  std::uint64_t coherent_bytes = 0;
  std::array<std::uint64_t, 4> mapped_bytes{};  // bytes mapped/allocated by DmaDir
  std::uint64_t largest = 0;        // largest mapping or allocation seen
  std::uint64_t translated = 0;     // single maps whose dma_addr != phys_addr
  std::uint64_t untranslated = 0;   // single maps whose dma_addr == phys_addr
  std::uint64_t unmatched_unmaps = 0;
  std::uint64_t double_unmaps = 0;  // of the unmatched ones
  std::uint64_t unmatched_frees = 0;
  std::uint64_t remaps = 0;
  std::uint64_t map_failures = 0;
  std::uint64_t alloc_failures = 0;
  Lifetimes lifetimes;              // streaming map -> unmap

  // Of the outstanding ones, those that are streaming maps (not coherent allocations).
  std::uint64_t streaming_count() const { return outstanding_count - coherent_count; }
  std::uint64_t streaming_bytes() const { return outstanding_bytes - coherent_bytes; }
};

enum class MappingKind : std::uint8_t { streaming, coherent };
const char* to_string(MappingKind k);

struct Mapping {
  std::string device;
  MappingKind kind = MappingKind::streaming;
  EventType type = EventType::dma_map_phys;  // the event that made it
  bool sg = false;
  std::uint64_t dma_addr = 0;
  std::uint64_t phys_addr = 0;      // single: phys_addr; sg/sgt: first physical entry
  bool has_phys = false;
  std::uint64_t size = 0;
  DmaDir dir = DmaDir::bidirectional;
  std::uint64_t attrs = 0;
  std::uint64_t ts_ns = 0;          // when it was made
  int nents = 0;                    // sg: physical entries recorded (<= 128 on 6.18)
  bool truncated = false;
};

struct Unmatched {
  std::string device;
  EventType type = EventType::dma_unmap_phys;
  bool sg = false;
  bool double_unmap = false;        // key unmapped before in this trace
  std::uint64_t dma_addr = 0;       // not meaningful for sg (no dma_addr in dma_unmap_sg)
  std::uint64_t phys_addr = 0;      // sg: first physical entry
  std::uint64_t size = 0;
  std::uint64_t ts_ns = 0;
};

struct Fault {
  std::string device;
  std::string driver;
  std::uint64_t iova = 0;
  int flags = 0;
  std::uint64_t ts_ns = 0;
};

struct Summary {
  std::uint64_t events = 0;           // counted dma/iommu/swiotlb events
  std::uint64_t lost_events = 0;      // reported lost by the ring buffer / the trace text
  std::uint64_t first_ts_ns = 0;
  std::uint64_t last_ts_ns = 0;
  std::uint64_t iommu_maps = 0;       // iommu:map / unmap (no device)
  std::uint64_t iommu_unmaps = 0;
  std::uint64_t iommu_mapped_bytes = 0;
  std::uint64_t iommu_unmapped_bytes = 0;
  std::vector<DeviceStats> devices;   // sorted by device name
  std::vector<Mapping> outstanding;   // sorted by device, then dma_addr
  std::vector<Unmatched> unmatched_unmaps;
  std::vector<Unmatched> unmatched_frees;
  std::vector<Fault> faults;
};

class Tracker {
public:
  Tracker();
  ~Tracker();
  Tracker(Tracker&&) noexcept;
  Tracker& operator=(Tracker&&) noexcept;

  // Feed one event (in time order).
  void add(const DmaEvent& ev);
  // Events lost before the next one (ring-buffer overflow, "CPU:n [LOST n EVENTS]").
  void add_lost(std::uint64_t n);

  std::uint64_t events() const;
  // Per-device counters only (cheap; for periodic views), sorted by device name.
  std::vector<DeviceStats> device_stats() const;
  // Everything, including the outstanding and unmatched lists.
  Summary summary() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace memmap::trace
