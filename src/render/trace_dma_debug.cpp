// memmap trace --dma-debug: CONFIG_DMA_API_DEBUG's live mappings and counters, as JSON and
// as text, from one trace::DebugReport.
#include <memmap/render/trace.hpp>

#include <ostream>

#include <fmt/format.h>

namespace memmap::render {

using namespace memmap::trace;

Json
dma_debug_to_json(const DebugReport& r)
{
  const DebugCounters& c = r.counters;
  Json j = json_document();
  j["type"] = "dma_debug";
  auto opt = [](const std::optional<std::uint64_t>& v) { return v ? Json(*v) : Json(nullptr); };
  j["error_count"] = opt(c.error_count);
  j["num_errors"] = opt(c.num_errors);
  j["num_free_entries"] = opt(c.num_free_entries);
  j["min_free_entries"] = opt(c.min_free_entries);
  j["nr_total_entries"] = opt(c.nr_total_entries);
  j["disabled"] = c.disabled ? Json(*c.disabled) : Json(nullptr);
  j["driver_filter"] = c.driver_filter ? Json(*c.driver_filter) : Json(nullptr);
  Json devs = Json::array();
  for (const auto& [dev, t] : r.devices) {
    Json types = Json::object();
    for (const auto& [type, cb] : t.by_type) {
      types[type] = {{"count", cb.first}, {"bytes", cb.second}};
    }
    devs.push_back({{"device", dev},
                    {"driver", t.driver},
                    {"outstanding_count", t.count},
                    {"outstanding_bytes", t.bytes},
                    {"by_type", types},
                    {"error_not_checked", t.unchecked},
                    {"untranslated", t.untranslated}});
  }
  j["devices"] = devs;
  Json list = Json::array();
  for (const auto& e : r.entries) {
    list.push_back({{"device", e.device},
                    {"driver", e.driver},
                    {"kind", e.type},
                    {"phys_addr", hex0x(e.phys)},
                    {"dma_addr", hex0x(e.dma)},
                    {"size", e.length},
                    {"dir", std::string(to_string(e.dir))},
                    {"translated", e.phys != e.dma},
                    {"map_error", e.map_error}});
  }
  j["entries"] = list;
  return j;
}

void
render_dma_debug_text(const DebugReport& r, const Style& style, std::ostream& out)
{
  const DebugCounters& c = r.counters;
  out << style.paint("DMA-API debug (CONFIG_DMA_API_DEBUG)", Color::bold) << ": "
      << r.entries.size() << " active mappings";
  if (c.error_count) {
    out << ", " << style.paint(fmt::format("error_count {}", *c.error_count),
                               *c.error_count != 0 ? Color::red : Color::green);
  }
  if (c.num_free_entries && c.nr_total_entries) {
    out << fmt::format(", {} of {} tracking entries free", *c.num_free_entries, *c.nr_total_entries);
    if (c.min_free_entries) {
      out << fmt::format(" (minimum {})", *c.min_free_entries);
    }
  }
  out << '\n';
  if (c.disabled && *c.disabled) {
    out << style.paint("dma-debug is disabled (dma_debug=off or it ran out of entries): the "
                       "dump is incomplete",
                       Color::yellow)
        << '\n';
  }
  if (!c.driver_filter) {
    out << "driver_filter: ? (not read): whether every driver is checked is unknown\n";
  } else if (!c.driver_filter->empty()) {
    out << "driver_filter: only " << *c.driver_filter << " is checked\n";
  }
  const auto t = r.devices;
  if (t.empty()) {
    return;
  }
  out << '\n'
      << fmt::format("{:<24} {:<12} {:>7} {:>9} {:>9}  {}\n", "DEVICE", "DRIVER", "COUNT",
                     "BYTES", "UNCHECKED", "BY TYPE");
  for (const auto& [dev, d] : t) {
    std::string types;
    for (const auto& [type, cb] : d.by_type) {
      types += fmt::format("{}{} {}/{}", types.empty() ? "" : ", ", type, cb.first,
                           human_size(cb.second));
    }
    out << fmt::format("{:<24} {:<12} {:>7} {:>9} {:>9}  {}\n", dev, d.driver, d.count,
                       human_size(d.bytes), d.unchecked, types);
  }
}

} // namespace memmap::render
