// memmap iommu-groups: the IOMMU groups, why devices share one, and the passthrough pre-flight.
// Loads the sources; machine/passthrough decides and render/iommu writes.
#include "columns.hpp"
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/machine/passthrough.hpp>
#include <memmap/pci/selector.hpp>
#include <memmap/render/iommu.hpp>
#include <memmap/source/host_facts.hpp>

#include <fmt/format.h>

namespace memmap::cli {

namespace {

struct IommuArgs {
  std::string device;  // --device SEL
};

// What the listing and the pre-flight read. Owns what `in` points into.
struct Loaded {
  iommu::IommuState state;
  source::HostFacts host;
  machine::PassthroughInputs in;
};

void
load_common(Context& ctx, Loaded& l, bool addresses)
{
  const auto& root = ctx.sysfs();  // throws when the plan has no sysfs (another machine's files)
  l.state = iommu::read_iommu_state(root);
  for (const auto& p : l.state.problems) {
    ctx.notice(p.located());
  }
  l.in.iommu = &l.state;
  l.in.live = root.is_live();
  ctx.set_pci_addresses(addresses);  // the listing needs names, drivers and topology only
  l.in.pci = load_or_why(l.in.pci_why, [&]() -> auto& { return ctx.pci(); });
  if (!l.in.pci) {
    ctx.notice(l.in.pci_why + ": devices are listed without names or topology");
  } else {
    for (const auto& p : l.in.pci->problems) {
      if (p.id == "pci-function-vanished") {
        ctx.notice(p.located());  // a hot-removed function: its group membership is unknown
      }
    }
    if (l.in.pci->config_truncated) {
      ctx.notice("config space beyond 64 bytes needs root: ACS and PCIe port types are not "
                 "visible, so group causes may read 'unknown'");
    }
  }
}

void
load_iomem(Context& ctx, Loaded& l)
{
  l.in.iomem = load_or_why(l.in.iomem_why, [&]() -> auto& { return ctx.iomem(); });
}

render::IommuNames
names_of(Context& ctx)
{
  const auto& root = ctx.sysfs();
  return {root.display("sys/kernel/iommu_groups"), root.display("sys/class/iommu"),
          root.display("proc/cmdline"), root.display("proc/iomem")};
}

// Malformed IOMMU files make the run exit 2 once everything readable has been shown.
bool
malformed(const iommu::IommuState& st)
{
  for (const auto& p : st.problems) {
    if (p.severity == model::Severity::error) {
      return true;
    }
  }
  return false;
}

// The one function --device names, in the lspci -s grammar every command takes.
std::string
resolve_device(Context& ctx, const Loaded& l, const std::string& sel)
{
  std::vector<std::string> known;
  if (l.in.pci) {
    for (const auto& d : l.in.pci->devices) {
      known.push_back(d.bdf);
    }
  }
  for (const auto& [bdf, id] : l.state.group_of) {
    known.push_back(bdf);
  }
  for (const auto& name : ctx.sysfs().list("sys/bus/pci/devices")) {
    known.push_back(name);
  }
  if (known.empty()) {
    // Nothing lists the functions (a capture without sys/): only a full address is usable.
    if (auto bdf = model::parse_bdf(sel)) {
      return *bdf;
    }
    pci::Selector check;
    pci::parse_slot_selector(sel, check, "--device");  // a bad selector says what is wrong
    throw UsageError(fmt::format("--device {}: this source lists no PCI functions to match it "
                                 "against; give the full address (DDDD:BB:DD.F)",
                                 sel));
  }
  return pci::select_one(sel, known, "--device");
}

int
run_preflight(Context& ctx, const std::string& sel)
{
  Loaded l;
  load_common(ctx, l, true);
  const std::string bdf = resolve_device(ctx, l, sel);
  load_iomem(ctx, l);
  std::vector<std::string> members;
  if (auto it = l.state.group_of.find(bdf); it != l.state.group_of.end()) {
    members = l.state.find(it->second)->devices;
  }
  l.host = source::read_host_facts(ctx.sysfs(), members);
  l.in.host = &l.host;
  const auto report = machine::preflight(bdf, l.in);
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::preflight_to_json(l.state, report));
  } else {
    const auto units = l.in.iomem ? machine::iommu_units_in_iomem(*l.in.iomem)
                                  : std::vector<std::string>();
    render::render_preflight_text(l.state, report, units, names_of(ctx), ctx.style(), ctx.out());
  }
  switch (report.verdict) {
  case machine::Verdict::passable: return malformed(l.state) ? k_exit_bad_input : k_exit_ok;
  case machine::Verdict::blocked:
  case machine::Verdict::bridge:
  case machine::Verdict::no_group: return k_exit_findings;
  case machine::Verdict::as_far_as_checked:
  case machine::Verdict::not_captured: break;
  }
  if (malformed(l.state)) {
    return k_exit_bad_input;
  }
  const auto missing = report.not_run();
  ctx.notice(report.verdict == machine::Verdict::not_captured
               ? fmt::format("iommu-groups --device {}: the IOMMU groups are not in this source "
                             "(exit 3)",
                             bdf)
               : fmt::format("iommu-groups --device {}: {} check{} did not run ({}): passable "
                             "only as far as checked (exit 3)",
                             bdf, missing.size(), missing.size() == 1 ? "" : "s",
                             fmt::join(missing, ", ")));
  return k_exit_unreadable;
}

int
run_listing(Context& ctx, const render::Columns& cols)
{
  Loaded l;
  load_common(ctx, l, false);
  if (!l.state.present()) {
    load_iomem(ctx, l);  // IOMMU register regions hint at a machine whose groups were not taken
  }
  std::vector<std::string> all;
  for (const auto& g : l.state.groups) {
    all.insert(all.end(), g.devices.begin(), g.devices.end());
  }
  l.host = source::read_host_facts(ctx.sysfs(), all);
  l.in.host = &l.host;
  const auto listing = machine::list_groups(l.in);
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::iommu_groups_to_json(l.state, listing));
  } else {
    render::render_iommu_groups_text(l.state, listing, names_of(ctx), ctx.style(), ctx.out(),
                                     cols);
  }
  if (malformed(l.state)) {
    return k_exit_bad_input;
  }
  if (listing.not_captured) {
    ctx.notice(fmt::format("iommu-groups: {} is not in this source; exit 3",
                           ctx.sysfs().display("sys/kernel/iommu_groups")));
    return k_exit_unreadable;
  }
  return k_exit_ok;
}

} // namespace

void
add_iommu_commands(CLI::App& app, CommandList& cmds)
{
  auto args = std::make_shared<IommuArgs>();
  CLI::App* sub = app.add_subcommand(
    "iommu-groups", "IOMMU groups: their devices, reserved regions and why devices share one");
  sub->add_option("--device", args->device,
                  "Passthrough pre-flight for one PCI function (lspci -s form: 04:00.0, 4:0.0, "
                  "0000:04:00.0): what goes with it, what the host would lose, every check it "
                  "rests on, the verdict and how to bind it to vfio-pci")
    ->type_name("SEL");
  sub->footer("Reads /sys/kernel/iommu_groups, /sys/class/iommu, /proc/cmdline and the PCI\n"
              "topology (ACS of every port on the way up), as the kernel groups devices;\n"
              "--device also reads /proc/iomem, /proc/self/mountinfo, sys/dev/block and\n"
              "sys/bus/usb for what the host needs.\n"
              "Exit with --device: 0 passable (every check ran), 1 blocked or not in a group,\n"
              "2 bad usage or malformed files, 3 no blocker found but some check did not run.\n"
              "Examples: memmap iommu-groups    memmap iommu-groups --device 04:00.0\n"
              "          memmap --root SNAPSHOT iommu-groups --json");
  auto cols = add_column_options(sub, render::iommu_groups_table());
  sub->get_option("--output")->excludes("--device");  // the pre-flight is a report, not rows
  cmds.push_back({sub, [args, cols](Context& ctx) {
                    if (cols->listed(ctx)) {
                      return 0;
                    }
                    return args->device.empty() ? run_listing(ctx, cols->columns())
                                                : run_preflight(ctx, args->device);
                  }});
}

} // namespace memmap::cli
