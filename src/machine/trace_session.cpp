// memmap trace on a saved trace (--input) and on CONFIG_DMA_API_DEBUG's dump (--dma-debug).
// The live capture is in trace_live.cpp.
#include <memmap/machine/trace_session.hpp>

#include <fmt/format.h>

#include <memmap/error.hpp>
#include <memmap/source/tracefs.hpp>
#include <memmap/trace/record_decoder.hpp>
#include <memmap/trace/text_parser.hpp>

#include "trace_pipeline.hpp"

namespace memmap::machine {

using trace_detail::g_signal;
using trace_detail::Pipeline;

int
run_offline_trace(const TraceRequest& req, const TraceSources& src, TraceOutput& out)
{
  TraceAnnotations ann(src, false);
  Pipeline pipe(req, out, select_trace_devices(*src.root, req.devices, req.drivers));
  const source::TraceInput input = source::TraceInput::open(req.input);
  if (trace::is_dat_header(input.head(16))) {
    trace::read_dat_trace(input, pipe.sink());
    out.summary(pipe.tracker().summary(), ann.annotator(0));
    return k_exit_ok;
  }
  const std::string& display = input.display();
  const trace::TextStats st = trace::read_text_trace(
    input.fd(), display, pipe.sink(), [&] { return pipe.done() || g_signal != 0; });
  for (const auto& e : st.first_errors) {
    out.problem(e);
  }
  if (st.malformed > st.first_errors.size()) {
    out.problem(fmt::format("{}: {} more malformed event lines", display,
                            st.malformed - st.first_errors.size()));
  }
  if (st.records == 0 && st.lost == 0 && st.lines > 0) {
    throw InputError(fmt::format(
      "{}: no trace event lines: expected the tracefs trace file, trace_pipe output, "
      "trace-cmd report output or a trace-cmd trace.dat",
      display));
  }
  out.summary(pipe.tracker().summary(), ann.annotator(0));
  if (st.malformed != 0) {
    out.problem(fmt::format("{}: {} malformed event lines were skipped", display, st.malformed));
    return k_exit_bad_input;
  }
  return k_exit_ok;
}

int
run_dma_debug(const TraceSources& src, TraceOutput& out)
{
  const auto& root = *src.root;
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
  auto entries = trace::parse_dma_debug_dump(dump.data, root.display(dir + "/dump"));
  trace::DebugCounters c;
  auto num = [&](const char* name) -> std::optional<std::uint64_t> {
    if (auto l = root.read_line(dir + "/" + name)) {
      try {
        return std::stoull(*l);
      } catch (const std::exception&) {
        src.notice(fmt::format("{}: not a number: '{}'", root.display(dir + "/" + name), *l));
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
  out.dma_debug(trace::make_debug_report(std::move(entries), std::move(c)));
  return k_exit_ok;
}

} // namespace memmap::machine
