// memmap map: a picture of the CPU physical address map (terminal, SVG, HTML).
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/render/json.hpp>
#include <memmap/render/machine_labels.hpp>
#include <memmap/render/map_html.hpp>
#include <memmap/render/map_layout.hpp>
#include <memmap/render/map_svg.hpp>
#include <memmap/render/map_text.hpp>

#include <unistd.h>

namespace memmap::cli {

namespace {

struct MapArgs {
  std::string range;
  int depth = 0;
  std::string filter;
  int width = 0;
  std::string svg;
  std::string html;
};

constexpr const char* k_footer =
  "Reads /proc/iomem (or --iomem FILE, or --root DIR/proc/iomem); PCI device lines are\n"
  "labelled with their pci.ids name and driver from sysfs when the source has it.\n"
  "Box height grows with the log of the size (1 line below 16M, +1 per 16x); holes are\n"
  "drawn 1 line high whatever their size and marked as scale breaks on the axis.\n"
  "Plain ASCII unless the locale is UTF-8; colour only on a terminal.\n"
  "Examples:\n"
  "  memmap map                               the whole map, terminal width\n"
  "  memmap map --depth 2                     top level and one level inside\n"
  "  memmap map --range c0000000-ffffffff     zoom: only this span\n"
  "  memmap map --filter nvme                 the NVMe BARs and the windows holding them\n"
  "  memmap map --svg map.svg --html map.html a picture to attach to a bug report\n"
  "  memmap --root DIR map --width 120        a captured machine";

int
run_map(const MapArgs& args, Context& ctx)
{
  render::MapOptions opts;
  if (!args.range.empty()) {
    opts.range = render::parse_map_range(args.range);
    if (!opts.range) {
      throw UsageError("--range " + args.range
                       + ": expected START-END or START+SIZE in hex (e.g. c0000000-ffffffff, "
                         "d0000000+256M), START <= END");
    }
  }
  opts.max_depth = args.depth;
  opts.filter = args.filter;

  const auto& space = ctx.iomem();
  const render::MapSources sources = render::map_sources(ctx.device_lookup(), ctx.pci_for_labels());
  const auto layout = render::layout_map(space, opts, sources);

  if (!args.svg.empty()) {
    write_output(ctx, args.svg, "--svg", [&](std::ostream& o) { render::render_map_svg(layout, o); });
  }
  if (!args.html.empty()) {
    write_output(ctx, args.html, "--html",
                 [&](std::ostream& o) { render::render_map_html(layout, o); });
  }
  if (!args.svg.empty() || !args.html.empty()) {
    return 0;
  }
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::map_to_json(layout));
    return 0;
  }
  render::MapTextOptions text;
  text.width = args.width > 0 ? args.width : render::terminal_width(STDOUT_FILENO);
  text.unicode = render::locale_is_utf8();
  render::render_map_text(layout, space.warnings, text, ctx.style(), ctx.out());
  return 0;
}

} // namespace

void
add_map_commands(CLI::App& app, CommandList& cmds)
{
  auto args = std::make_shared<MapArgs>();
  CLI::App* sub = app.add_subcommand(
    "map", "A picture of the CPU physical address map: boxes in the terminal, SVG or HTML");
  sub->add_option("--range", args->range,
                  "Zoom: draw only START-END (hex, inclusive) or START+SIZE; boxes crossing "
                  "its edges are cut (wavy border)")
    ->type_name("START-END");
  sub->add_option("--depth", args->depth, "Draw N levels (1: top level only); default: all")
    ->type_name("N")
    ->check(CLI::PositiveNumber);
  sub->add_option("--filter", args->filter,
                  "Keep regions whose name, kind, device name or driver contains TEXT "
                  "(case-insensitive), with the windows holding them")
    ->type_name("TEXT");
  sub->add_option("--width", args->width,
                  "Draw N columns wide (default: the terminal's width, else $COLUMNS, else 80)")
    ->type_name("N")
    ->check(CLI::Range(40, 1000));
  sub->add_option("--svg", args->svg, "Write a standalone SVG picture to FILE ('-': stdout)")
    ->type_name("FILE");
  sub->add_option("--html", args->html,
                  "Write one self-contained HTML page to FILE ('-': stdout): click to zoom, "
                  "hover for details")
    ->type_name("FILE");
  sub->footer(k_footer);
  cmds.push_back({sub, [args](Context& ctx) { return run_map(*args, ctx); }});
}

} // namespace memmap::cli
