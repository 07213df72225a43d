// Output of `memmap trace`: the final summary (text and the JSON contract of memmap(8)),
// one line per decoded event (--events), the periodic lines, the live terminal view and the
// CONFIG_DMA_API_DEBUG report. Renderers write to a passed stream and never read files: what
// they know about devices and physical addresses comes from a trace::Annotator filled by
// machine/trace_session. JSON goes through render/json.hpp.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <memmap/render/fields.hpp>
#include <memmap/render/format.hpp>
#include <memmap/render/json.hpp>
#include <memmap/trace/dma_debug.hpp>
#include <memmap/trace/event.hpp>
#include <memmap/trace/report.hpp>
#include <memmap/trace/tracker.hpp>

namespace memmap::render {

// "nvme", "-" (sysfs read: no driver bound) or "?" (no sysfs to say).
std::string driver_text(const trace::DeviceInfo& info);

// The final summary as JSON (contract: events, devices[], outstanding[], unmatched_unmaps[];
// the rest are documented extras). "type":"summary".
Json summary_to_json(const trace::Summary& s, const trace::Annotator& a);
// `cols` from -o: the per-device table as those columns (trace_devices_table()); the rest of
// the summary is unchanged.
void render_summary_text(const trace::Summary& s, const trace::Annotator& a, const Style& style,
                         std::ostream& out, const Columns& cols = {});

// The columns of the summary's per-device rows ("devices" of the summary JSON), in
// trace_devices_table()'s order (render/trace_columns.cpp).
enum class TraceDeviceCol {
  device, driver, group, maps, unmaps, allocs, frees, outstanding, outstanding_count,
  outstanding_bytes, largest, bounces, bounce_bytes, faults, errors, syncs, streaming_count,
  streaming_bytes, coherent_count, coherent_bytes, mapped, translated, untranslated,
  unmatched_unmaps, double_unmaps, unmatched_frees, remaps, map_failures, alloc_failures,
  lifetimes
};
const Table& trace_devices_table();
// The devices (in the order given) as a table of `cols`.
void render_trace_devices_table(const std::vector<const trace::DeviceStats*>& devs,
                                const trace::Annotator& a, const Columns& cols,
                                std::ostream& out);

// One decoded event.
Json event_to_json(const trace::DmaEvent& ev);
std::string event_to_text(const trace::DmaEvent& ev);

Json interval_to_json(const trace::IntervalView& v, const trace::Annotator& a);
// Plain periodic lines (not a terminal): one "t=..." line, then one line per active device.
void render_interval_lines(const trace::IntervalView& v, const trace::Annotator& a,
                           std::ostream& out);
// The live view on a terminal: clears the screen and draws the per-device table, sorted by
// bytes outstanding. `header` is the first line (what is traced, how to stop).
void render_live_screen(const trace::IntervalView& v, const trace::Annotator& a,
                        const std::string& header, const Style& style, int rows,
                        std::ostream& out);

// CONFIG_DMA_API_DEBUG's live mappings and counters (memmap trace --dma-debug).
Json dma_debug_to_json(const trace::DebugReport& r);
void render_dma_debug_text(const trace::DebugReport& r, const Style& style, std::ostream& out);

} // namespace memmap::render
