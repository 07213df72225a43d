// The event path shared by memmap trace's live and offline runs: the device filter, the
// tracker, --events and --count. Private to src/machine (trace_session.cpp, trace_live.cpp).
#pragma once

#include <csignal>
#include <set>
#include <string>
#include <vector>

#include <memmap/machine/trace_session.hpp>
#include <memmap/trace/text_parser.hpp>
#include <memmap/trace/tracker.hpp>

namespace memmap::machine::trace_detail {

// The signal that ends a live capture (SIGINT, SIGTERM, SIGHUP), 0 while none came
// (trace_live.cpp installs the handlers).
extern volatile std::sig_atomic_t g_signal;

class Pipeline {
public:
  Pipeline(const TraceRequest& req, TraceOutput& out, const std::vector<std::string>& devices)
    : m_req(req), m_out(out), m_devices(devices.begin(), devices.end())
  {
  }

  void event(const trace::DmaEvent& ev)
  {
    if (m_done) {
      return;
    }
    if (!m_devices.empty() && m_devices.count(ev.device) == 0) {
      return;  // includes iommu map/unmap, which carry no device
    }
    m_tracker.add(ev);
    if (m_req.events) {
      m_out.event(ev);
    }
    if (m_req.count != 0 && m_tracker.events() >= m_req.count) {
      m_done = true;
    }
  }

  void lost(std::uint64_t n)
  {
    if (!m_done) {
      m_tracker.add_lost(n);
    }
  }

  trace::EventSink sink()
  {
    return trace::EventSink{[this](const trace::DmaEvent& ev) { event(ev); },
                            [this](std::uint64_t n) { lost(n); }};
  }

  bool done() const { return m_done; }
  const bool* done_flag() const { return &m_done; }
  trace::Tracker& tracker() { return m_tracker; }
  std::uint64_t lost_total() const { return m_tracker.summary().lost_events; }

private:
  const TraceRequest& m_req;
  TraceOutput& m_out;
  std::set<std::string> m_devices;
  trace::Tracker m_tracker;
  bool m_done = false;
};

} // namespace memmap::machine::trace_detail
