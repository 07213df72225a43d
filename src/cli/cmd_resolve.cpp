// memmap resolve ADDR: every region that contains an address, in its own address space.
// machine/resolve loads the sources the plan gives and resolves; render/resolve writes.
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/machine/resolve.hpp>
#include <memmap/render/resolve.hpp>
#include <memmap/util/hex.hpp>

#include <fmt/format.h>

namespace memmap::cli {

namespace {

struct ResolveArgs {
  std::string address;
  bool bus = false;
  bool io = false;
  bool iova = false;
  int group = -1;
};

machine::Space
space_of(const ResolveArgs& a)
{
  if (a.iova && a.group < 0) {
    throw UsageError("resolve --iova needs --group N (an IOVA means something only within one "
                     "IOMMU group)");
  }
  if (int(a.bus) + int(a.io) + int(a.iova) > 1) {
    throw UsageError("resolve: --bus, --io and --iova are different spaces; give one");
  }
  return a.iova ? machine::Space::iova
         : a.bus ? machine::Space::pci_bus
         : a.io  ? machine::Space::io_port
                 : machine::Space::cpu_physical;
}

int
run_resolve(Context& ctx, const ResolveArgs& a)
{
  const machine::Space space = space_of(a);
  const auto addr = util::parse_hex_u64(a.address);
  if (!addr) {
    throw UsageError(fmt::format("resolve {}: not a hexadecimal address (e.g. 0xfb001234)",
                                 a.address));
  }
  machine::ResolveSources src;
  machine::load_resolve_sources(ctx.machine(), space, a.group, src);
  const auto report = machine::resolve(*addr, space, src.in);
  if (report.inconclusive) {
    const std::string why = machine::inconclusive_why(report);
    ctx.err() << fmt::format("memmap: resolve {:#x}: not found, and the source that would hold "
                             "it was not searched: {}\n",
                             *addr, why);
    return k_exit_unreadable;  // as every command's exit 3: the reason, nothing on stdout
  }
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::resolve_to_json(report));
  } else {
    render::render_resolve_text(report, ctx.style(), ctx.out());
  }
  return report.found ? k_exit_ok : k_exit_findings;
}

} // namespace

void
add_resolve_commands(CLI::App& app, CommandList& cmds)
{
  auto a = std::make_shared<ResolveArgs>();
  CLI::App* sub = app.add_subcommand(
    "resolve", "Every region, device, BAR and window that contains an address, in its own space");
  sub->add_option("ADDR", a->address, "The address, hexadecimal (0xfb001234 or fb001234)")
    ->required();
  sub->add_flag("--bus", a->bus,
                "ADDR is a PCI bus address (what a BAR register holds); shows the CPU address "
                "it corresponds to");
  sub->add_flag("--io", a->io, "ADDR is an I/O port (/proc/ioports, I/O BARs and windows)");
  sub->add_flag("--iova", a->iova, "ADDR is an I/O virtual address of one IOMMU group (with --group)");
  sub->add_option("--group", a->group, "The IOMMU group of an --iova address")->type_name("N");
  sub->footer("Without --bus, --io or --iova, ADDR is a CPU physical address: it never matches\n"
              "an I/O port, I/O BAR or I/O window (those are another address space).\n"
              "Exit: 0 found, 1 nothing contains it, 2 bad usage, 3 not found and the source that\n"
              "would hold it could not be searched (not read, or hidden without root).\n"
              "Examples: memmap resolve 0xfb001234    memmap resolve --bus 0xd0000000\n"
              "          memmap resolve --io 0xc000   memmap resolve --iova --group 12 0xfee00000");
  cmds.push_back({sub, [a](Context& ctx) { return run_resolve(ctx, *a); }});
}

} // namespace memmap::cli
