// memmap iommu-groups: the IOMMU groups, why devices share one, and the passthrough pre-flight.
// machine/iommu_report loads and decides; render/iommu writes.
#include "columns.hpp"
#include "command.hpp"

#include <memmap/machine/iommu_report.hpp>
#include <memmap/render/iommu.hpp>

namespace memmap::cli {

namespace {

struct IommuArgs {
  std::string device;  // --device SEL
};

render::IommuNames
names_of(Context& ctx)
{
  const auto& root = ctx.sysfs();
  return {root.display("sys/kernel/iommu_groups"), root.display("sys/class/iommu"),
          root.display("proc/cmdline"), root.display("proc/iomem")};
}

int
run_preflight(Context& ctx, const std::string& sel)
{
  machine::IommuSources s;
  const auto run = machine::run_preflight(ctx.machine(), s, sel);
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::preflight_to_json(s.state, run.report));
  } else {
    render::render_preflight_text(s.state, run.report, run.iommu_units, names_of(ctx),
                                  ctx.style(), ctx.out());
  }
  if (!run.notice.empty()) {
    ctx.notice(run.notice);
  }
  return run.exit_code;
}

int
run_listing(Context& ctx, const render::Columns& cols)
{
  machine::IommuSources s;
  const auto run = machine::run_listing(ctx.machine(), s);
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::iommu_groups_to_json(s.state, run.listing));
  } else {
    render::render_iommu_groups_text(s.state, run.listing, names_of(ctx), ctx.style(),
                                     ctx.out(), cols);
  }
  if (!run.notice.empty()) {
    ctx.notice(run.notice);
  }
  return run.exit_code;
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
