#include <memmap/render/trace_output.hpp>

#include <ostream>

#include <fmt/format.h>

#include <memmap/render/json.hpp>
#include <memmap/render/trace.hpp>

namespace memmap::render {

void
TraceWriter::event(const trace::DmaEvent& ev)
{
  if (m_json) {
    write_json(m_out, event_to_json(ev), JsonLayout::line);
  } else {
    m_out << event_to_text(ev) << '\n';
  }
}

void
TraceWriter::start(const machine::LiveStart& s)
{
  m_screen = s.screen;
  const auto& setup = s.setup;
  m_header = fmt::format(
    "memmap trace: DMA mappings per device ({}/instances/{}; Ctrl-C for the summary)",
    setup.tracing_dir, setup.instance);
  if (m_json) {
    Json start = json_document();
    start["type"] = "start";
    start["tracing_dir"] = setup.tracing_dir;
    start["instance"] = setup.instance;
    start["events_enabled"] = setup.enabled;
    start["events_missing"] = setup.missing;
    start["devices"] = s.devices;
    start["kernel_filtered"] = setup.filtered;
    start["interval_s"] = s.interval_s;
    write_json(m_out, start, JsonLayout::line);
  } else if (!m_screen) {
    m_out << fmt::format("tracing {} events in {}/instances/{}{}\n", setup.enabled.size(),
                         setup.tracing_dir, setup.instance,
                         s.devices.empty() ? "" : fmt::format(" ({} devices)", s.devices.size()));
  }
}

void
TraceWriter::interval(const trace::IntervalView& v, const trace::Annotator& a, int rows)
{
  if (m_json) {
    if (!m_events) {
      write_json(m_out, interval_to_json(v, a), JsonLayout::line);
    }
  } else if (m_screen) {
    render_live_screen(v, a, m_header, m_style, rows, m_out);
  } else if (!m_events) {
    render_interval_lines(v, a, m_out);
  }
}

void
TraceWriter::summary(const trace::Summary& s, const trace::Annotator& a)
{
  if (m_screen) {
    m_out << '\n';
  }
  if (m_json) {
    write_json(m_out, summary_to_json(s, a), JsonLayout::line);
  } else {
    render_summary_text(s, a, m_style, m_out, m_columns);
  }
}

void
TraceWriter::dma_debug(const trace::DebugReport& r)
{
  if (m_json) {
    write_json(m_out, dma_debug_to_json(r), JsonLayout::line);
  } else {
    render_dma_debug_text(r, m_style, m_out);
  }
}

void
TraceWriter::problem(const std::string& msg)
{
  m_err << "memmap: " << msg << '\n';
}

bool
TraceWriter::flush()
{
  m_out.flush();
  return m_out.good();
}

} // namespace memmap::render
