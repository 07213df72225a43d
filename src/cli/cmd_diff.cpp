// memmap diff A B: what changed between two captures of a machine (snapshot directories,
// snapshot tarballs, or `live`). Options and dispatch only: machine/diff compares, render/diff
// writes.
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/machine/diff.hpp>
#include <memmap/render/diff.hpp>
#include <memmap/render/json.hpp>

#include <fmt/format.h>

namespace memmap::cli {

namespace {

struct DiffArgs {
  std::string a;
  std::string b;
  std::vector<std::string> only;
};

std::string
section_ids()
{
  std::string ids;
  for (const auto& s : machine::diff_section_list()) {
    ids += (ids.empty() ? "" : ", ") + std::string(s.id);
  }
  return ids;
}

// One side: its files and a Context reading them.
struct Side {
  machine::DiffRoot files;
  std::unique_ptr<Context> ctx;
  machine::DiffInputs in;
};

Side
open_side(const std::string& spec, const char* which, Context& parent)
{
  Side s;
  s.files = machine::open_diff_root(spec, which);
  GlobalOptions o = parent.options();
  o.root = s.files.root;
  s.ctx = std::make_unique<Context>(o, parent.out(), parent.err());
  Context& c = *s.ctx;
  s.in.iomem = [&c]() -> const model::AddressSpace& { return c.iomem(); };
  s.in.ioports = [&c]() -> const model::AddressSpace& { return c.ioports(); };
  s.in.pci = [&c]() -> const pci::PciModel& { return c.pci(); };
  s.in.iommu = [&c] { return iommu::read_iommu_state(c.root()); };
  s.in.audit = [&c](const std::function<void(const analyze::AuditSources&)>& use) {
    AuditModel m;
    load_audit_model(c, m);
    use(m.src);
  };
  return s;
}

int
run_diff(Context& ctx, const DiffArgs& args)
{
  const auto& o = ctx.options();
  if (!o.root.empty() || !o.iomem_file.empty() || !o.ioports_file.empty()
      || !o.lspci_file.empty()) {
    throw UsageError("diff reads its two sources from A and B; --root, --iomem, --ioports and "
                     "--lspci do not apply");
  }
  std::vector<std::string> only;
  for (const auto& id : args.only) {
    if (machine::find_diff_section(id) == nullptr) {
      throw UsageError(fmt::format("--only {}: no such section (sections: {})", id, section_ids()));
    }
    if (std::find(only.begin(), only.end(), id) == only.end()) {
      only.push_back(id);
    }
  }
  Side a = open_side(args.a, "A", ctx);
  Side b = open_side(args.b, "B", ctx);
  const auto report = machine::diff_machines(
    machine::describe_diff_side(a.files, a.files.root.empty() ? nullptr : &a.ctx->root()), a.in,
    machine::describe_diff_side(b.files, b.files.root.empty() ? nullptr : &b.ctx->root()), b.in,
    only);
  if (o.json) {
    render::write_json(ctx.out(), render::diff_json(report));
  } else {
    render::render_diff_text(report, ctx.style(), ctx.out());
  }
  return report.compared == 0       ? k_exit_unreadable
         : report.differences > 0 ? k_exit_findings
                                  : k_exit_ok;
}

} // namespace

void
add_diff_commands(CLI::App& app, CommandList& cmds)
{
  auto args = std::make_shared<DiffArgs>();
  CLI::App* sub = app.add_subcommand(
    "diff", "What changed between two snapshots (or a snapshot and the live machine)");
  sub->add_option("A", args->a, "Before: a snapshot directory, a snapshot .tar.gz, or 'live'")
    ->required()
    ->type_name("A");
  sub->add_option("B", args->b, "After: the same kinds")->required()->type_name("B");
  sub->add_option("--only", args->only,
                  "Compare only these sections (comma-separated): " + section_ids())
    ->type_name("SECTION")
    ->delimiter(',')
    ->allow_extra_args(false);
  sub->footer(
    "A and B are compared section by section. Regions of /proc/iomem and /proc/ioports are\n"
    "matched by name and nesting, and reported as added (+), removed (-), moved, resized\n"
    "or changed (~). PCI functions are matched by address (0000:01:00.0): BARs, ROM, VF\n"
    "BARs and bridge windows per index or kind, driver, Resizable BAR sizes. IOMMU groups\n"
    "are matched by their members, not their numbers (which change across boots):\n"
    "membership, type, reserved regions and isolation verdict; a device found in another\n"
    "group is 'moved'.\n"
    "A section missing from A or B is not compared (and not a difference).\n"
    "Exit status: 0 no differences, 1 differences, 2 bad usage or a malformed source,\n"
    "3 nothing could be compared.\n"
    "Examples: memmap diff before/ after/          memmap diff golden.tar.gz live\n"
    "          memmap diff --only iomem a/ b/ --json\n"
    "          memmap diff --only pci,iommu before.tar.gz after.tar.gz");
  cmds.push_back({sub, [args](Context& ctx) { return run_diff(ctx, *args); }});
}

} // namespace memmap::cli
