// memmap trace: DMA mappings per device, live from tracefs (memmap's own instance), from a
// saved trace (--input), or from CONFIG_DMA_API_DEBUG's dump (--dma-debug). The runs are in
// machine/trace_session.hpp, the output in render/trace_output.hpp.
#include "columns.hpp"
#include "command.hpp"

#include <memory>

#include <memmap/error.hpp>
#include <memmap/machine/trace_session.hpp>
#include <memmap/render/trace.hpp>
#include <memmap/render/trace_output.hpp>

namespace memmap::cli {

namespace {

machine::TraceSources
trace_sources(Context& ctx)
{
  machine::TraceSources src;
  src.root = &ctx.root();
  src.plan = &ctx.plan();
  src.root_given = !ctx.options().root.empty();
  src.iomem_given = !ctx.options().iomem_file.empty();
  src.json = ctx.options().json;
  src.iomem = [&ctx]() -> const model::AddressSpace& { return ctx.iomem(); };
  src.notice = [&ctx](const std::string& msg) { ctx.notice(msg); };
  return src;
}

int
run_trace(Context& ctx, const machine::TraceRequest& req, bool dma_debug,
          const render::Columns& cols)
{
  const machine::TraceSources src = trace_sources(ctx);
  render::TraceWriter out(ctx.out(), ctx.err(), ctx.style(), ctx.options().json, req.events,
                          cols);
  if (dma_debug) {
    if (!req.input.empty()) {
      throw UsageError("trace: --dma-debug and --input exclude each other");
    }
    return machine::run_dma_debug(src, out);
  }
  if (!req.input.empty()) {
    return machine::run_offline_trace(req, src, out);
  }
  return machine::run_live_trace(req, src, out);
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
  auto args = std::make_shared<machine::TraceRequest>();
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
  auto dma_debug = std::make_shared<bool>(false);
  sub->add_flag("--dma-debug", *dma_debug,
                "Show CONFIG_DMA_API_DEBUG's active mappings (/sys/kernel/debug/dma-api/dump) "
                "and error counters instead");
  sub->add_option("--buffer-kb", args->buffer_kb,
                  "Per-CPU ring buffer of memmap's instance, in KiB (default 2048)")
    ->type_name("KB")
    ->check(CLI::Range(64, 1 << 20));
  sub->footer(k_footer);
  auto cols = add_column_options(sub, render::trace_devices_table());
  cmds.push_back({sub, [args, dma_debug, cols](Context& ctx) {
                    return cols->listed(ctx) ? 0
                                             : run_trace(ctx, *args, *dma_debug, cols->columns());
                  }});
}

} // namespace memmap::cli
