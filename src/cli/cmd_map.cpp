// memmap map: a picture of the CPU physical address map (terminal, SVG, HTML).
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/render/json.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/render/map_html.hpp>
#include <memmap/render/map_layout.hpp>
#include <memmap/render/map_svg.hpp>
#include <memmap/render/map_text.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
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

void
write_file(const std::string& path, const std::string& what,
           const std::function<void(std::ostream&)>& render, Context& ctx)
{
  if (path == "-") {
    render(ctx.out());
    return;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    throw UsageError(what + " " + path + ": cannot write: " + std::strerror(errno));
  }
  render(f);
  f.flush();
  if (!f) {
    throw UsageError(what + " " + path + ": write failed: " + std::strerror(errno));
  }
}

// The BAR index of `d` whose CPU range is exactly start-end: 0-5, 6 for the ROM, 7 + n for
// the aperture of VF BAR n (the kernel's resource numbering, as Region::owner.bar).
std::optional<int>
bar_index(const pci::Device& d, std::uint64_t start, std::uint64_t end)
{
  const auto same = [&](std::optional<std::uint64_t> cpu, std::optional<std::uint64_t> bus,
                        std::optional<std::uint64_t> size) {
    const auto at = cpu ? cpu : bus;
    return at && size && *size != 0 && *at == start && *size - 1 == end - start;
  };
  for (const auto& b : d.bars) {
    if (same(b.cpu_address, b.bus_address, b.size)) {
      return b.index;
    }
  }
  if (d.rom && same(d.rom->cpu_address, d.rom->bus_address, d.rom->size)) {
    return 6;
  }
  if (d.sriov) {
    for (std::size_t i = 0; i < d.sriov->vf_bars.size(); ++i) {
      const auto& b = d.sriov->vf_bars[i];
      if (same(b.cpu_address, std::nullopt, d.sriov->vf_apertures[i])) {
        return 7 + b.index;
      }
    }
  }
  return std::nullopt;
}

// The host-bridge translation (CPU - bus) of the BARs and bridge windows inside `window`,
// when the model knows both addresses, they differ, and every such BAR agrees.
std::optional<std::int64_t>
window_offset(const pci::PciModel& pcim, const model::Region& window)
{
  std::optional<std::int64_t> found;
  bool conflict = false;
  const auto note = [&](std::optional<std::uint64_t> cpu, std::optional<std::uint64_t> bus) {
    if (!cpu || !bus || *cpu < window.start || *cpu > window.end) {
      return;
    }
    const auto off = static_cast<std::int64_t>(*cpu - *bus);
    if (found && *found != off) {
      conflict = true;
    }
    found = found.value_or(off);
  };
  for (const auto& d : pcim.devices) {
    for (const auto& b : d.bars) {
      if (b.kind == pci::BarKind::mem) {
        note(b.cpu_address, b.bus_address);
      }
    }
    for (const auto& w : d.windows) {
      if (const auto r = w.bus_range(); r && w.kind != pci::WindowKind::io) {
        note(w.cpu_start, r->first);
      }
    }
  }
  if (conflict || !found || *found == 0) {
    return std::nullopt;
  }
  return found;
}

// Names and drivers from sysfs; with the PCI model also NUMA node, IOMMU group, BAR
// indexes and host-bridge offsets (the model is left out when it cannot be loaded).
render::MapSources
map_sources(Context& ctx)
{
  render::MapSources sources = render::map_sources_from(ctx.device_lookup());
  const pci::PciModel* pcim = ctx.pci_for_labels();
  if (pcim == nullptr) {
    return sources;
  }
  sources.device = [pcim, fallback = sources.device](
                     const std::string& bdf) -> std::optional<render::MapDeviceInfo> {
    auto info = fallback ? fallback(bdf) : std::nullopt;
    const pci::Device* d = pcim->find(bdf);
    if (d == nullptr) {
      return info;
    }
    if (!info) {
      info = render::MapDeviceInfo{d->name, d->driver, std::nullopt, std::nullopt};
    }
    info->numa_node = d->numa_node;
    info->iommu_group = d->iommu_group;
    return info;
  };
  sources.bar = [pcim](const std::string& bdf, std::uint64_t start,
                        std::uint64_t end) -> std::optional<int> {
    const pci::Device* d = pcim->find(bdf);
    return d ? bar_index(*d, start, end) : std::nullopt;
  };
  sources.bus_offset = [pcim](const model::Region& window) {
    return window_offset(*pcim, window);
  };
  return sources;
}

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
  const render::MapSources sources = map_sources(ctx);
  const auto layout = render::layout_map(space, opts, sources);

  if (!args.svg.empty()) {
    write_file(args.svg, "--svg", [&](std::ostream& o) { render::render_map_svg(layout, o); },
               ctx);
  }
  if (!args.html.empty()) {
    write_file(args.html, "--html", [&](std::ostream& o) { render::render_map_html(layout, o); },
               ctx);
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
