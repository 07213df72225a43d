// Helpers shared by the trace renderers (render/trace_*.cpp). Private to src/render.
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include <memmap/render/format.hpp>
#include <memmap/render/json.hpp>
#include <memmap/render/trace.hpp>

namespace memmap::render::trace_detail {

// Event names whose counters are unknown when the run did not trace them.
inline constexpr const char* k_bounce_event = "swiotlb/swiotlb_bounced";
inline constexpr const char* k_fault_event = "iommu/io_page_fault";
inline constexpr const char* k_iommu_map_event = "iommu/map";

// A trace timestamp as "SECONDS.MICROSECONDS".
inline std::string
seconds(std::uint64_t ns)
{
  return fmt::format("{}.{:06}", ns / 1000000000ULL, (ns % 1000000000ULL) / 1000ULL);
}

// A duration with a unit: "512ns", "3.2us", "1.5ms", "2.00s".
inline std::string
duration(std::uint64_t ns)
{
  if (ns < 1000ULL) {
    return fmt::format("{}ns", ns);
  }
  if (ns < 1000000ULL) {
    return fmt::format("{:.1f}us", static_cast<double>(ns) / 1e3);
  }
  if (ns < 1000000000ULL) {
    return fmt::format("{:.1f}ms", static_cast<double>(ns) / 1e6);
  }
  return fmt::format("{:.2f}s", static_cast<double>(ns) / 1e9);
}

inline trace::DeviceInfo
info_of(const trace::Annotator& a, const std::string& dev)
{
  return a.device ? a.device(dev) : trace::DeviceInfo{};
}

// The device's IOMMU group: the machine's (sysfs) where it knows one, else the trace's
// iommu:add_device_to_group; -1 for none.
inline int
group_of(const trace::Annotator& a, const trace::DeviceStats& d)
{
  const int known = info_of(a, d.device).iommu_group;
  return known >= 0 ? known : d.iommu_group;
}

// A counter fed by `event`: its value, or null when the run did not trace that event.
inline Json
counter(const trace::Annotator& a, const char* event, std::uint64_t v)
{
  return a.untraced.count(event) ? Json(nullptr) : Json(v);
}

inline std::string
counter_text(const trace::Annotator& a, const char* event, std::uint64_t v)
{
  return a.untraced.count(event) ? std::string("?") : std::to_string(v);
}

inline bool
is_active(const trace::DeviceStats& d)
{
  return d.maps + d.unmaps + d.allocs + d.frees + d.bounces + d.faults + d.errors + d.syncs +
           d.outstanding_count != 0;
}

// One device's counters as the summary and the interval lines write them
// (render/trace_summary.cpp).
Json device_json(const trace::DeviceStats& d, const trace::Annotator& a);

} // namespace memmap::render::trace_detail
