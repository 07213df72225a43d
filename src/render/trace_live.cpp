// memmap trace's periodic output: interval JSON lines, plain interval lines and the live
// terminal view.
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

Json
interval_to_json(const IntervalView& v, const Annotator& a)
{
  Json j = render::json_document();
  j["type"] = "interval";
  j["t"] = v.t;
  j["seconds"] = v.seconds;
  j["events"] = v.events;
  j["events_delta"] = v.events_delta;
  j["lost_events"] = v.lost;
  Json devs = Json::array();
  if (v.cur != nullptr) {
    for (const auto& d : *v.cur) {
      if (!is_active(d)) {
        continue;
      }
      const Rates r = rates(d, find_prev(v, d.device), v.seconds);
      Json o = device_json(d, a);
      o.erase("lifetimes");
      o["maps_per_s"] = r.maps;
      o["unmaps_per_s"] = r.unmaps;
      Json b = Json::object();
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
    const int group = group_of(a, *d);
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

} // namespace memmap::render
