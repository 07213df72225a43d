// Output of `memmap trace`: the final summary (text and the JSON contract of memmap(8)),
// one line per decoded event (--events), the periodic lines and the live terminal view.
// Renderers write to a passed stream and never read files: what they know about devices
// and physical addresses comes from an Annotator filled by the caller.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <memmap/render/format.hpp>

#include <set>
#include <string>
#include <memmap/trace/event.hpp>
#include <memmap/trace/tracker.hpp>

namespace memmap::trace {

struct DeviceInfo {
  std::string driver;     // "nvme"; "" if none or unknown
  bool known = false;     // sysfs was read for it: "" then means no driver bound
  int iommu_group = -1;   // from sysfs; -1 if none
};

// "nvme", "-" (sysfs read: no driver bound) or "?" (no sysfs to say).
std::string driver_text(const DeviceInfo& info);

// What the model knows about a physical address.
struct PhysInfo {
  std::string region;     // "System RAM", "PCI Bus 0000:00 > 0000:00:02.0" ...
  std::string kind;       // RegionKind name: "ram", "pci-device" ...
  int numa_node = -1;
};

// A reserved region of an IOMMU group (sysfs reserved_regions), for faults.
struct ReservedRegion {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // inclusive
  std::string type;       // "msi", "direct", "reserved", ...
};

struct Annotator {
  std::function<DeviceInfo(const std::string& device)> device;
  std::function<std::optional<PhysInfo>(std::uint64_t phys)> phys;
  std::function<std::vector<ReservedRegion>(int group)> reserved;
  // Timestamp "now" in the trace clock, for ages of outstanding mappings (0: the last event).
  std::uint64_t now_ns = 0;
  // Events this run did not trace ("swiotlb/swiotlb_bounced", "iommu/io_page_fault",
  // "iommu/map"): the counters they feed are unknown (JSON null, text "?"), not 0.
  std::set<std::string> untraced;
};

// The final summary as JSON (contract: events, devices[], outstanding[], unmatched_unmaps[];
// the rest are documented extras). "type":"summary".
nlohmann::ordered_json summary_to_json(const Summary& s, const Annotator& a);
void render_summary_text(const Summary& s, const Annotator& a, const render::Style& style,
                         std::ostream& out);

// One decoded event.
nlohmann::ordered_json event_to_json(const DmaEvent& ev);
std::string event_to_text(const DmaEvent& ev);

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

nlohmann::ordered_json interval_to_json(const IntervalView& v, const Annotator& a);
// Plain periodic lines (not a terminal): one "t=..." line, then one line per active device.
void render_interval_lines(const IntervalView& v, const Annotator& a, std::ostream& out);
// The live view on a terminal: clears the screen and draws the per-device table, sorted by
// bytes outstanding. `header` is the first line (what is traced, how to stop).
void render_live_screen(const IntervalView& v, const Annotator& a, const std::string& header,
                        const render::Style& style, int rows, std::ostream& out);

} // namespace memmap::trace
