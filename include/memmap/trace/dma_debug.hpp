// CONFIG_DMA_API_DEBUG: /sys/kernel/debug/dma-api/dump (one line per live mapping) and its
// counters (error_count, num_free_entries, ...). Formats in kernel-interfaces.md §7.6.
// Pure: the caller reads the files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <memmap/render/format.hpp>
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

nlohmann::ordered_json dma_debug_to_json(const std::vector<DebugEntry>& entries, const DebugCounters& c);
void render_dma_debug_text(const std::vector<DebugEntry>& entries, const DebugCounters& c,
                           const render::Style& style, std::ostream& out);

} // namespace memmap::trace
