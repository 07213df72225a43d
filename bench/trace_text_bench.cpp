// Throughput of `memmap trace --input` on text: generates a tracefs-format DMA trace (6.18
// event set: single maps/unmaps, sg maps/unmaps, coherent allocs/frees, iommu map/unmap,
// noise from other subsystems) in blocks of lines, and times the text reader + tracker on
// it. The generator keeps at most `window` mappings live per device, so a correct tracker
// stays bounded in memory whatever the length of the trace.
//
//   memmap_trace_bench [EVENTS] [--write FILE]
//     EVENTS   number of event lines (default 10000000)
//     --write  write the generated trace to FILE instead (for memmap trace --input FILE)
//
// Prints events, seconds, events/s (parse + track only; generation is not timed), the
// final summary's outstanding count and the peak RSS.
#include <memmap/trace/text_parser.hpp>
#include <memmap/trace/tracker.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <time.h>
#include <vector>

#include <fmt/format.h>

using namespace memmap::trace;

namespace {

constexpr const char* k_devices[] = {"0000:01:00.0", "0000:02:00.0", "0000:03:00.0",
                                     "fe300000.dma-controller"};
constexpr std::size_t k_window = 1024;

struct Live {
  bool sg;
  std::uint64_t dma;
  std::uint64_t phys;
  std::uint64_t size;
};

class Generator {
public:
  // Append about `n` event lines to `out`.
  void block(std::size_t n, std::string& out)
  {
    for (std::size_t i = 0; i < n; ++i) {
      line(out);
    }
  }
  std::uint64_t events() const { return m_events; }

private:
  void prefix(std::string& out, const char* name)
  {
    m_ts += 1 + (m_rng() % 7);
    fmt::format_to(std::back_inserter(out), "     kworker/{}:1-{:<7} [{:03}] d..1. {:5}.{:06}: {}: ",
                   m_cpu, 100 + m_cpu, m_cpu, m_ts / 1000000, m_ts % 1000000, name);
    m_cpu = (m_cpu + 1) % 4;
  }

  std::uint32_t m_rng()
  {
    m_state ^= m_state << 13;
    m_state ^= m_state >> 7;
    m_state ^= m_state << 17;
    return static_cast<std::uint32_t>(m_state);
  }

  void line(std::string& out)
  {
    ++m_events;
    const std::size_t d = m_rng() % 4;
    auto& live = m_live[d];
    const std::uint32_t r = m_rng() % 100;
    if (r < 5) {
      prefix(out, "sched_switch");  // noise: counted as a record, not as an event
      out += "prev_comm=a prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=b next_pid=2 next_prio=120\n";
      --m_events;
      return;
    }
    if (r < 10) {
      prefix(out, "map");
      const std::uint64_t iova = 0xff000000ULL + (m_rng() % 4096) * 0x1000;
      fmt::format_to(std::back_inserter(out),
                     "IOMMU: iova=0x{:016x} - 0x{:016x} paddr=0x{:016x} size=4096\n", iova,
                     iova + 4096, 0x100000000ULL + (m_rng() % 100000) * 0x1000);
      return;
    }
    if (live.size() >= k_window || (r < 50 && !live.empty())) {
      const Live l = live.front();
      live.pop_front();
      if (l.sg) {
        prefix(out, "dma_unmap_sg");
        fmt::format_to(std::back_inserter(out), "{} dir=FROM_DEVICE phys_addrs={{0x{:x},0x{:x}}} attrs=\n",
                       k_devices[d], l.phys, l.phys + 0x1000);
      } else {
        prefix(out, "dma_unmap_phys");
        fmt::format_to(std::back_inserter(out), "{} dir=TO_DEVICE dma_addr={:x} size={} attrs=\n",
                       k_devices[d], l.dma, l.size);
      }
      return;
    }
    Live l{};
    l.dma = 0xffe00000ULL - (m_next_iova[d]++ % 65536) * 0x2000;
    l.phys = 0x100000000ULL + (m_next_phys++ % 1000000) * 0x2000;
    if (r < 70) {
      l.sg = true;
      l.size = 0x2000;
      prefix(out, "dma_map_sg");
      fmt::format_to(std::back_inserter(out),
                     "{} dir=FROM_DEVICE nents=2/2 ents=1/1 dma_addrs={{0x{:x}}} sizes={{0x2000}} "
                     "phys_addrs={{0x{:x},0x{:x}}} attrs=\n",
                     k_devices[d], l.dma, l.phys, l.phys + 0x1000);
    } else {
      l.size = 512 + (m_rng() % 8) * 512;
      prefix(out, "dma_map_phys");
      fmt::format_to(std::back_inserter(out), "{} dir=TO_DEVICE dma_addr={:x} size={} phys_addr={:x} attrs=\n",
                     k_devices[d], l.dma, l.size, l.phys);
    }
    live.push_back(l);
  }

  std::deque<Live> m_live[4];
  std::uint64_t m_next_iova[4] = {};
  std::uint64_t m_next_phys = 0;
  std::uint64_t m_ts = 1000000000ULL;
  std::uint64_t m_state = 0x9e3779b97f4a7c15ULL;
  std::uint64_t m_events = 0;
  int m_cpu = 0;
};

// CPU time of this thread: the rate per core, whatever else runs on the machine.
double
thread_cpu_seconds()
{
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long
peak_rss_kb()
{
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

} // namespace

int
main(int argc, char** argv)
{
  std::size_t total = 10000000;
  std::string write_to;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--write") == 0 && i + 1 < argc) {
      write_to = argv[++i];
    } else {
      total = std::strtoull(argv[i], nullptr, 10);
    }
  }
  constexpr std::size_t k_block = 200000;
  Generator gen;
  std::string text;
  if (!write_to.empty()) {
    std::ofstream out(write_to, std::ios::binary);
    out << "# tracer: nop\n#\n";
    for (std::size_t done = 0; done < total; done += k_block) {
      text.clear();
      gen.block(std::min(k_block, total - done), text);
      out << text;
    }
    std::printf("wrote %zu lines to %s\n", total, write_to.c_str());
    return out.good() ? 0 : 1;
  }
  Tracker tracker;
  const bool no_track = std::getenv("BENCH_NO_TRACK") != nullptr;
  const EventSink sink{[&](const DmaEvent& ev) { if (!no_track) { tracker.add(ev); } }, {}};
  double secs = 0;
  double cpu = 0;
  std::uint64_t bytes = 0;
  for (std::size_t done = 0; done < total; done += k_block) {
    text.clear();
    gen.block(std::min(k_block, total - done), text);
    bytes += text.size();
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    read_text_trace(text, "generated", sink);
    cpu += thread_cpu_seconds() - c0;
    secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const Summary s = tracker.summary();
  std::printf("lines %zu, counted events %llu, %.1f MB of text\n", total,
              static_cast<unsigned long long>(s.events), static_cast<double>(bytes) / 1e6);
  std::printf("parse+track %.3f s CPU (%.3f s wall): %.0f events/s per core (%.0f lines/s)\n",
              cpu, secs, static_cast<double>(s.events) / cpu, static_cast<double>(total) / cpu);
  std::printf("outstanding at end %zu (bounded by %zu per device), unmatched unmaps %zu\n",
              s.outstanding.size(), k_window, s.unmatched_unmaps.size());
  std::printf("peak RSS %ld KiB\n", peak_rss_kb());
  return s.unmatched_unmaps.empty() && s.outstanding.size() <= 4 * k_window ? 0 : 1;
}
