// The format sets libtraceevent decodes records with (tracefs events/ layouts, read through
// source/tracefs) and trace-cmd trace.dat files (libtracecmd on a descriptor source opened).
#include <memmap/trace/record_decoder.hpp>

#include <cstring>
#include <utility>

#include <unistd.h>

#include "tracefs_compat.hpp"

#include <fmt/format.h>

#include <memmap/error.hpp>
#include <memmap/source/tracefs.hpp>

namespace memmap::trace {

FormatSet
FormatSet::with_header(const std::string& dir, int page_size)
{
  const source::EventsDir events(dir);
  if (!events.has_header_page()) {
    throw SourceError(fmt::format("{}/header_page: no such file (not a tracefs events layout)", dir));
  }
  FormatSet set;
  set.m_tep = tep_alloc();
  if (set.m_tep == nullptr) {
    throw SourceError("libtraceevent: out of memory");
  }
  tep_set_long_size(set.m_tep, static_cast<int>(sizeof(long)));
  tep_set_page_size(set.m_tep, page_size);
  std::string header = events.header_page();
  if (tep_parse_header_page(set.m_tep, header.data(), header.size(),
                            static_cast<int>(sizeof(long))) != 0) {
    throw InputError(fmt::format("{}/header_page: libtraceevent cannot parse it", dir));
  }
  return set;
}

bool
FormatSet::add_event(const std::string& sys, const std::string& name, const std::string& text)
{
  if (tep_parse_event(m_tep, text.data(), text.size(), sys.c_str()) != TEP_ERRNO__SUCCESS) {
    return false;
  }
  m_events.push_back(sys + "/" + name);
  return true;
}

FormatSet
FormatSet::load_dir(const std::string& dir)
{
  FormatSet set = with_header(dir, 4096);
  const source::EventsDir events(dir);
  for (const auto& [sys, name] : events.all_formats()) {
    if (!set.add_event(sys, name, events.format(sys, name))) {
      throw InputError(fmt::format("{}: libtraceevent cannot parse this format",
                                   events.format_display(sys, name)));
    }
  }
  return set;
}

FormatSet
FormatSet::load_events(const std::string& dir, const std::vector<std::string>& names)
{
  FormatSet set = with_header(dir, static_cast<int>(::sysconf(_SC_PAGESIZE)));
  const source::EventsDir events(dir);
  for (const auto& n : names) {
    const auto slash = n.find('/');
    if (slash == std::string::npos) {
      continue;
    }
    if (auto text = events.try_format(n.substr(0, slash), n.substr(slash + 1))) {
      set.add_event(n.substr(0, slash), n.substr(slash + 1), *text);
    }
  }
  return set;
}

FormatSet::~FormatSet()
{
  if (m_tep != nullptr) {
    tep_free(m_tep);
  }
}

FormatSet::FormatSet(FormatSet&& o) noexcept
  : m_tep(std::exchange(o.m_tep, nullptr)), m_events(std::move(o.m_events))
{
}

FormatSet&
FormatSet::operator=(FormatSet&& o) noexcept
{
  if (this != &o) {
    if (m_tep != nullptr) {
      tep_free(m_tep);
    }
    m_tep = std::exchange(o.m_tep, nullptr);
    m_events = std::move(o.m_events);
  }
  return *this;
}

bool
is_dat_header(const std::string& head)
{
  static const char k_magic[] = {0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g'};
  return head.size() >= sizeof(k_magic) && std::memcmp(head.data(), k_magic, sizeof(k_magic)) == 0;
}

namespace {

struct DatContext {
  RecordDecoder* decoder;
  tep_handle* tep;
  const EventSink* sink;
  DatStats* stats;
  DmaEvent ev;
};

int
dat_callback(tracecmd_input* /*handle*/, tep_record* rec, int /*cpu*/, void* data)
{
  auto* ctx = static_cast<DatContext*>(data);
  ++ctx->stats->records;
  if (rec->missed_events > 0) {
    ctx->stats->lost += static_cast<std::uint64_t>(rec->missed_events);
    if (ctx->sink->lost) {
      ctx->sink->lost(static_cast<std::uint64_t>(rec->missed_events));
    }
  }
  if (ctx->decoder->decode(rec, ctx->ev)) {
    if (const char* comm = tep_data_comm_from_pid(ctx->tep, ctx->ev.pid)) {
      ctx->ev.comm = comm;
    }
    ++ctx->stats->events;
    ctx->sink->event(ctx->ev);
  }
  return 0;
}

} // namespace

DatStats
read_dat_trace(const source::TraceInput& input, const EventSink& sink)
{
  tracecmd_set_loglevel(TEP_LOG_NONE);
  const int fd = input.reopen_fd();  // libtracecmd owns and closes it
  tracecmd_input* handle = fd < 0 ? nullptr : tracecmd_open_fd(fd, TRACECMD_FL_LOAD_NO_PLUGINS);
  if (handle == nullptr) {
    if (fd >= 0) {
      ::close(fd);
    }
    throw InputError(fmt::format("{}: libtracecmd cannot read this trace.dat", input.display()));
  }
  struct Closer {
    tracecmd_input* h;
    ~Closer() { tracecmd_close(h); }
  } closer{handle};
  tep_handle* tep = tracecmd_get_tep(handle);
  DatStats stats;
  stats.cpus = tep_get_cpus(tep);
  RecordDecoder decoder(tep);
  DatContext ctx{&decoder, tep, &sink, &stats, {}};
  if (tracecmd_iterate_events(handle, nullptr, 0, dat_callback, &ctx) < 0) {
    throw InputError(fmt::format("{}: libtracecmd could not iterate its records", input.display()));
  }
  return stats;
}

} // namespace memmap::trace
