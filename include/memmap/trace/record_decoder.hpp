// Binary trace records -> DmaEvents with libtraceevent. Field offsets, sizes and dynamic
// array locations come from the kernel's own `format` files (parsed by libtraceevent);
// only field *names* are known here, with their historical alternatives (addr/dma_addr,
// addrs/phys_addrs, lengths/sizes...). Used for live per-CPU raw buffers, for trace-cmd
// trace.dat files (libtracecmd) and, in tests, with the corpus format files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <memmap/source/tracefs.hpp>
#include <memmap/trace/event.hpp>
#include <memmap/trace/text_parser.hpp>  // EventSink

struct tep_handle;
struct tep_event;
struct tep_record;

namespace memmap::trace {

class RecordDecoder {
public:
  explicit RecordDecoder(tep_handle* tep);  // not owned; must outlive the decoder
  ~RecordDecoder();
  RecordDecoder(const RecordDecoder&) = delete;
  RecordDecoder& operator=(const RecordDecoder&) = delete;

  // Decode a record of `event` into `ev`. False when the record is not one of the counted
  // dma/iommu/swiotlb events (or is too short for its format).
  bool decode(tep_event* event, tep_record* record, DmaEvent& ev);
  // Same, looking the event up by the record's type id.
  bool decode(tep_record* record, DmaEvent& ev);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// A libtraceevent handle loaded from a directory laid out like tracefs `events/`:
// DIR/header_page and DIR/<system>/<event>/format (a live /sys/kernel/tracing/events, or
// the corpus `formats/6.18/` layout). Both loaders throw SourceError if DIR has no
// header_page and InputError if libtraceevent cannot parse it. The files are read through
// source/tracefs.hpp (EventsDir); FormatSet and the trace.dat reader are in format_set.cpp.
class FormatSet {
public:
  // Every format file under DIR, for 4096-byte pages (the corpus's); throws InputError
  // naming a format file that does not parse.
  static FormatSet load_dir(const std::string& dir);
  // Only the named events ("dma/dma_map_sg"), for this machine's page size: what a live
  // capture needs (no other system's formats, no kallsyms). An event whose format file is
  // missing or does not parse is left out of events() and the handle.
  static FormatSet load_events(const std::string& dir, const std::vector<std::string>& names);
  ~FormatSet();
  FormatSet(FormatSet&&) noexcept;
  FormatSet& operator=(FormatSet&&) noexcept;

  tep_handle* tep() const { return m_tep; }
  const std::vector<std::string>& events() const { return m_events; }  // "dma/dma_map_sg"

private:
  FormatSet() = default;
  static FormatSet with_header(const std::string& dir, int page_size);
  bool add_event(const std::string& sys, const std::string& name, const std::string& text);
  tep_handle* m_tep = nullptr;
  std::vector<std::string> m_events;
};

struct DatStats {
  std::uint64_t records = 0;   // every record in the file
  std::uint64_t events = 0;    // counted events passed to the sink
  std::uint64_t lost = 0;      // missed events the pages recorded
  int cpus = 0;
};

// True if `head` (the first bytes of a file) is a trace-cmd trace.dat.
bool is_dat_header(const std::string& head);

// Read a trace-cmd trace.dat with libtracecmd: records of all CPUs in time order, each
// decoded from the formats the file carries. Throws InputError if libtracecmd cannot read it.
DatStats read_dat_trace(const source::TraceInput& input, const EventSink& sink);

} // namespace memmap::trace
