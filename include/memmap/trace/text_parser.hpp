// Saved text traces -> DmaEvents: the tracefs `trace` file, `trace_pipe` output and
// `trace-cmd report` output (trace-cmd 3.1 to 3.3, libtraceevent 1.7 `[FAILED TO PARSE]`
// raw lines and 1.8 kernel-like lines). Every form is in docs/trace-formats.md.
// Pure: the stream reader only reads the file descriptor it is given.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <memmap/trace/event.hpp>

namespace memmap::trace {

enum class LineKind {
  event,      // a counted dma/iommu/swiotlb event; `ev` is filled
  lost,       // "CPU:n [LOST n EVENTS]" / "CPU:n [n EVENTS DROPPED]"; `lost` is set
  record,     // an event line of another subsystem (sched_switch, dma_fence_*...)
  other,      // header, comment, blank, "cpus=N", "##### CPU n buffer started ####"
  malformed,  // a counted event whose text could not be decoded; `error` says why
};

struct LineResult {
  LineKind kind = LineKind::other;
  std::uint64_t lost = 0;
  std::string error;
};

// Decode one line (without its newline). `ev` is reset and filled for LineKind::event.
LineResult parse_trace_line(std::string_view line, DmaEvent& ev);

struct TextStats {
  std::uint64_t lines = 0;
  std::uint64_t records = 0;    // event lines of any subsystem
  std::uint64_t events = 0;     // counted events passed to the sink
  std::uint64_t lost = 0;
  std::uint64_t malformed = 0;
  std::vector<std::string> first_errors;  // "FILE:LINE: reason", at most 10
};

struct EventSink {
  std::function<void(const DmaEvent&)> event;
  std::function<void(std::uint64_t)> lost;  // may be empty
};

// Read a whole text trace from `fd` (a file or a pipe; read in large blocks), calling the
// sink for each event in file order. `display` names the input in error messages.
// Stops early when `stop` returns true (checked between blocks; may be empty).
TextStats read_text_trace(int fd, const std::string& display, const EventSink& sink,
                          const std::function<bool()>& stop = {});

// Same, on text already in memory (used by tests and by the first block of a stream
// sniffed for its format).
TextStats read_text_trace(std::string_view text, const std::string& display,
                          const EventSink& sink);

} // namespace memmap::trace
