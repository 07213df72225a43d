// memmap trace -o: the summary's per-device table as columns (the registry is
// trace_devices_table(); its json_keys are the keys of the summary's "devices" objects).
#include "trace_common.hpp"

#include <memmap/util/text.hpp>

#include <ostream>

namespace memmap::render {

using namespace memmap::trace;
using namespace trace_detail;

const Table&
trace_devices_table()
{
  using A = Align;
  using T = FieldType;
  static const Table t = {
    "trace",
    "devices",
    {
      {"DEVICE", "DEVICE", "device", T::string, A::left, "the device's dev_name (a BDF for PCI)"},
      {"DRIVER", "DRIVER", "driver", T::string, A::left,
       "its driver from sysfs: - none bound, ? no sysfs to say"},
      {"GROUP", "GROUP", "iommu_group", T::count, A::right, "its IOMMU group, - for none"},
      {"MAPS", "MAPS", "maps", T::count, A::right, "single and sg maps"},
      {"UNMAPS", "UNMAPS", "unmaps", T::count, A::right, "single and sg unmaps, matched or not"},
      {"ALLOCS", "ALLOCS", "allocs", T::count, A::right, "coherent allocations"},
      {"FREES", "FREES", "frees", T::count, A::right, "coherent frees"},
      {"OUTSTANDING", "OUTSTANDING", "", T::string, A::right,
       "mappings still live at the end, as COUNT/SIZE"},
      {"OUT-COUNT", "OUT-COUNT", "outstanding_count", T::count, A::right,
       "how many mappings are still live"},
      {"OUT-BYTES", "OUT-BYTES", "outstanding_bytes", T::size, A::right,
       "their bytes, with binary units"},
      {"LARGEST", "LARGEST", "largest", T::size, A::right, "the largest mapping or allocation"},
      {"BOUNCES", "BOUNCES", "bounces", T::count, A::right,
       "swiotlb bounces; ? when swiotlb_bounced was not traced"},
      {"BOUNCE-BYTES", "BOUNCE-BYTES", "bounce_bytes", T::size, A::right,
       "bytes bounced; ? when swiotlb_bounced was not traced"},
      {"FAULTS", "FAULTS", "faults", T::count, A::right,
       "IOMMU faults; ? when io_page_fault was not traced"},
      {"ERRORS", "ERRORS", "errors", T::count, A::right, "dma_map_sg_err and dma_alloc_sgt_err"},
      {"SYNCS", "SYNCS", "syncs", T::count, A::right, "dma_sync_* calls"},
      {"STREAMING", "STREAMING", "streaming_count", T::count, A::right,
       "live streaming mappings"},
      {"STREAMING-BYTES", "STREAMING-BYTES", "streaming_bytes", T::size, A::right,
       "their bytes"},
      {"COHERENT", "COHERENT", "coherent_count", T::count, A::right, "live coherent allocations"},
      {"COHERENT-BYTES", "COHERENT-BYTES", "coherent_bytes", T::size, A::right, "their bytes"},
      {"MAPPED", "MAPPED", "mapped_bytes", T::list, A::left,
       "bytes mapped or allocated per direction, as DIR:SIZE; - for none"},
      {"TRANSLATED", "TRANSLATED", "translated", T::count, A::right,
       "maps whose DMA address differs from the physical one (IOMMU)"},
      {"UNTRANSLATED", "UNTRANSLATED", "untranslated", T::count, A::right,
       "maps whose DMA address is the physical one"},
      {"UNMATCHED", "UNMATCHED", "unmatched_unmaps", T::count, A::right,
       "unmaps of no mapping this trace saw"},
      {"DOUBLE", "DOUBLE", "double_unmaps", T::count, A::right,
       "of those, unmaps of a mapping already unmapped"},
      {"UNMATCHED-FREES", "UNMATCHED-FREES", "unmatched_frees", T::count, A::right,
       "frees of no allocation this trace saw"},
      {"REMAPS", "REMAPS", "remaps", T::count, A::right,
       "maps of a DMA address that was still mapped"},
      {"MAP-FAILS", "MAP-FAILS", "map_failures", T::count, A::right, "failed maps"},
      {"ALLOC-FAILS", "ALLOC-FAILS", "alloc_failures", T::count, A::right,
       "failed allocations"},
      {"LIFETIMES", "LIFETIMES", "lifetimes", T::string, A::left,
       "streaming map-to-unmap times: n=N p50 P p99 P max D; - for none"},
    },
    {"DEVICE", "DRIVER", "GROUP", "MAPS", "UNMAPS", "ALLOCS", "FREES", "OUTSTANDING", "LARGEST",
     "BOUNCES", "FAULTS"},
    "",
  };
  return t;
}

namespace {

std::string
mapped_text(const DeviceStats& d)
{
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < d.mapped_bytes.size(); ++i) {
    if (d.mapped_bytes[i] != 0) {
      parts.push_back(fmt::format("{}:{}", to_string(static_cast<DmaDir>(i)),
                                  human_size(d.mapped_bytes[i])));
    }
  }
  return parts.empty() ? "-" : util::join(parts, ",");
}

std::string
cell(TraceDeviceCol c, const DeviceStats& d, const Annotator& a)
{
  using C = TraceDeviceCol;
  switch (c) {
  case C::device: return d.device;
  case C::driver: return driver_text(info_of(a, d.device));
  case C::group: {
    const int group = group_of(a, d);
    return group >= 0 ? std::to_string(group) : "-";
  }
  case C::maps: return std::to_string(d.maps);
  case C::unmaps: return std::to_string(d.unmaps);
  case C::allocs: return std::to_string(d.allocs);
  case C::frees: return std::to_string(d.frees);
  case C::outstanding:
    return fmt::format("{}/{}", d.outstanding_count, human_size(d.outstanding_bytes));
  case C::outstanding_count: return std::to_string(d.outstanding_count);
  case C::outstanding_bytes: return human_size(d.outstanding_bytes);
  case C::largest: return human_size(d.largest);
  case C::bounces: return counter_text(a, k_bounce_event, d.bounces);
  case C::bounce_bytes:
    return a.untraced.count(k_bounce_event) ? "?" : human_size(d.bounce_bytes);
  case C::faults: return counter_text(a, k_fault_event, d.faults);
  case C::errors: return std::to_string(d.errors);
  case C::syncs: return std::to_string(d.syncs);
  case C::streaming_count: return std::to_string(d.streaming_count());
  case C::streaming_bytes: return human_size(d.streaming_bytes());
  case C::coherent_count: return std::to_string(d.coherent_count);
  case C::coherent_bytes: return human_size(d.coherent_bytes);
  case C::mapped: return mapped_text(d);
  case C::translated: return std::to_string(d.translated);
  case C::untranslated: return std::to_string(d.untranslated);
  case C::unmatched_unmaps: return std::to_string(d.unmatched_unmaps);
  case C::double_unmaps: return std::to_string(d.double_unmaps);
  case C::unmatched_frees: return std::to_string(d.unmatched_frees);
  case C::remaps: return std::to_string(d.remaps);
  case C::map_failures: return std::to_string(d.map_failures);
  case C::alloc_failures: return std::to_string(d.alloc_failures);
  case C::lifetimes: {
    const Lifetimes& l = d.lifetimes;
    return l.count == 0 ? "-"
                        : fmt::format("n={} p50 {} p99 {} max {}", l.count,
                                      l.quantile_label(0.5), l.quantile_label(0.99),
                                      duration(l.max_ns));
  }
  }
  return "?";
}

} // namespace

void
render_trace_devices_table(const std::vector<const DeviceStats*>& devs, const Annotator& a,
                           const Columns& cols, std::ostream& out)
{
  std::vector<TableRow> rows;
  for (const auto* d : devs) {
    rows.push_back(
      table_row<TraceDeviceCol>(cols, [&](TraceDeviceCol c) { return cell(c, *d, a); }));
  }
  render_table(trace_devices_table(), cols, rows, out);
}

} // namespace memmap::render
