#include <memmap/trace/capture.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <sys/mount.h>
#include <unistd.h>

#include <fmt/format.h>

#include <memmap/error.hpp>
#include <memmap/source/sysroot.hpp>
#include <memmap/source/tracefs.hpp>
#include <memmap/trace/record_decoder.hpp>

#include "tracefs_compat.hpp"

namespace memmap::trace {

namespace {

using source::k_default_tracefs;
constexpr const char* k_prefix = "memmap-";

// The events memmap enables, by system, when the kernel has them (from events/<sys>/).
bool
wanted(const std::string& sys, const std::string& name, bool iommu_page_table)
{
  const auto t = event_type_from_name(name);
  if (!t || event_system(*t) != sys) {
    return false;
  }
  switch (event_class(*t)) {
  case EventClass::iommu_map:
  case EventClass::iommu_unmap:
    return iommu_page_table;
  case EventClass::group:
    return false;  // sysfs has the groups; these fire only at probe time
  default:
    return true;
  }
}

std::string
errno_text(int e)
{
  return std::strerror(e);
}

} // namespace

std::string
instance_name(long pid)
{
  return fmt::format("{}{}", k_prefix, pid);
}

bool
parse_instance_name(const std::string& name, long* pid)
{
  const std::string_view p = k_prefix;
  if (name.size() <= p.size() || name.compare(0, p.size(), p) != 0) {
    return false;
  }
  long v = 0;
  for (std::size_t i = p.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || v > 1000000000L) {
      return false;
    }
    v = v * 10 + (name[i] - '0');
  }
  if (pid != nullptr) {
    *pid = v;
  }
  return true;
}

struct LiveCapture::Impl {
  CaptureSetup setup;
  std::vector<std::string> devices;
  std::optional<FormatSet> formats;  // before decoder, which uses its handle
  tracefs_instance* instance = nullptr;
  std::unique_ptr<RecordDecoder> decoder;
  DmaEvent ev;
  bool cmdlines = false;

  ~Impl() { close(); }

  void close()
  {
    if (instance == nullptr) {
      return;
    }
    tracefs_event_disable(instance, nullptr, nullptr);
    tracefs_trace_off(instance);
    tracefs_instance_destroy(instance);
    tracefs_instance_free(instance);
    instance = nullptr;
  }

  void locate()
  {
    const source::SysRoot live("/");
    setup.tracing_dir = source::find_tracefs(live);
    if (setup.tracing_dir.empty()) {
      if (::geteuid() != 0) {
        throw SourceError(fmt::format(
          "trace: tracefs is not mounted, and mounting it needs root: run memmap trace as "
          "root (it mounts tracefs on {} itself)",
          k_default_tracefs));
      }
      if (!live.is_directory(k_default_tracefs)) {
        throw SourceError(fmt::format(
          "trace: {} does not exist: this kernel has no tracefs (CONFIG_TRACING is off)",
          k_default_tracefs));
      }
      if (::mount("nodev", k_default_tracefs, "tracefs", 0, nullptr) != 0) {
        throw SourceError(fmt::format("trace: cannot mount tracefs on {}: {}", k_default_tracefs,
                                      errno_text(errno)));
      }
      setup.tracing_dir = k_default_tracefs;
      setup.mounted = true;
    }
    const std::string& dir = setup.tracing_dir;
    if (!live.accessible(dir, R_OK | X_OK) || !live.accessible(dir + "/instances", W_OK)) {
      throw SourceError(fmt::format(
        "trace: needs root: {} is readable by root only and creating a tracing instance "
        "needs CAP_SYS_ADMIN (running as uid {}); run it with sudo",
        dir, ::geteuid()));
    }
    std::vector<char> copy(dir.begin(), dir.end());
    copy.push_back('\0');
    tracefs_set_tracing_dir(copy.data());
  }

  std::vector<std::pair<std::string, std::string>> events(const CaptureOptions& opts)
  {
    const std::string& dir = setup.tracing_dir;
    const source::EventsDir tree(dir + "/events");
    if (!tree.has_system("dma")) {
      throw SourceError(fmt::format(
        "trace: this kernel has no dma:* trace events ({}/events/dma is missing; they came "
        "with Linux 6.12). On CONFIG_DMA_API_DEBUG kernels, try memmap trace --dma-debug",
        dir));
    }
    std::vector<std::pair<std::string, std::string>> list;
    for (const char* sys : {"dma", "iommu", "swiotlb"}) {
      for (const auto& n : tree.events(sys)) {
        if (wanted(sys, n, opts.iommu_page_table)) {
          list.emplace_back(sys, n);
        }
      }
    }
    for (const char* want : {"iommu/map", "iommu/unmap", "iommu/io_page_fault",
                             "swiotlb/swiotlb_bounced"}) {
      const std::string w = want;
      const auto slash = w.find('/');
      const bool have = std::any_of(list.begin(), list.end(), [&](const auto& e) {
        return e.first == w.substr(0, slash) && e.second == w.substr(slash + 1);
      });
      const bool skipped = !opts.iommu_page_table && (w == "iommu/map" || w == "iommu/unmap");
      if (!have && !skipped) {
        setup.missing.push_back(w);
      }
    }
    if (std::none_of(list.begin(), list.end(), [](const auto& e) { return e.first == "dma"; })) {
      throw SourceError(fmt::format(
        "trace: {}/events/dma has none of the DMA-API mapping events memmap knows", dir));
    }
    return list;
  }

  // The formats of the events memmap enables, and nothing else. Not
  // tracefs_local_events_system(): it also parses /proc/kallsyms and printk_formats for
  // symbol and bprint output that DMA event fields never need (0.28 s of every start here,
  // 16 s under ASan). An event whose format is missing or does not parse is left out, and
  // open() reports it missing.
  void load_formats(const std::vector<std::pair<std::string, std::string>>& list)
  {
    std::vector<std::string> names;
    names.reserve(list.size());
    for (const auto& [sys, name] : list) {
      names.push_back(sys + "/" + name);
    }
    formats = FormatSet::load_events(setup.tracing_dir + "/events", names);
    cmdlines = tracefs_load_cmdlines(setup.tracing_dir.c_str(), formats->tep()) == 0;
    decoder = std::make_unique<RecordDecoder>(formats->tep());
  }

  void remove_stale()
  {
    char** names = tracefs_instances("^memmap-[0-9]*$");
    if (names == nullptr) {
      return;
    }
    for (char** n = names; *n != nullptr; ++n) {
      long pid = 0;
      if (!parse_instance_name(*n, &pid) || pid == static_cast<long>(::getpid())) {
        continue;
      }
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) {
        continue;  // that memmap is still running
      }
      if (tracefs_instance* old = tracefs_instance_alloc(setup.tracing_dir.c_str(), *n)) {
        if (tracefs_instance_destroy(old) == 0) {
          setup.stale_removed.emplace_back(*n);
        }
        tracefs_instance_free(old);
      }
    }
    tracefs_list_free(names);
  }

  std::string filter_for(const std::string& sys, const std::string& name) const
  {
    tep_event* e = tep_find_event_by_name(formats->tep(), sys.c_str(), name.c_str());
    if (e == nullptr) {
      return {};
    }
    const char* field = nullptr;
    if (tep_find_field(e, "device") != nullptr) {
      field = "device";
    } else if (tep_find_field(e, "dev_name") != nullptr) {
      field = "dev_name";
    } else {
      return {};
    }
    std::string expr;
    for (const auto& d : devices) {
      if (!expr.empty()) {
        expr += " || ";
      }
      expr += fmt::format("{} == \"{}\"", field, d);
    }
    return expr;
  }

  void open(const CaptureOptions& opts)
  {
    devices = opts.devices;
    for (const auto& d : devices) {
      if (d.find_first_of("\"\\\n") != std::string::npos) {
        throw UsageError(fmt::format("trace: bad device name '{}'", d));
      }
    }
    locate();
    auto list = events(opts);
    load_formats(list);
    remove_stale();
    setup.instance = instance_name(static_cast<long>(::getpid()));
    instance = tracefs_instance_create(setup.instance.c_str());
    if (instance == nullptr) {
      throw SourceError(fmt::format("trace: cannot create the tracing instance {}/instances/{}: {}",
                                    setup.tracing_dir, setup.instance, errno_text(errno)));
    }
    // Timestamps in CLOCK_MONOTONIC, so ages of outstanding mappings are exact (this is the
    // instance's own clock; the top-level trace_clock is not touched).
    tracefs_instance_file_write(instance, "trace_clock", "mono");
    if (opts.buffer_kb != 0) {
      tracefs_instance_set_buffer_size(instance, opts.buffer_kb, -1);
    }
    for (const auto& [sys, name] : list) {
      if (tep_find_event_by_name(formats->tep(), sys.c_str(), name.c_str()) == nullptr) {
        setup.missing.push_back(sys + "/" + name);  // no parsable format
        continue;
      }
      if (!devices.empty()) {
        const std::string expr = filter_for(sys, name);
        if (!expr.empty() &&
            tracefs_event_file_write(instance, sys.c_str(), name.c_str(), "filter", expr.c_str()) > 0) {
          setup.filtered.push_back(sys + "/" + name);
        } else {
          setup.unfiltered.push_back(sys + "/" + name);
        }
      }
      if (tracefs_event_enable(instance, sys.c_str(), name.c_str()) != 0) {
        throw SourceError(fmt::format("trace: cannot enable {}:{} in {}: {}", sys, name,
                                      setup.instance, errno_text(errno)));
      }
      setup.enabled.push_back(sys + "/" + name);
    }
    tracefs_trace_on(instance);
  }
};

LiveCapture::LiveCapture(const CaptureOptions& opts) : m_impl(std::make_unique<Impl>())
{
  tracefs_set_loglevel(TEP_LOG_NONE);
  m_impl->open(opts);
}

LiveCapture::~LiveCapture() = default;

const CaptureSetup&
LiveCapture::setup() const
{
  return m_impl->setup;
}

void
LiveCapture::close()
{
  m_impl->close();
}

std::size_t
LiveCapture::drain(const EventSink& sink, const bool* stop)
{
  Impl& m = *m_impl;
  if (m.instance == nullptr) {
    return 0;
  }
  struct Ctx {
    Impl* m;
    const EventSink* sink;
    const bool* stop;
    std::size_t records = 0;
  } ctx{&m, &sink, stop};
  auto cb = [](tep_event* event, tep_record* rec, int /*cpu*/, void* data) -> int {
    auto* c = static_cast<Ctx*>(data);
    ++c->records;
    if (rec->missed_events != 0 && c->sink->lost) {
      c->sink->lost(rec->missed_events > 0 ? static_cast<std::uint64_t>(rec->missed_events) : 1);
    }
    if (c->m->decoder->decode(event, rec, c->m->ev)) {
      if (c->m->cmdlines) {
        if (const char* comm = tep_data_comm_from_pid(c->m->formats->tep(), c->m->ev.pid)) {
          c->m->ev.comm = comm;
        }
      }
      c->sink->event(c->m->ev);
    }
    return c->stop != nullptr && *c->stop ? 1 : 0;
  };
  tracefs_iterate_raw_events(m.formats->tep(), m.instance, nullptr, 0, cb, &ctx);
  return ctx.records;
}

} // namespace memmap::trace
