// memmap trace live: memmap's own tracefs instance (trace/capture), drained every 100 ms,
// an interval output every --interval, the summary at the end. SIGINT, SIGTERM and SIGHUP
// end the capture cleanly (the instance is removed); SIGPIPE becomes EPIPE and a closed
// reader ends it quietly.
#include <memmap/machine/trace_session.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <memmap/error.hpp>
#include <memmap/util/text.hpp>

#include "trace_pipeline.hpp"

namespace memmap::machine {

namespace trace_detail {
volatile std::sig_atomic_t g_signal = 0;
}

namespace {

using trace_detail::g_signal;
using trace_detail::Pipeline;
using Clock = std::chrono::steady_clock;

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

Clock::duration
span(double seconds)
{
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// What the capture could not set up, as notes; the events it does not trace.
void
note_setup(const TraceSources& src, const trace::CaptureSetup& setup, bool page_table,
           TraceAnnotations& ann)
{
  if (setup.mounted) {
    src.notice(fmt::format("mounted tracefs on {} (it stays mounted)", setup.tracing_dir));
  }
  for (const auto& s : setup.stale_removed) {
    src.notice(fmt::format("removed {}/instances/{}, left behind by a memmap that was killed",
                           setup.tracing_dir, s));
  }
  ann.untraced.insert(setup.missing.begin(), setup.missing.end());
  if (!page_table) {
    // With a device filter the page-table events (no device field) are left off.
    ann.untraced.insert({"iommu/map", "iommu/unmap"});
  }
  if (!setup.missing.empty()) {
    src.notice("this kernel has no " + util::join(setup.missing) + " event: not traced");
  }
  if (!setup.unfiltered.empty()) {
    src.notice(fmt::format("the kernel refused a device filter on {} event(s); memmap filters "
                           "those itself",
                           setup.unfiltered.size()));
  }
}

} // namespace

int
run_live_trace(const TraceRequest& req, const TraceSources& src, TraceOutput& out)
{
  if (!src.root->is_live()) {
    throw UsageError("trace: live tracing reads this machine's tracefs; with --root, give "
                     "a saved trace with --input FILE");
  }
  if (src.plan->files_only()) {
    throw UsageError("trace: live tracing annotates with this machine's own maps; --iomem, "
                     "--ioports and --lspci describe another machine (use them with --input FILE)");
  }
  LiveStart st;
  st.devices = select_trace_devices(*src.root, req.devices, req.drivers);
  st.interval_s = req.interval;
  st.screen = !src.json && !req.events && ::isatty(STDOUT_FILENO) != 0;
  TraceAnnotations ann(src, true);

  SignalGuard signals;
  g_signal = 0;
  trace::CaptureOptions copts;
  copts.devices = st.devices;
  copts.buffer_kb = req.buffer_kb;
  copts.iommu_page_table = st.devices.empty();
  trace::LiveCapture capture(copts);
  st.setup = capture.setup();
  note_setup(src, st.setup, copts.iommu_page_table, ann);
  out.start(st);
  out.flush();

  Pipeline pipe(req, out, st.devices);
  const auto start = Clock::now();
  const auto interval = span(req.interval);
  auto next_tick = start + interval;
  const bool has_deadline = req.duration > 0;
  const auto deadline = start + span(req.duration);
  std::vector<trace::DeviceStats> prev;
  std::uint64_t prev_events = 0;
  auto last_tick = start;
  bool pipe_closed = false;

  auto emit_interval = [&](Clock::time_point now) {
    std::vector<trace::DeviceStats> cur = pipe.tracker().device_stats();
    trace::IntervalView v;
    v.t = std::chrono::duration<double>(now - start).count();
    v.seconds = std::chrono::duration<double>(now - last_tick).count();
    v.events = pipe.tracker().events();
    v.events_delta = v.events - prev_events;
    v.lost = pipe.lost_total();
    v.prev = prev.empty() ? nullptr : &prev;
    v.cur = &cur;
    out.interval(v, ann.annotator(0), st.screen ? terminal_rows() : 0);
    prev = std::move(cur);
    prev_events = v.events;
    last_tick = now;
  };

  while (g_signal == 0 && !pipe.done()) {
    // Sleep up to 100 ms (a signal ends it early), then drain the buffers.
    const auto now0 = Clock::now();
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
    if (!out.flush() || output_closed()) {
      pipe_closed = true;
      break;
    }
    const auto now = Clock::now();
    if (now >= next_tick) {
      emit_interval(now);
      if (!out.flush()) {
        pipe_closed = true;
        break;
      }
      while (next_tick <= now) {
        next_tick += interval;
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
  out.summary(pipe.tracker().summary(), ann.annotator(monotonic_ns()));
  out.flush();
  if (g_signal != 0 && g_signal != SIGINT) {
    src.notice(fmt::format("stopped by signal {}", strsignal(g_signal)));
  }
  return k_exit_ok;
}

} // namespace memmap::machine
