#include <memmap/render/control_filter.hpp>
#include <memmap/render/json.hpp>
#include <memmap/trace/render.hpp>

#include <algorithm>
#include <map>
#include <ostream>

#include <fmt/format.h>

namespace memmap::trace {

namespace {

using json = render::Json;
using render::hex0x;
using render::human_size;

std::string
seconds(std::uint64_t ns)
{
  return fmt::format("{}.{:06}", ns / 1000000000ULL, (ns % 1000000000ULL) / 1000ULL);
}

std::string
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

DeviceInfo
info_of(const Annotator& a, const std::string& dev)
{
  return a.device ? a.device(dev) : DeviceInfo{};
}

// A counter fed by `event`: its value, or null when the run did not trace that event.
json
counter(const Annotator& a, const char* event, std::uint64_t v)
{
  return a.untraced.count(event) ? json(nullptr) : json(v);
}

std::string
counter_text(const Annotator& a, const char* event, std::uint64_t v)
{
  return a.untraced.count(event) ? std::string("?") : std::to_string(v);
}

constexpr const char* k_bounce_event = "swiotlb/swiotlb_bounced";
constexpr const char* k_fault_event = "iommu/io_page_fault";
constexpr const char* k_iommu_map_event = "iommu/map";

std::uint64_t
now_of(const Summary& s, const Annotator& a)
{
  return a.now_ns != 0 ? a.now_ns : s.last_ts_ns;
}

json
lifetimes_json(const Lifetimes& l)
{
  json j = json::object();
  j["count"] = l.count;
  json b = json::object();
  for (int i = 0; i < k_lifetime_buckets; ++i) {
    b[lifetime_bucket_label(i)] = l.buckets[static_cast<std::size_t>(i)];
  }
  j["buckets"] = b;
  j["max_ns"] = l.max_ns;
  j["mean_ns"] = l.count != 0 ? l.sum_ns / l.count : 0;
  return j;
}

json
device_json(const DeviceStats& d, const Annotator& a)
{
  json j;
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
  j["driver"] = info.driver.empty() ? json(nullptr) : json(info.driver);
  const int group = info.iommu_group >= 0 ? info.iommu_group : d.iommu_group;
  j["iommu_group"] = group >= 0 ? json(group) : json(nullptr);
  j["errors"] = d.errors;
  j["syncs"] = d.syncs;
  j["coherent_count"] = d.coherent_count;
  j["coherent_bytes"] = d.coherent_bytes;
  j["streaming_count"] = d.outstanding_count - d.coherent_count;
  j["streaming_bytes"] = d.outstanding_bytes - d.coherent_bytes;
  json by_dir = json::object();
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

json
unmatched_json(const Unmatched& u, const Annotator& a)
{
  json j;
  j["device"] = u.device;
  // dma_unmap_sg carries no DMA address; its first physical entry stands in (phys_addr).
  j["dma_addr"] = u.sg ? json(nullptr) : json(hex0x(u.dma_addr));
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

bool
is_active(const DeviceStats& d)
{
  return d.maps + d.unmaps + d.allocs + d.frees + d.bounces + d.faults + d.errors + d.syncs +
           d.outstanding_count != 0;
}

} // namespace

std::string
driver_text(const DeviceInfo& info)
{
  return !info.driver.empty() ? info.driver : info.known ? std::string("-") : std::string("?");
}

json
summary_to_json(const Summary& s, const Annotator& a)
{
  json j = render::json_document();
  j["type"] = "summary";
  j["events"] = s.events;
  j["lost_events"] = s.lost_events;
  j["first_ts"] = seconds(s.first_ts_ns);
  j["last_ts"] = seconds(s.last_ts_ns);
  json devs = json::array();
  for (const auto& d : s.devices) {
    if (is_active(d)) {
      devs.push_back(device_json(d, a));
    }
  }
  j["devices"] = devs;
  const std::uint64_t now = now_of(s, a);
  json out = json::array();
  for (const auto& m : s.outstanding) {
    json o;
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
  json un = json::array();
  for (const auto& u : s.unmatched_unmaps) {
    un.push_back(unmatched_json(u, a));
  }
  j["unmatched_unmaps"] = un;
  json uf = json::array();
  for (const auto& u : s.unmatched_frees) {
    uf.push_back(unmatched_json(u, a));
  }
  j["unmatched_frees"] = uf;
  json faults = json::array();
  for (const auto& f : s.faults) {
    json o;
    o["device"] = f.device;
    o["driver"] = f.driver;
    o["iova"] = hex0x(f.iova);
    o["write"] = (f.flags & 1) != 0;
    o["flags"] = f.flags;
    o["ts"] = seconds(f.ts_ns);
    const DeviceInfo info = info_of(a, f.device);
    o["reserved_region"] = nullptr;
    if (info.iommu_group >= 0 && a.reserved) {
      for (const auto& r : a.reserved(info.iommu_group)) {
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
                    std::ostream& out)
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
    out << '\n'
        << fmt::format("{:<{}}  {:<10} {:>5} {:>7} {:>7} {:>7} {:>7} {:>12} {:>8} {:>7} {:>6}\n",
                       "DEVICE", w, "DRIVER", "GROUP", "MAPS", "UNMAPS", "ALLOCS", "FREES",
                       "OUTSTANDING", "LARGEST", "BOUNCES", "FAULTS");
    for (const auto* d : devs) {
      const DeviceInfo info = info_of(a, d->device);
      const int group = info.iommu_group >= 0 ? info.iommu_group : d->iommu_group;
      out << fmt::format(
        "{:<{}}  {:<10} {:>5} {:>7} {:>7} {:>7} {:>7} {:>12} {:>8} {:>7} {:>6}\n", d->device, w,
        driver_text(info), group >= 0 ? std::to_string(group) : "-",
        d->maps, d->unmaps, d->allocs, d->frees,
        fmt::format("{}/{}", d->outstanding_count, human_size(d->outstanding_bytes)),
        human_size(d->largest), counter_text(a, k_bounce_event, d->bounces),
        counter_text(a, k_fault_event, d->faults));
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
    if (info.iommu_group >= 0 && a.reserved) {
      for (const auto& r : a.reserved(info.iommu_group)) {
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

json
event_to_json(const DmaEvent& ev)
{
  json j = render::json_document();
  j["type"] = "event";
  j["ts"] = seconds(ev.ts_ns);
  j["cpu"] = ev.cpu;
  j["pid"] = ev.pid;
  if (!ev.comm.empty()) {
    j["comm"] = ev.comm;
  }
  j["system"] = std::string(event_system(ev.type));
  j["event"] = std::string(event_name(ev.type));
  if (!ev.device.empty()) {
    j["device"] = ev.device;
  }
  const EventClass cls = event_class(ev.type);
  auto list = [](const std::vector<std::uint64_t>& v) {
    json a = json::array();
    for (auto x : v) {
      a.push_back(hex0x(x));
    }
    return a;
  };
  switch (cls) {
  case EventClass::iommu_map:
  case EventClass::iommu_unmap:
    j["iova"] = hex0x(ev.iova);
    j["size"] = ev.size;
    if (cls == EventClass::iommu_map) {
      j["phys_addr"] = hex0x(ev.phys_addr);
    } else {
      j["unmapped_size"] = ev.unmapped_size;
    }
    return j;
  case EventClass::fault:
    j["driver"] = ev.driver;
    j["iova"] = hex0x(ev.iova);
    j["flags"] = ev.flags;
    j["write"] = (ev.flags & 1) != 0;
    return j;
  case EventClass::group:
    if (ev.group >= 0) {
      j["group"] = ev.group;
    }
    return j;
  case EventClass::bounce:
    j["dma_addr"] = hex0x(ev.dma_addr);
    j["dma_mask"] = hex0x(ev.dma_mask);
    j["size"] = ev.size;
    j["force"] = ev.force;
    return j;
  default:
    break;
  }
  j["dir"] = std::string(to_string(ev.dir));
  const bool sg_like = !ev.phys_addrs.empty() || !ev.dma_addrs.empty() || cls == EventClass::map_sg ||
                       cls == EventClass::unmap_sg;
  if (cls == EventClass::map_sg || cls == EventClass::unmap_sg ||
      ev.type == EventType::dma_sync_sg_for_cpu || ev.type == EventType::dma_sync_sg_for_device ||
      ev.type == EventType::dma_map_sg_err) {
    j["phys_addrs"] = list(ev.phys_addrs);
    if (cls != EventClass::unmap_sg) {
      j["dma_addrs"] = list(ev.dma_addrs);
      j["sizes"] = ev.sizes;
    }
    if (ev.full_nents >= 0) {
      j["full_nents"] = ev.full_nents;
      j["full_ents"] = ev.full_ents;
    }
    if (cls == EventClass::map_sg) {
      j["truncated"] = ev.truncated;
      std::uint64_t total = 0;
      for (auto x : ev.sizes) {
        total += x;
      }
      j["size"] = total;
      if (!ev.dma_addrs.empty()) {
        j["dma_addr"] = hex0x(ev.dma_addrs.front());
      }
    }
    if (ev.type == EventType::dma_map_sg_err) {
      j["err"] = ev.err;
    }
  } else {
    j["dma_addr"] = hex0x(ev.dma_addr);
    j["size"] = ev.size;
    if (ev.has_phys) {
      j["phys_addr"] = hex0x(ev.phys_addr);
      j["translated"] = ev.phys_addr != ev.dma_addr;
    }
    if (sg_like) {
      j["phys_addrs"] = list(ev.phys_addrs);
    }
    if (!ev.gfp.empty()) {
      j["gfp"] = ev.gfp;
    }
  }
  j["attrs"] = attrs_to_string(ev.attrs);
  return j;
}

std::string
event_to_text(const DmaEvent& ev)
{
  std::string s = fmt::format("{:>17} [{:03}] {:<22} ", seconds(ev.ts_ns), ev.cpu < 0 ? 0 : ev.cpu,
                              event_name(ev.type));
  const EventClass cls = event_class(ev.type);
  switch (cls) {
  case EventClass::iommu_map:
    return s + fmt::format("iova {} size {} -> phys {}", hex0x(ev.iova), ev.size,
                           hex0x(ev.phys_addr));
  case EventClass::iommu_unmap:
    return s + fmt::format("iova {} size {} unmapped {}", hex0x(ev.iova), ev.size,
                           ev.unmapped_size);
  case EventClass::fault:
    return s + fmt::format("{} ({}) iova {} {}", ev.device, ev.driver, hex0x(ev.iova),
                           (ev.flags & 1) != 0 ? "write" : "read");
  case EventClass::group:
    return s + ev.device + (ev.group >= 0 ? fmt::format(" group {}", ev.group) : "");
  case EventClass::bounce:
    return s + fmt::format("{} orig {} size {}{}", ev.device, hex0x(ev.dma_addr), ev.size,
                           ev.force ? " FORCE" : "");
  default:
    break;
  }
  s += fmt::format("{} {}", ev.device, to_string(ev.dir));
  if (cls == EventClass::map_sg || cls == EventClass::unmap_sg ||
      ev.type == EventType::dma_map_sg_err || ev.type == EventType::dma_sync_sg_for_cpu ||
      ev.type == EventType::dma_sync_sg_for_device) {
    std::uint64_t total = 0;
    for (auto x : ev.sizes) {
      total += x;
    }
    s += fmt::format(" nents {}", ev.phys_addrs.size());
    if (!ev.dma_addrs.empty()) {
      s += fmt::format(" dma {} ({} segs, {})", hex0x(ev.dma_addrs.front()), ev.dma_addrs.size(),
                       human_size(total));
    }
    if (!ev.phys_addrs.empty()) {
      s += fmt::format(" phys {}", hex0x(ev.phys_addrs.front()));
    }
    if (ev.truncated) {
      s += fmt::format(" [truncated, {} entries]", ev.full_nents);
    }
  } else {
    s += fmt::format(" dma {} size {}", hex0x(ev.dma_addr), ev.size);
    if (ev.has_phys) {
      s += fmt::format(" phys {}{}", hex0x(ev.phys_addr),
                       ev.phys_addr == ev.dma_addr ? " (untranslated)" : "");
    }
  }
  if (ev.attrs != 0) {
    s += " " + attrs_to_string(ev.attrs);
  }
  return s;
}

namespace {

struct Rates {
  double maps = 0;
  double unmaps = 0;
  std::array<double, 4> bytes{};
  std::uint64_t bounces = 0;
  std::uint64_t faults = 0;
};

Rates
rates(const DeviceStats& cur, const DeviceStats* prev, double secs)
{
  Rates r;
  const double s = secs > 0 ? secs : 1;
  auto d = [&](std::uint64_t c, std::uint64_t p) { return static_cast<double>(c - p) / s; };
  r.maps = d(cur.maps + cur.allocs, prev ? prev->maps + prev->allocs : 0);
  r.unmaps = d(cur.unmaps + cur.frees, prev ? prev->unmaps + prev->frees : 0);
  for (std::size_t i = 0; i < 4; ++i) {
    r.bytes[i] = d(cur.mapped_bytes[i], prev ? prev->mapped_bytes[i] : 0);
  }
  r.bounces = cur.bounces - (prev ? prev->bounces : 0);
  r.faults = cur.faults - (prev ? prev->faults : 0);
  return r;
}

const DeviceStats*
find_prev(const IntervalView& v, const std::string& dev)
{
  if (v.prev == nullptr) {
    return nullptr;
  }
  auto it = std::lower_bound(v.prev->begin(), v.prev->end(), dev,
                             [](const DeviceStats& d, const std::string& k) { return d.device < k; });
  return it != v.prev->end() && it->device == dev ? &*it : nullptr;
}

std::string
rate_size(double bytes_per_s)
{
  return human_size(static_cast<std::uint64_t>(bytes_per_s)) + "/s";
}

} // namespace

json
interval_to_json(const IntervalView& v, const Annotator& a)
{
  json j = render::json_document();
  j["type"] = "interval";
  j["t"] = v.t;
  j["seconds"] = v.seconds;
  j["events"] = v.events;
  j["events_delta"] = v.events_delta;
  j["lost_events"] = v.lost;
  json devs = json::array();
  if (v.cur != nullptr) {
    for (const auto& d : *v.cur) {
      if (!is_active(d)) {
        continue;
      }
      const Rates r = rates(d, find_prev(v, d.device), v.seconds);
      json o = device_json(d, a);
      o.erase("lifetimes");
      o["maps_per_s"] = r.maps;
      o["unmaps_per_s"] = r.unmaps;
      json b = json::object();
      for (int i = 0; i < 4; ++i) {
        b[std::string(to_string(static_cast<DmaDir>(i)))] = r.bytes[static_cast<std::size_t>(i)];
      }
      o["bytes_per_s"] = b;
      o["bounces_delta"] = counter(a, k_bounce_event, r.bounces);
      o["faults_delta"] = counter(a, k_fault_event, r.faults);
      devs.push_back(o);
    }
  }
  j["devices"] = devs;
  return j;
}

void
render_interval_lines(const IntervalView& v, const Annotator& a, std::ostream& out)
{
  out << fmt::format("t={:.1f}s events={} (+{})", v.t, v.events, v.events_delta);
  if (v.lost != 0) {
    out << " lost=" << v.lost;
  }
  out << '\n';
  if (v.cur == nullptr) {
    return;
  }
  for (const auto& d : *v.cur) {
    if (!is_active(d)) {
      continue;
    }
    const DeviceStats* p = find_prev(v, d.device);
    const Rates r = rates(d, p, v.seconds);
    const DeviceInfo info = info_of(a, d.device);
    out << fmt::format(
      "  {} {} outstanding={} bytes={} maps/s={:.0f} unmaps/s={:.0f} to_dev={} from_dev={} "
      "bidir={} bounces=+{} faults=+{}\n",
      d.device, driver_text(info), d.outstanding_count,
      d.outstanding_bytes, r.maps, r.unmaps, rate_size(r.bytes[1]), rate_size(r.bytes[2]),
      rate_size(r.bytes[0]), counter_text(a, k_bounce_event, r.bounces),
      counter_text(a, k_fault_event, r.faults));
  }
}

void
render_live_screen(const IntervalView& v, const Annotator& a, const std::string& header,
                   const render::Style& style, int rows, std::ostream& out)
{
  render::write_control(out, "\x1b[H\x1b[2J");  // home, clear screen
  out << style.paint(header, render::Color::bold) << '\n';
  out << fmt::format("t={:.0f}s  events {} (+{} in {:.1f}s)", v.t, v.events, v.events_delta,
                     v.seconds);
  if (v.lost != 0) {
    out << "  " << style.paint(fmt::format("lost {}", v.lost), render::Color::yellow);
  }
  out << "\n\n";
  std::vector<const DeviceStats*> devs;
  if (v.cur != nullptr) {
    for (const auto& d : *v.cur) {
      if (is_active(d)) {
        devs.push_back(&d);
      }
    }
  }
  std::sort(devs.begin(), devs.end(), [](const DeviceStats* x, const DeviceStats* y) {
    if (x->outstanding_bytes != y->outstanding_bytes) {
      return x->outstanding_bytes > y->outstanding_bytes;
    }
    return x->device < y->device;
  });
  out << style.paint(fmt::format("{:<24} {:<10} {:>5} {:>7} {:>9} {:>8} {:>8} {:>10} {:>10} "
                                 "{:>10} {:>8} {:>6} {:>6}",
                                 "DEVICE", "DRIVER", "GROUP", "OUT", "OUT BYTES", "MAPS/s",
                                 "UNMAPS/s", "TO_DEV/s", "FROM_DEV/s", "BIDIR/s", "LARGEST",
                                 "BOUNCE", "FAULT"),
                     render::Color::dim)
    << '\n';
  int shown = 0;
  for (const auto* d : devs) {
    if (rows > 0 && shown >= rows - 6) {
      out << fmt::format("... {} more devices\n", devs.size() - static_cast<std::size_t>(shown));
      break;
    }
    const Rates r = rates(*d, find_prev(v, d->device), v.seconds);
    const DeviceInfo info = info_of(a, d->device);
    const int group = info.iommu_group >= 0 ? info.iommu_group : d->iommu_group;
    out << fmt::format("{:<24} {:<10} {:>5} {:>7} {:>9} {:>8.0f} {:>8.0f} {:>10} {:>10} {:>10} "
                       "{:>8} {:>6} {:>6}\n",
                       d->device, driver_text(info).substr(0, 10),
                       group >= 0 ? std::to_string(group) : "-", d->outstanding_count,
                       human_size(d->outstanding_bytes), r.maps, r.unmaps, rate_size(r.bytes[1]),
                       rate_size(r.bytes[2]), rate_size(r.bytes[0]), human_size(d->largest),
                       counter_text(a, k_bounce_event, d->bounces),
                       counter_text(a, k_fault_event, d->faults));
    ++shown;
  }
  if (devs.empty()) {
    out << "(no DMA-API activity traced yet)\n";
  }
  out.flush();
}

} // namespace memmap::trace
