// memmap trace: DMA mappings per device, live from tracefs (memmap's own instance), from a
// saved trace (--input), or from CONFIG_DMA_API_DEBUG's dump (--dma-debug).
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/pci/selector.hpp>
#include <memmap/render/json.hpp>
#include <memmap/trace/capture.hpp>
#include <memmap/trace/dma_debug.hpp>
#include <memmap/trace/record_decoder.hpp>
#include <memmap/trace/render.hpp>
#include <memmap/trace/text_parser.hpp>
#include <memmap/trace/tracker.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <map>
#include <poll.h>
#include <set>
#include <sstream>
#include <array>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

namespace memmap::cli {

namespace {

using namespace memmap::trace;

struct TraceArgs {
  double interval = 1.0;
  double duration = 0;
  std::uint64_t count = 0;
  std::vector<std::string> devices;
  std::vector<std::string> drivers;
  bool events = false;
  std::string input;
  bool dma_debug = false;
  std::size_t buffer_kb = 2048;
};

// --- signals: SIGINT/SIGTERM/SIGHUP end the capture cleanly; SIGPIPE becomes EPIPE ---

volatile std::sig_atomic_t g_signal = 0;

extern "C" void
on_signal(int sig)
{
  g_signal = sig;
}

class SignalGuard {
public:
  SignalGuard()
  {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a sleeping poll() returns at once
    for (std::size_t i = 0; i < k_sigs.size(); ++i) {
      sigaction(k_sigs[i], &sa, &m_old[i]);
    }
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &m_old_pipe);
  }
  ~SignalGuard()
  {
    for (std::size_t i = 0; i < k_sigs.size(); ++i) {
      sigaction(k_sigs[i], &m_old[i], nullptr);
    }
    sigaction(SIGPIPE, &m_old_pipe, nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

private:
  static constexpr std::array<int, 3> k_sigs{SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> m_old{};
  struct sigaction m_old_pipe {};
};

// True when stdout is a pipe or socket whose reader has gone.
bool
output_closed()
{
  pollfd p{STDOUT_FILENO, 0, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

// --- what the model knows about devices and addresses ---

struct Annotations {
  Context* ctx = nullptr;
  bool enabled = false;  // live, --root or --iomem given: a map describes the trace's machine
  bool sysfs = false;    // live or --root: its sysfs describes it too (never beside --iomem alone)
  std::set<std::string> untraced;  // live: events this kernel or these options do not trace
  std::map<std::string, DeviceInfo> devices;
  bool iomem_tried = false;
  const model::AddressSpace* iomem = nullptr;
  bool numa_loaded = false;
  std::uint64_t block_size = 0;
  std::map<std::uint64_t, int> block_node;

  DeviceInfo device(const std::string& dev)
  {
    auto it = devices.find(dev);
    if (it != devices.end()) {
      return it->second;
    }
    DeviceInfo info;
    if (enabled && sysfs) {
      const auto& root = ctx->sysfs();
      for (const auto& bus : root.list("sys/bus")) {
        const std::string base = "sys/bus/" + bus + "/devices/" + dev;
        if (!root.exists(base)) {
          continue;
        }
        info.known = true;  // its sysfs directory: no driver link means none is bound
        if (auto d = root.link_name(base + "/driver")) {
          info.driver = *d;
        }
        if (auto g = root.link_name(base + "/iommu_group")) {
          try {
            info.iommu_group = std::stoi(*g);
          } catch (const std::exception&) {
          }
        }
        break;
      }
    }
    devices.emplace(dev, info);
    return info;
  }

  void load_numa()
  {
    numa_loaded = true;
    if (!sysfs) {
      return;
    }
    const auto& root = ctx->sysfs();
    const auto bs = root.read_line("sys/devices/system/memory/block_size_bytes");
    if (!bs) {
      return;
    }
    try {
      block_size = std::stoull(*bs, nullptr, 16);
    } catch (const std::exception&) {
      return;
    }
    for (const auto& node : root.list("sys/devices/system/node")) {
      if (node.rfind("node", 0) != 0 || node.size() < 5) {
        continue;
      }
      int n = 0;
      try {
        n = std::stoi(node.substr(4));
      } catch (const std::exception&) {
        continue;
      }
      for (const auto& mem : root.list("sys/devices/system/node/" + node)) {
        if (mem.rfind("memory", 0) == 0 && mem.size() > 6 &&
            std::all_of(mem.begin() + 6, mem.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          block_node[std::stoull(mem.substr(6))] = n;
        }
      }
    }
  }

  std::optional<PhysInfo> phys(std::uint64_t addr)
  {
    if (!enabled) {
      return std::nullopt;
    }
    if (!iomem_tried) {
      iomem_tried = true;
      try {
        const auto& space = ctx->iomem();
        iomem = space.addresses_hidden ? nullptr : &space;
      } catch (const std::exception&) {
        iomem = nullptr;
      }
    }
    if (iomem == nullptr) {
      return std::nullopt;
    }
    const auto chain = iomem->lookup(addr);
    if (chain.empty()) {
      return PhysInfo{"(not in /proc/iomem)", "none", -1};
    }
    PhysInfo p;
    for (const auto* r : chain) {
      if (!p.region.empty()) {
        p.region += " > ";
      }
      p.region += r->name;
    }
    p.kind = model::to_string(chain.back()->kind);
    if (chain.front()->kind == model::RegionKind::system_ram) {
      if (!numa_loaded) {
        load_numa();
      }
      if (block_size != 0) {
        auto it = block_node.find(addr / block_size);
        if (it != block_node.end()) {
          p.numa_node = it->second;
        }
      }
    }
    return p;
  }

  std::vector<ReservedRegion> reserved(int group)
  {
    std::vector<ReservedRegion> out;
    if (!enabled || !sysfs) {
      return out;
    }
    auto r = ctx->sysfs().read(fmt::format("sys/kernel/iommu_groups/{}/reserved_regions", group));
    if (!r) {
      return out;
    }
    std::istringstream in(r.data);
    std::string a;
    std::string b;
    std::string type;
    while (in >> a >> b >> type) {
      try {
        out.push_back({std::stoull(a, nullptr, 16), std::stoull(b, nullptr, 16), type});
      } catch (const std::exception&) {
      }
    }
    return out;
  }

  Annotator annotator(std::uint64_t now_ns)
  {
    Annotator a;
    a.device = [this](const std::string& d) { return device(d); };
    a.phys = [this](std::uint64_t p) { return phys(p); };
    a.reserved = [this](int g) { return reserved(g); };
    a.now_ns = now_ns;
    a.untraced = untraced;
    return a;
  }
};

// --- device selection ---

std::vector<std::string>
split_list(const std::vector<std::string>& in)
{
  std::vector<std::string> out;
  for (const auto& s : in) {
    std::size_t pos = 0;
    while (pos <= s.size()) {
      const auto comma = s.find(',', pos);
      std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!item.empty()) {
        out.push_back(item);
      }
      if (comma == std::string::npos) {
        break;
      }
      pos = comma + 1;
    }
  }
  return out;
}

// A short lspci -s selector ("4:0.0", "04:00") resolved to the one PCI function of the root
// it names, as every command's selector is; nullopt when `sel` is not one (a dev_name such as
// "nvme0" or "fe000000.dma").
std::optional<std::string>
short_pci_selector(Context& ctx, const std::string& sel)
{
  if (sel.find_first_of(":.") == std::string::npos) {
    return std::nullopt;
  }
  pci::Selector probe;
  try {
    pci::parse_slot_selector(sel, probe, "--device");
  } catch (const UsageError&) {
    return std::nullopt;
  }
  return pci::select_one(sel, ctx.root().list("sys/bus/pci/devices"), "--device");
}

// The device names to keep (empty: all). --device takes dev_name()s; PCI addresses may
// omit the domain ("01:00.0") or be any lspci -s form naming one function ("4:0.0").
// --driver NAME adds every device bound to NAME (sysfs).
std::vector<std::string>
select_devices(Context& ctx, const TraceArgs& args)
{
  std::set<std::string> out;
  for (const auto& sel : split_list(args.devices)) {
    if (auto bdf = model::parse_bdf(sel)) {
      out.insert(*bdf);
    } else if (auto one = short_pci_selector(ctx, sel)) {
      out.insert(*one);
    } else {
      out.insert(sel);
    }
  }
  const auto& root = ctx.root();
  for (const auto& drv : split_list(args.drivers)) {
    bool bound = false;
    bool known = false;
    for (const auto& bus : root.list("sys/bus")) {
      const std::string dir = "sys/bus/" + bus + "/drivers/" + drv;
      if (!root.exists(dir)) {
        continue;
      }
      known = true;
      for (const auto& entry : root.list(dir)) {
        if (root.exists("sys/bus/" + bus + "/devices/" + entry)) {
          out.insert(entry);
          bound = true;
        }
      }
    }
    if (!known) {
      throw UsageError(fmt::format("trace --driver {}: no such driver in {}", drv,
                                   root.display("sys/bus/*/drivers")));
    }
    if (!bound) {
      throw UsageError(fmt::format("trace --driver {}: no device is bound to it", drv));
    }
  }
  return {out.begin(), out.end()};
}

// --- the event path shared by live and offline runs ---

class Pipeline {
public:
  Pipeline(Context& ctx, const TraceArgs& args, std::vector<std::string> devices)
    : m_ctx(ctx), m_args(args), m_devices(devices.begin(), devices.end())
  {
  }

  void event(const DmaEvent& ev)
  {
    if (m_done) {
      return;
    }
    if (!m_devices.empty() && m_devices.count(ev.device) == 0) {
      return;  // includes iommu map/unmap, which carry no device
    }
    m_tracker.add(ev);
    if (m_args.events) {
      if (m_ctx.options().json) {
        render::write_json(m_ctx.out(), event_to_json(ev), render::JsonLayout::line);
      } else {
        m_ctx.out() << event_to_text(ev) << '\n';
      }
    }
    if (m_args.count != 0 && m_tracker.events() >= m_args.count) {
      m_done = true;
    }
  }

  void lost(std::uint64_t n)
  {
    if (!m_done) {
      m_tracker.add_lost(n);
    }
  }

  EventSink sink()
  {
    return EventSink{[this](const DmaEvent& ev) { event(ev); },
                     [this](std::uint64_t n) { lost(n); }};
  }

  bool done() const { return m_done; }
  const bool* done_flag() const { return &m_done; }
  Tracker& tracker() { return m_tracker; }
  std::uint64_t lost_total() const { return m_tracker.summary().lost_events; }

private:
  Context& m_ctx;
  const TraceArgs& m_args;
  std::set<std::string> m_devices;
  Tracker m_tracker;
  bool m_done = false;
};

void
print_summary(Context& ctx, const Summary& s, Annotations& ann, std::uint64_t now_ns)
{
  const Annotator a = ann.annotator(now_ns);
  if (ctx.options().json) {
    render::write_json(ctx.out(), summary_to_json(s, a), render::JsonLayout::line);
  } else {
    render_summary_text(s, a, ctx.style(), ctx.out());
  }
}

// --- offline ---

int
run_offline(Context& ctx, const TraceArgs& args)
{
  Annotations ann;
  ann.ctx = &ctx;
  // A saved trace may come from any machine: annotate it only with a machine the user named.
  ann.enabled = !ctx.options().root.empty() || !ctx.options().iomem_file.empty();
  ann.sysfs = !ctx.options().root.empty() && ctx.plan().available(machine::Part::sysfs);
  Pipeline pipe(ctx, args, select_devices(ctx, args));
  const std::string& path = args.input;
  std::uint64_t malformed = 0;
  if (path != "-") {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) {
      throw SourceError(fmt::format("{}: {}", path, std::strerror(errno)));
    }
    std::string head(16, '\0');
    probe.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(probe.gcount()));
    if (is_dat_header(head)) {
      read_dat_trace(path, pipe.sink());
      print_summary(ctx, pipe.tracker().summary(), ann, 0);
      return k_exit_ok;
    }
  }
  int fd = STDIN_FILENO;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw SourceError(fmt::format("{}: {}", path, std::strerror(errno)));
    }
  }
  struct Closer {
    int fd;
    ~Closer()
    {
      if (fd != STDIN_FILENO) {
        ::close(fd);
      }
    }
  } closer{fd};
  const std::string display = path == "-" ? "<stdin>" : path;
  const TextStats st =
    read_text_trace(fd, display, pipe.sink(), [&] { return pipe.done() || g_signal != 0; });
  malformed = st.malformed;
  for (const auto& e : st.first_errors) {
    ctx.err() << "memmap: " << e << '\n';
  }
  if (st.malformed > st.first_errors.size()) {
    ctx.err() << fmt::format("memmap: {}: {} more malformed event lines\n", display,
                             st.malformed - st.first_errors.size());
  }
  if (st.records == 0 && st.lost == 0 && st.lines > 0) {
    throw InputError(fmt::format(
      "{}: no trace event lines: expected the tracefs trace file, trace_pipe output, "
      "trace-cmd report output or a trace-cmd trace.dat",
      display));
  }
  print_summary(ctx, pipe.tracker().summary(), ann, 0);
  if (malformed != 0) {
    ctx.err() << fmt::format("memmap: {}: {} malformed event lines were skipped\n", display,
                             malformed);
    return k_exit_bad_input;
  }
  return k_exit_ok;
}

// --- live ---

std::uint64_t
monotonic_ns()
{
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

int
terminal_rows()
{
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
    return ws.ws_row;
  }
  return 24;
}

int
run_live(Context& ctx, const TraceArgs& args)
{
  if (!ctx.root().is_live()) {
    throw UsageError("trace: live tracing reads this machine's tracefs; with --root, give "
                     "a saved trace with --input FILE");
  }
  if (ctx.plan().files_only()) {
    throw UsageError("trace: live tracing annotates with this machine's own maps; --iomem, "
                     "--ioports and --lspci describe another machine (use them with --input FILE)");
  }
  const auto devices = select_devices(ctx, args);
  Annotations ann;
  ann.ctx = &ctx;
  ann.enabled = true;
  ann.sysfs = true;
  const bool json = ctx.options().json;
  const bool screen = !json && !args.events && ::isatty(STDOUT_FILENO) != 0;

  SignalGuard signals;
  g_signal = 0;
  CaptureOptions copts;
  copts.devices = devices;
  copts.buffer_kb = args.buffer_kb;
  copts.iommu_page_table = devices.empty();
  LiveCapture capture(copts);
  const CaptureSetup& setup = capture.setup();

  if (setup.mounted) {
    ctx.notice(fmt::format("mounted tracefs on {} (it stays mounted)", setup.tracing_dir));
  }
  for (const auto& s : setup.stale_removed) {
    ctx.notice(fmt::format("removed {}/instances/{}, left behind by a memmap that was killed",
                           setup.tracing_dir, s));
  }
  ann.untraced.insert(setup.missing.begin(), setup.missing.end());
  if (!copts.iommu_page_table) {
    // With a device filter the page-table events (no device field) are left off.
    ann.untraced.insert({"iommu/map", "iommu/unmap"});
  }
  if (!setup.missing.empty()) {
    std::string m;
    for (const auto& e : setup.missing) {
      m += (m.empty() ? "" : ", ") + e;
    }
    ctx.notice("this kernel has no " + m + " event: not traced");
  }
  if (!setup.unfiltered.empty()) {
    ctx.notice(fmt::format("the kernel refused a device filter on {} event(s); memmap filters "
                           "those itself",
                           setup.unfiltered.size()));
  }
  if (json) {
    render::Json start = render::json_document();
    start["type"] = "start";
    start["tracing_dir"] = setup.tracing_dir;
    start["instance"] = setup.instance;
    start["events_enabled"] = setup.enabled;
    start["events_missing"] = setup.missing;
    start["devices"] = devices;
    start["kernel_filtered"] = setup.filtered;
    start["interval_s"] = args.interval;
    render::write_json(ctx.out(), start, render::JsonLayout::line);
    ctx.out().flush();
  } else if (!screen) {
    ctx.out() << fmt::format("tracing {} events in {}/instances/{}{}\n", setup.enabled.size(),
                             setup.tracing_dir, setup.instance,
                             devices.empty() ? "" : fmt::format(" ({} devices)", devices.size()));
    ctx.out().flush();
  }

  Pipeline pipe(ctx, args, devices);
  const auto start = std::chrono::steady_clock::now();
  const auto interval = std::chrono::duration<double>(args.interval);
  auto next_tick = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
  const bool has_deadline = args.duration > 0;
  const auto deadline =
    start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              std::chrono::duration<double>(args.duration));
  std::vector<DeviceStats> prev;
  std::uint64_t prev_events = 0;
  auto last_tick = start;
  bool pipe_closed = false;
  const std::string header = fmt::format(
    "memmap trace: DMA mappings per device ({}/instances/{}; Ctrl-C for the summary)",
    setup.tracing_dir, setup.instance);

  auto emit_interval = [&](std::chrono::steady_clock::time_point now) {
    std::vector<DeviceStats> cur = pipe.tracker().device_stats();
    IntervalView v;
    v.t = std::chrono::duration<double>(now - start).count();
    v.seconds = std::chrono::duration<double>(now - last_tick).count();
    v.events = pipe.tracker().events();
    v.events_delta = v.events - prev_events;
    v.lost = pipe.lost_total();
    v.prev = prev.empty() ? nullptr : &prev;
    v.cur = &cur;
    const Annotator a = ann.annotator(0);
    if (json) {
      if (!args.events) {
        render::write_json(ctx.out(), interval_to_json(v, a), render::JsonLayout::line);
      }
    } else if (screen) {
      render_live_screen(v, a, header, ctx.style(), terminal_rows(), ctx.out());
    } else if (!args.events) {
      render_interval_lines(v, a, ctx.out());
    }
    prev = std::move(cur);
    prev_events = v.events;
    last_tick = now;
  };

  while (g_signal == 0 && !pipe.done()) {
    // Sleep up to 100 ms (a signal ends it early), then drain the buffers.
    const auto now0 = std::chrono::steady_clock::now();
    auto wake = std::min(next_tick, now0 + std::chrono::milliseconds(100));
    if (has_deadline) {
      wake = std::min(wake, deadline);
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now0).count();
    if (ms > 0) {
      pollfd p{STDOUT_FILENO, 0, 0};
      const int r = ::poll(&p, 1, static_cast<int>(ms));
      if (r > 0 && (p.revents & (POLLERR | POLLHUP)) != 0) {
        pipe_closed = true;
        break;
      }
    }
    if (g_signal != 0) {
      break;
    }
    capture.drain(pipe.sink(), pipe.done_flag());
    ctx.out().flush();
    if (!ctx.out().good() || output_closed()) {
      pipe_closed = true;
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_tick) {
      emit_interval(now);
      ctx.out().flush();
      if (!ctx.out().good()) {
        pipe_closed = true;
        break;
      }
      while (next_tick <= now) {
        next_tick += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
      }
    }
    if (has_deadline && now >= deadline) {
      break;
    }
  }
  if (!pipe_closed && g_signal == 0) {
    capture.drain(pipe.sink(), pipe.done_flag());  // what arrived since the last drain
  }
  capture.close();  // the instance goes before anything else can fail
  if (pipe_closed) {
    return k_exit_ok;  // the reader went away (memmap trace | head): nothing more to say
  }
  if (screen) {
    ctx.out() << '\n';
  }
  print_summary(ctx, pipe.tracker().summary(), ann, monotonic_ns());
  ctx.out().flush();
  if (g_signal != 0 && g_signal != SIGINT) {
    ctx.notice(fmt::format("stopped by signal {}", strsignal(g_signal)));
  }
  return k_exit_ok;
}

// --- dma-debug ---

int
run_dma_debug(Context& ctx)
{
  const auto& root = ctx.root();
  const std::string dir = "sys/kernel/debug/dma-api";
  if (!root.exists(dir)) {
    if (root.is_live() && !root.exists("sys/kernel/debug/tracing") &&
        root.list("sys/kernel/debug").empty()) {
      throw SourceError(fmt::format(
        "trace --dma-debug: {} is empty: debugfs is not mounted (mount -t debugfs none "
        "/sys/kernel/debug, as root)",
        root.display("sys/kernel/debug")));
    }
    throw SourceError(fmt::format(
      "trace --dma-debug: {} is missing: this kernel was built without CONFIG_DMA_API_DEBUG "
      "(or debugfs is not readable: run as root); use memmap trace (tracefs) instead",
      root.display(dir)));
  }
  auto dump = root.read(dir + "/dump");
  if (!dump) {
    throw SourceError("trace --dma-debug: " + dump.message);
  }
  const auto entries = parse_dma_debug_dump(dump.data, root.display(dir + "/dump"));
  DebugCounters c;
  auto num = [&](const char* name) -> std::optional<std::uint64_t> {
    if (auto l = root.read_line(dir + "/" + name)) {
      try {
        return std::stoull(*l);
      } catch (const std::exception&) {
        ctx.notice(fmt::format("{}: not a number: '{}'", root.display(dir + "/" + name), *l));
      }
    }
    return std::nullopt;
  };
  c.error_count = num("error_count");
  c.num_errors = num("num_errors");
  c.num_free_entries = num("num_free_entries");
  c.min_free_entries = num("min_free_entries");
  c.nr_total_entries = num("nr_total_entries");
  if (auto d = root.read_line(dir + "/disabled")) {
    c.disabled = *d == "Y" || *d == "1";
  }
  if (auto f = root.read_line(dir + "/driver_filter")) {
    c.driver_filter = *f;
  }
  if (ctx.options().json) {
    render::write_json(ctx.out(), dma_debug_to_json(entries, c), render::JsonLayout::line);
  } else {
    render_dma_debug_text(entries, c, ctx.style(), ctx.out());
  }
  return k_exit_ok;
}

constexpr const char* k_footer =
  "Live (as root): memmap creates its own tracefs instance (instances/memmap-PID), enables\n"
  "the dma:*, iommu:map/unmap/io_page_fault and swiotlb:swiotlb_bounced events this kernel\n"
  "has, reads the per-CPU raw buffers and removes the instance at exit (also on Ctrl-C,\n"
  "SIGTERM, SIGHUP and a closed pipe). Top-level tracing is never touched. On a terminal the\n"
  "view refreshes every --interval; otherwise one block of lines per interval; the summary\n"
  "(outstanding mappings = possible leaks, unmatched unmaps, faults) comes at the end.\n"
  "--json writes JSON lines with a \"type\": start, interval (or event with --events),\n"
  "then summary.\n"
  "\n"
  "Examples:\n"
  "  sudo memmap trace --duration 10                 10 s of every device\n"
  "  sudo memmap trace --device 01:00.0 --events     each map/unmap of one PCI device\n"
  "  sudo memmap trace --driver nvme --json --duration 5 | tail -1\n"
  "  memmap trace --input trace.txt                  a saved /sys/kernel/tracing/trace,\n"
  "                                                  trace_pipe, trace-cmd report or trace.dat\n"
  "  sudo memmap trace --dma-debug                   CONFIG_DMA_API_DEBUG's live mappings\n"
  "\n"
  "Exit status: 0 done; 2 bad usage or malformed input lines (summary still printed);\n"
  "3 not root, no tracefs or no dma:* events (the message says which).";

} // namespace

void
add_trace_commands(CLI::App& app, CommandList& cmds)
{
  auto args = std::make_shared<TraceArgs>();
  CLI::App* sub = app.add_subcommand(
    "trace", "DMA mappings per device, live from tracefs (root) or from a saved trace");
  sub->add_option("--interval", args->interval,
                  "Refresh the live view / print a summary line every S seconds (default 1)")
    ->type_name("S")
    ->check(CLI::Range(0.1, 3600.0));
  sub->add_option("--duration", args->duration, "Stop after S seconds (default: at Ctrl-C)")
    ->type_name("S")
    ->check(CLI::Range(0.0, 1e7));
  sub->add_option("--count", args->count, "Stop after N DMA events (after the device filter)")
    ->type_name("N")
    ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 62));
  sub->add_option("--device", args->devices,
                  "Only this device (dev_name: 0000:01:00.0, 01:00.0, fe300000.dma); "
                  "repeat or comma-separate. Written into the kernel's event filters")
    ->type_name("SEL");
  sub->add_option("--driver", args->drivers,
                  "Only devices bound to this driver (from sysfs); repeat or comma-separate")
    ->type_name("NAME");
  sub->add_flag("--events", args->events, "Print every decoded event (with --json: one JSON line each)");
  sub->add_option("--input", args->input,
                  "Read a saved trace instead of tracing live: the tracefs trace file, "
                  "trace_pipe output, trace-cmd report output or trace.dat ('-': stdin)")
    ->type_name("FILE");
  sub->add_flag("--dma-debug", args->dma_debug,
                "Show CONFIG_DMA_API_DEBUG's active mappings (/sys/kernel/debug/dma-api/dump) "
                "and error counters instead");
  sub->add_option("--buffer-kb", args->buffer_kb,
                  "Per-CPU ring buffer of memmap's instance, in KiB (default 2048)")
    ->type_name("KB")
    ->check(CLI::Range(64, 1 << 20));
  sub->footer(k_footer);
  cmds.push_back({sub, [args](Context& ctx) {
                    if (args->dma_debug) {
                      if (!args->input.empty()) {
                        throw UsageError("trace: --dma-debug and --input exclude each other");
                      }
                      return run_dma_debug(ctx);
                    }
                    if (!args->input.empty()) {
                      return run_offline(ctx, *args);
                    }
                    return run_live(ctx, *args);
                  }});
}

} // namespace memmap::cli
