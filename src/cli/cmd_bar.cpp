// memmap bar, memmap tree: PCI devices, their BARs and bridge windows, cross-referenced
// with the CPU address map.
#include "columns.hpp"
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/machine/pci_joins.hpp>
#include <memmap/render/json.hpp>
#include <memmap/pci/selector.hpp>
#include <memmap/render/pci.hpp>

#include <iostream>

namespace memmap::cli {

namespace {

struct BarArgs {
  std::string selector;   // positional or -s
  std::string slot;       // -s
  std::string ids;        // -d
  bool wake = false;
};

int
run_bar(Context& ctx, const BarArgs& args, const render::Columns& cols)
{
  pci::Selector sel;
  if (!args.selector.empty() && !args.slot.empty()) {
    throw UsageError("give the selector either as SELECTOR or as -s, not both");
  }
  const std::string slot = args.selector.empty() ? args.slot : args.selector;
  if (!slot.empty()) {
    pci::parse_slot_selector(slot, sel);
  }
  if (!args.ids.empty()) {
    pci::parse_id_selector(args.ids, sel);
  }
  ctx.set_pci_wake(args.wake);
  // The model is annotated in place with the cross-reference; the Context keeps it loaded.
  auto& model = ctx.pci();
  ctx.report_pci_limits();
  const auto x = machine::cross_reference_maps(ctx.machine(), model);
  render::BarRenderContext rc;
  rc.highest_ram = x.highest_ram;
  rc.iomem_known = x.iomem_known;
  rc.ioports_known = x.ioports_known;
  if (const auto* klog = ctx.machine().kernel_log_for_notes()) {
    rc.klog = klog;
    rc.klog_display = ctx.machine().kernel_log_display();
    rc.klog_records = ctx.machine().kernel_log_is_records();
  }

  std::vector<const pci::Device*> devices;
  for (const auto& d : model.devices) {
    if (sel.matches(d)) {
      devices.push_back(&d);
    }
  }
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::bar_to_json(model, devices, rc));
  } else {
    if (cols.is_default) {
      render::render_bar_text(model, devices, rc, ctx.style(), ctx.out());
    } else {
      render::render_bar_table(devices, rc, cols, ctx.out());
    }
    // A table keeps stdout to its rows; the model's problems then go to stderr.
    auto& warn = cols.is_default ? ctx.out() : ctx.err();
    for (const auto& p : model.problems) {
      warn << "warning: " << p.located() << " [" << p.id << "]\n";
    }
  }
  if (devices.empty() && (!slot.empty() || !args.ids.empty())) {
    ctx.err() << "memmap: no PCI device matches"
              << (slot.empty() ? "" : " -s " + slot) << (args.ids.empty() ? "" : " -d " + args.ids)
              << " in " << model.source << '\n';
    return k_exit_findings;
  }
  return k_exit_ok;
}

int
run_tree(Context& ctx, bool wake)
{
  ctx.set_pci_wake(wake);
  const auto& model = ctx.pci();
  ctx.report_pci_limits();
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::tree_to_json(model));
  } else {
    render::render_tree_text(model, ctx.style(), ctx.out());
  }
  return k_exit_ok;
}

} // namespace

void
add_bar_commands(CLI::App& app, CommandList& cmds)
{
  auto args = std::make_shared<BarArgs>();
  CLI::App* bar = app.add_subcommand(
    "bar", "PCI devices: BARs (bus and CPU addresses, sizes), ROM, bridge windows, capabilities, "
           "Resizable BAR, SR-IOV, each BAR matched to its /proc/iomem line");
  bar->add_option("SELECTOR", args->selector,
                  "Devices to show, as lspci -s: [[[[domain]:]bus]:][slot][.[func]]; default: all")
    ->type_name("SELECTOR");
  bar->add_option("-s,--slot", args->slot, "The same selector as an option (lspci -s)")
    ->type_name("SELECTOR");
  bar->add_option("-d,--id", args->ids, "Devices with these ids, as lspci -d: [vendor]:[device] in hex")
    ->type_name("VEN:DEV");
  bar->add_flag("--wake", args->wake,
                "Also read the config space of functions in D3cold (this wakes them)");
  bar->footer(
    "Reads the PCI devices through libpci: live sysfs (/sys/bus/pci), --root DIR/sys/bus/pci,\n"
    "or an lspci dump (--lspci FILE: lspci -x/-xxx/-xxxx, or the mixed lspci -v -x text whose\n"
    "[size=..] lines give sizes). The bus address comes from config space, the CPU address and\n"
    "size from sysfs `resource` (or the lspci text); each BAR is matched to the /proc/iomem or\n"
    "/proc/ioports line that holds it: the root's (live or --root DIR), or --iomem/--ioports;\n"
    "a dump given without --root is another machine: give its listings with --iomem/--ioports.\n"
    "Exit status 1: the selector matched no device.\n"
    "Examples:\n"
    "  memmap bar                     every device\n"
    "  memmap bar 04:00.0             one function (lspci -s syntax)\n"
    "  memmap bar -d 10de:            every NVIDIA function\n"
    "  memmap bar -o BDF,BAR,RANGE,WHERE   one line per BAR (--list-columns)\n"
    "  memmap --lspci gpu.txt --iomem iomem.txt bar --json");
  auto cols = add_column_options(bar, render::bar_table());
  cmds.push_back({bar, [args, cols](Context& ctx) {
                    return cols->listed(ctx) ? 0 : run_bar(ctx, *args, cols->columns());
                  }});

  auto wake = std::make_shared<bool>(false);
  CLI::App* tree = app.add_subcommand(
    "tree", "The PCI hierarchy (as lspci -tv) with every bridge's windows and every device's BARs");
  tree->add_flag("--wake", *wake, "Also read the config space of functions in D3cold (this wakes them)");
  tree->footer("Root buses, root ports, switches and endpoints as bus numbers link them; each bridge\n"
               "shows its enabled windows and each device its BARs, so one look shows which window\n"
               "holds which BAR (CPU addresses; the bus address is added where they differ).\n"
               "Examples: memmap tree    memmap --root DIR tree --json");
  cmds.push_back({tree, [wake](Context& ctx) { return run_tree(ctx, *wake); }});
}

} // namespace memmap::cli
