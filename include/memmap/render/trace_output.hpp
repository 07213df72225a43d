// memmap trace's output as a run produces it (machine::TraceOutput): JSON lines or text on
// `out`, problems as "memmap: MSG" lines on `err`. Text and JSON come from the same structs
// (render/trace.hpp).
#pragma once

#include <iosfwd>
#include <string>
#include <utility>

#include <memmap/machine/trace_session.hpp>
#include <memmap/render/fields.hpp>
#include <memmap/render/format.hpp>

namespace memmap::render {

class TraceWriter final : public machine::TraceOutput {
public:
  // `events`: --events was given (every event is written; live intervals are then not).
  // `columns`: -o, the summary's per-device table (render_summary_text).
  TraceWriter(std::ostream& out, std::ostream& err, const Style& style, bool json, bool events,
              Columns columns = {})
    : m_out(out), m_err(err), m_style(style), m_json(json), m_events(events),
      m_columns(std::move(columns))
  {
  }

  void event(const trace::DmaEvent& ev) override;
  void start(const machine::LiveStart& s) override;
  void interval(const trace::IntervalView& v, const trace::Annotator& a, int rows) override;
  void summary(const trace::Summary& s, const trace::Annotator& a) override;
  void dma_debug(const trace::DebugReport& r) override;
  void problem(const std::string& msg) override;
  bool flush() override;

private:
  std::ostream& m_out;
  std::ostream& m_err;
  const Style& m_style;
  bool m_json;
  bool m_events;
  Columns m_columns;
  bool m_screen = false;  // the live view is on a terminal (from start())
  std::string m_header;   // its first line
};

} // namespace memmap::render
