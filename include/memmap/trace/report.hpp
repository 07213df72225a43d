// What the trace renderers are given besides the tracker's counters: what the model knows
// about devices and physical addresses (an Annotator, filled by machine/trace_session), and
// one interval of a live capture. Pure data; render/trace.hpp writes it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <memmap/iommu/groups.hpp>
#include <memmap/trace/tracker.hpp>

namespace memmap::trace {

struct DeviceInfo {
  std::string driver;     // "nvme"; "" if none or unknown
  bool known = false;     // sysfs was read for it: "" then means no driver bound
  int iommu_group = -1;   // from sysfs; -1 if none
};

// What the model knows about a physical address.
struct PhysInfo {
  std::string region;     // "System RAM", "PCI Bus 0000:00 > 0000:00:02.0" ...
  std::string kind;       // RegionKind name: "ram", "pci-device" ...
  int numa_node = -1;
};

// A reserved region of an IOMMU group (sysfs reserved_regions), for faults: the one
// parser's type (iommu/groups.hpp).
using ReservedRegion = iommu::ReservedRegion;

struct Annotator {
  std::function<DeviceInfo(const std::string& device)> device;
  std::function<std::optional<PhysInfo>(std::uint64_t phys)> phys;
  // The group's reserved regions; nullopt when they are unknown (no reserved_regions file,
  // unreadable or malformed).
  std::function<std::optional<std::vector<ReservedRegion>>(int group)> reserved;
  // Timestamp "now" in the trace clock, for ages of outstanding mappings (0: the last event).
  std::uint64_t now_ns = 0;
  // Events this run did not trace ("swiotlb/swiotlb_bounced", "iommu/io_page_fault",
  // "iommu/map"): the counters they feed are unknown (JSON null, text "?"), not 0.
  std::set<std::string> untraced;
};

// Periodic output: the difference between two snapshots of the per-device counters taken
// `seconds` apart. `t` is the time since the start of the capture.
struct IntervalView {
  double t = 0;
  double seconds = 1;
  std::uint64_t events = 0;         // cumulative
  std::uint64_t events_delta = 0;
  std::uint64_t lost = 0;           // cumulative
  const std::vector<DeviceStats>* prev = nullptr;  // may be null (first interval)
  const std::vector<DeviceStats>* cur = nullptr;
};

} // namespace memmap::trace
