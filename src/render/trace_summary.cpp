// memmap trace's final summary, as JSON (the memmap(8) contract) and as text.
#include "trace_common.hpp"

#include <memmap/render/control_filter.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <ostream>

#include <fmt/format.h>

namespace memmap::render {

using namespace memmap::trace;
using namespace trace_detail;

namespace {

std::uint64_t
now_of(const Summary& s, const Annotator& a)
{
  return a.now_ns != 0 ? a.now_ns : s.last_ts_ns;
}

Json
lifetimes_json(const Lifetimes& l)
{
  Json j = Json::object();
  j["count"] = l.count;
  Json b = Json::object();
  for (int i = 0; i < k_lifetime_buckets; ++i) {
    b[lifetime_bucket_label(i)] = l.buckets[static_cast<std::size_t>(i)];
  }
  j["buckets"] = b;
  j["max_ns"] = l.max_ns;
  j["mean_ns"] = l.count != 0 ? l.sum_ns / l.count : 0;
  return j;
}

Json
unmatched_json(const Unmatched& u, const Annotator& a)
{
  Json j;
  j["device"] = u.device;
  // dma_unmap_sg carries no DMA address; its first physical entry stands in (phys_addr).
  j["dma_addr"] = u.sg ? Json(nullptr) : Json(hex0x(u.dma_addr));
  j["size"] = u.size;
  j["event"] = std::string(event_name(u.type));
  j["sg"] = u.sg;
  if (u.sg) {
    j["phys_addr"] = hex0x(u.phys_addr);
  }
  j["reason"] = u.double_unmap ? "double" : "unknown";
  j["ts"] = seconds(u.ts_ns);
  (void)a;
  return j;
}

// The default per-device table of the summary (-o gives render_trace_devices_table()).
void
devices_text(const std::vector<const DeviceStats*>& devs, const Annotator& a, std::size_t w,
             std::ostream& out)
{
  out << fmt::format("{:<{}}  {:<10} {:>5} {:>7} {:>7} {:>7} {:>7} {:>12} {:>8} {:>7} {:>6}\n",
                     "DEVICE", w, "DRIVER", "GROUP", "MAPS", "UNMAPS", "ALLOCS", "FREES",
                     "OUTSTANDING", "LARGEST", "BOUNCES", "FAULTS");
  for (const auto* d : devs) {
    const DeviceInfo info = info_of(a, d->device);
    const int group = group_of(a, *d);
    out << fmt::format(
      "{:<{}}  {:<10} {:>5} {:>7} {:>7} {:>7} {:>7} {:>12} {:>8} {:>7} {:>6}\n", d->device, w,
      driver_text(info), group >= 0 ? std::to_string(group) : "-",
      d->maps, d->unmaps, d->allocs, d->frees,
      fmt::format("{}/{}", d->outstanding_count, human_size(d->outstanding_bytes)),
      human_size(d->largest), counter_text(a, k_bounce_event, d->bounces),
      counter_text(a, k_fault_event, d->faults));
  }
}

} // namespace

Json
trace_detail::device_json(const DeviceStats& d, const Annotator& a)
{
  Json j;
  j["device"] = d.device;
  j["maps"] = d.maps;
  j["unmaps"] = d.unmaps;
  j["allocs"] = d.allocs;
  j["frees"] = d.frees;
  j["outstanding_count"] = d.outstanding_count;
  j["outstanding_bytes"] = d.outstanding_bytes;
  j["bounces"] = counter(a, k_bounce_event, d.bounces);
  j["faults"] = counter(a, k_fault_event, d.faults);
  const DeviceInfo info = info_of(a, d.device);
  j["driver"] = info.driver.empty() ? Json(nullptr) : Json(info.driver);
  const int group = group_of(a, d);
  j["iommu_group"] = group >= 0 ? Json(group) : Json(nullptr);
  j["errors"] = d.errors;
  j["syncs"] = d.syncs;
  j["coherent_count"] = d.coherent_count;
  j["coherent_bytes"] = d.coherent_bytes;
  j["streaming_count"] = d.streaming_count();
  j["streaming_bytes"] = d.streaming_bytes();
  Json by_dir = Json::object();
  for (int i = 0; i < 4; ++i) {
    by_dir[std::string(to_string(static_cast<DmaDir>(i)))] = d.mapped_bytes[static_cast<std::size_t>(i)];
  }
  j["mapped_bytes"] = by_dir;
  j["largest"] = d.largest;
  j["translated"] = d.translated;
  j["untranslated"] = d.untranslated;
  j["unmatched_unmaps"] = d.unmatched_unmaps;
  j["double_unmaps"] = d.double_unmaps;
  j["unmatched_frees"] = d.unmatched_frees;
  j["remaps"] = d.remaps;
  j["map_failures"] = d.map_failures;
  j["alloc_failures"] = d.alloc_failures;
  j["bounce_bytes"] = counter(a, k_bounce_event, d.bounce_bytes);
  j["lifetimes"] = lifetimes_json(d.lifetimes);
  return j;
}

std::string
driver_text(const DeviceInfo& info)
{
  return !info.driver.empty() ? info.driver : info.known ? std::string("-") : std::string("?");
}

Json
summary_to_json(const Summary& s, const Annotator& a)
{
  Json j = render::json_document();
  j["type"] = "summary";
  j["events"] = s.events;
  j["lost_events"] = s.lost_events;
  j["first_ts"] = seconds(s.first_ts_ns);
  j["last_ts"] = seconds(s.last_ts_ns);
  Json devs = Json::array();
  for (const auto& d : s.devices) {
    if (is_active(d)) {
      devs.push_back(device_json(d, a));
    }
  }
  j["devices"] = devs;
  const std::uint64_t now = now_of(s, a);
  Json out = Json::array();
  for (const auto& m : s.outstanding) {
    Json o;
    o["device"] = m.device;
    o["kind"] = to_string(m.kind);
    o["dma_addr"] = hex0x(m.dma_addr);
    o["size"] = m.size;
    o["dir"] = std::string(to_string(m.dir));
    o["event"] = std::string(event_name(m.type));
    o["sg"] = m.sg;
    if (m.has_phys) {
      o["phys_addr"] = hex0x(m.phys_addr);
      o["translated"] = m.phys_addr != m.dma_addr;
      if (a.phys) {
        if (auto p = a.phys(m.phys_addr)) {
          o["region"] = p->region;
          o["region_kind"] = p->kind;
          if (p->numa_node >= 0) {
            o["numa_node"] = p->numa_node;
          }
        }
      }
    } else {
      o["phys_addr"] = nullptr;
      o["translated"] = nullptr;
    }
    if (m.sg) {
      o["nents"] = m.nents;
      o["truncated"] = m.truncated;
    }
    o["attrs"] = attrs_to_string(m.attrs);
    o["ts"] = seconds(m.ts_ns);
    o["age_s"] = now >= m.ts_ns && m.ts_ns != 0
                   ? static_cast<double>(now - m.ts_ns) / 1e9
                   : 0.0;
    out.push_back(o);
  }
  j["outstanding"] = out;
  Json un = Json::array();
  for (const auto& u : s.unmatched_unmaps) {
    un.push_back(unmatched_json(u, a));
  }
  j["unmatched_unmaps"] = un;
  Json uf = Json::array();
  for (const auto& u : s.unmatched_frees) {
    uf.push_back(unmatched_json(u, a));
  }
  j["unmatched_frees"] = uf;
  Json faults = Json::array();
  for (const auto& f : s.faults) {
    Json o;
    o["device"] = f.device;
    o["driver"] = f.driver;
    o["iova"] = hex0x(f.iova);
    o["write"] = (f.flags & 1) != 0;
    o["flags"] = f.flags;
    o["ts"] = seconds(f.ts_ns);
    const DeviceInfo info = info_of(a, f.device);
    o["reserved_region"] = nullptr;
    const auto regions = info.iommu_group >= 0 && a.reserved
                           ? a.reserved(info.iommu_group)
                           : std::nullopt;
    if (regions) {
      for (const auto& r : *regions) {
        if (f.iova >= r.start && f.iova <= r.end) {
          o["reserved_region"] = {{"start", hex0x(r.start)}, {"end", hex0x(r.end)}, {"type", r.type}};
          break;
        }
      }
    }
    faults.push_back(o);
  }
  j["faults"] = faults;
  j["iommu"] = {{"maps", counter(a, k_iommu_map_event, s.iommu_maps)},
                {"unmaps", counter(a, k_iommu_map_event, s.iommu_unmaps)},
                {"mapped_bytes", counter(a, k_iommu_map_event, s.iommu_mapped_bytes)},
                {"unmapped_bytes", counter(a, k_iommu_map_event, s.iommu_unmapped_bytes)}};
  return j;
}

void
render_summary_text(const Summary& s, const Annotator& a, const render::Style& style,
                    std::ostream& out, const Columns& cols)
{
  const std::uint64_t span = s.last_ts_ns >= s.first_ts_ns ? s.last_ts_ns - s.first_ts_ns : 0;
  out << style.paint("DMA trace summary", render::Color::bold) << ": " << s.events << " events";
  if (s.events != 0) {
    out << " over " << duration(span);
  }
  if (s.lost_events != 0) {
    out << ", " << style.paint(fmt::format("{} lost", s.lost_events), render::Color::yellow)
        << " (ring buffer overflow: counts are lower bounds, outstanding may include mappings "
           "whose unmap was lost)";
  }
  out << '\n';
  std::vector<const DeviceStats*> devs;
  for (const auto& d : s.devices) {
    if (is_active(d)) {
      devs.push_back(&d);
    }
  }
  if (devs.empty()) {
    out << "No device made DMA-API calls that were traced.\n";
  } else {
    std::sort(devs.begin(), devs.end(), [](const DeviceStats* x, const DeviceStats* y) {
      if (x->outstanding_bytes != y->outstanding_bytes) {
        return x->outstanding_bytes > y->outstanding_bytes;
      }
      return x->device < y->device;
    });
    std::size_t w = 6;
    for (const auto* d : devs) {
      w = std::max(w, d->device.size());
    }
    out << '\n';
    if (cols.is_default) {
      devices_text(devs, a, w, out);
    } else {
      render_trace_devices_table(devs, a, cols, out);
    }
    if (std::any_of(devs.begin(), devs.end(),
                    [](const DeviceStats* d) { return d->lifetimes.count != 0; })) {
      out << "\nStreaming lifetimes (map to unmap):\n";
    }
    for (const auto* d : devs) {
      const Lifetimes& l = d->lifetimes;
      if (l.count == 0) {
        continue;
      }
      out << fmt::format("  {:<{}}  n={:<6} p50 {:<6} p99 {:<6} max {:<8} |", d->device, w,
                         l.count, l.quantile_label(0.5), l.quantile_label(0.99),
                         duration(l.max_ns));
      for (int i = 0; i < k_lifetime_buckets; ++i) {
        out << ' ' << lifetime_bucket_label(i) << ':' << l.buckets[static_cast<std::size_t>(i)];
      }
      out << '\n';
    }
    out << "\nTranslation (single/sg maps): ";
    bool first = true;
    for (const auto* d : devs) {
      if (d->translated + d->untranslated == 0) {
        continue;
      }
      out << (first ? "" : "; ") << d->device << ' '
          << (d->untranslated == 0   ? "translated (IOMMU)"
              : d->translated == 0   ? "untranslated (DMA address = physical)"
                                     : fmt::format("{} translated, {} untranslated",
                                                   d->translated, d->untranslated));
      first = false;
    }
    out << (first ? "no map carried a physical address\n" : "\n");
  }
  const std::uint64_t now = now_of(s, a);
  out << '\n'
      << style.paint(fmt::format("Outstanding mappings: {}", s.outstanding.size()),
                     s.outstanding.empty() ? render::Color::green : render::Color::yellow);
  if (!s.outstanding.empty()) {
    out << " (coherent ones live until freed; streaming ones still mapped may be leaks)\n";
    out << fmt::format("  {:<24} {:<13} {:<18} {:>8} {:<13} {:<18} {:>10}  {}\n", "DEVICE",
                       "KIND", "DMA ADDR", "SIZE", "DIR", "PHYS ADDR", "AGE", "REGION");
    for (const auto& m : s.outstanding) {
      std::string region;
      if (m.has_phys && a.phys) {
        if (auto p = a.phys(m.phys_addr)) {
          region = p->region;
        }
      }
      const std::string kind =
        std::string(to_string(m.kind)) + (m.sg ? (m.truncated ? "/sg+" : "/sg") : "");
      out << fmt::format("  {:<24} {:<13} {:<18} {:>8} {:<13} {:<18} {:>10}  {}{}\n", m.device,
                         kind, hex0x(m.dma_addr), human_size(m.size), to_string(m.dir),
                         m.has_phys ? hex0x(m.phys_addr) : "-",
                         now >= m.ts_ns && m.ts_ns != 0 ? duration(now - m.ts_ns) : "-", region,
                         m.has_phys && m.phys_addr == m.dma_addr ? " (untranslated)" : "");
    }
  } else {
    out << '\n';
  }
  auto unmatched = [&](const char* title, const std::vector<Unmatched>& list) {
    out << '\n' << fmt::format("{}: {}", title, list.size()) << '\n';
    for (const auto& u : list) {
      out << fmt::format("  {:<24} {:<18} {:>8} {:<20} {}\n", u.device,
                         u.sg ? "sg phys " + hex0x(u.phys_addr) : hex0x(u.dma_addr),
                         u.sg ? "-" : human_size(u.size), event_name(u.type),
                         u.double_unmap ? "double (already unmapped in this trace)"
                                        : "unknown (mapped before the trace, or lost)");
    }
  };
  unmatched("Unmatched unmaps", s.unmatched_unmaps);
  if (!s.unmatched_frees.empty()) {
    unmatched("Unmatched frees", s.unmatched_frees);
  }
  out << '\n'
      << fmt::format("IOMMU faults: {}",
                     a.untraced.count(k_fault_event) ? std::string("? (not traced)")
                                                     : std::to_string(s.faults.size()))
      << '\n';
  for (const auto& f : s.faults) {
    std::string where = "outside the group's reserved regions";
    const DeviceInfo info = info_of(a, f.device);
    const auto regions = info.iommu_group >= 0 && a.reserved
                           ? a.reserved(info.iommu_group)
                           : std::nullopt;
    if (regions) {
      for (const auto& r : *regions) {
        if (f.iova >= r.start && f.iova <= r.end) {
          where = fmt::format("in reserved region {}-{} ({})", hex0x(r.start), hex0x(r.end),
                              r.type);
          break;
        }
      }
    } else {
      where = "group reserved regions unknown";
    }
    out << fmt::format("  {} {} iova {} {} at {}: {}\n", f.device, f.driver, hex0x(f.iova),
                       (f.flags & 1) != 0 ? "write" : "read", seconds(f.ts_ns), where);
  }
  if (s.iommu_maps + s.iommu_unmaps != 0) {
    out << fmt::format("\nIOMMU page-table calls: {} maps ({}), {} unmaps ({})\n", s.iommu_maps,
                       human_size(s.iommu_mapped_bytes), s.iommu_unmaps,
                       human_size(s.iommu_unmapped_bytes));
  }
}

} // namespace memmap::render
