// CONFIG_DMA_API_DEBUG: /sys/kernel/debug/dma-api/dump (one line per live mapping) and its
// counters (error_count, num_free_entries, ...). Formats in kernel-interfaces.md §7.6.
// Pure: the caller reads the files (machine/trace_session); render/trace.hpp writes the report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <map>

#include <memmap/trace/event.hpp>

namespace memmap::trace {

struct DebugEntry {
  std::string driver;
  std::string device;
  std::string type;          // single, scatter-gather (older: scather-gather), coherent,
                             // resource, noncoherent, phy
  int bucket = 0;            // idx: hash bucket
  std::uint64_t phys = 0;    // P=
  std::uint64_t dma = 0;     // D=
  std::uint64_t length = 0;  // L= (hex in the file)
  DmaDir dir = DmaDir::bidirectional;
  std::string map_error;     // "dma map error checked" / "... not checked" / "... not applicable"
  std::uint64_t attrs = 0;   // newest kernels: attrs=0x..
  int line = 0;
};

struct DebugCounters {
  std::optional<std::uint64_t> error_count;
  std::optional<std::uint64_t> num_errors;
  std::optional<std::uint64_t> num_free_entries;
  std::optional<std::uint64_t> min_free_entries;
  std::optional<std::uint64_t> nr_total_entries;
  std::optional<bool> disabled;
  // "" when every driver is checked; nullopt when the file could not be read.
  std::optional<std::string> driver_filter;
};

// Parse the dump; throws InputError("DISPLAY:LINE: reason") on a line that is not a dump line.
std::vector<DebugEntry> parse_dma_debug_dump(std::string_view text, const std::string& display);

// One device's outstanding mappings in the dump.
struct DebugTotals {
  std::string driver;
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_type;  // count, bytes
  std::uint64_t unchecked = 0;     // "dma map error not checked"
  std::uint64_t untranslated = 0;  // phys == dma
};

// What memmap trace --dma-debug shows: the dump, its counters and the per-device totals.
struct DebugReport {
  std::vector<DebugEntry> entries;
  DebugCounters counters;
  std::map<std::string, DebugTotals> devices;  // by device name
};

DebugReport make_debug_report(std::vector<DebugEntry> entries, DebugCounters counters);

} // namespace memmap::trace
