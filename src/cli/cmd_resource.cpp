// memmap iomem, memmap ioports: the kernel's resource trees.
#include "columns.hpp"
#include "command.hpp"

#include <memmap/render/resource_tree.hpp>
#include <memmap/render/json.hpp>

#include <iostream>

namespace memmap::cli {

namespace {

struct TreeArgs {
  render::TreeOptions tree;
};

void
add_tree_command(CLI::App& app, CommandList& cmds, const char* name, const char* help,
                 model::SpaceKind kind)
{
  auto args = std::make_shared<TreeArgs>();
  CLI::App* sub = app.add_subcommand(name, help);
  sub->add_option("--depth", args->tree.max_depth,
                  "Show N levels (1: top level only); default: all")
    ->type_name("N")
    ->check(CLI::PositiveNumber);
  sub->add_flag("--flat", args->tree.flat,
                "One line per region with its full path (PARENT > CHILD) instead of indenting");
  sub->add_option("--filter", args->tree.filter,
                  "Keep regions whose name, kind, device name or driver contains TEXT "
                  "(case-insensitive), with their ancestors and everything below them")
    ->type_name("TEXT");
  sub->footer(kind == model::SpaceKind::io_port
                ? "Reads /proc/ioports (or --ioports FILE, or --root DIR/proc/ioports).\n"
                  "Example: memmap ioports --filter PCI"
                : "Reads /proc/iomem (or --iomem FILE, or --root DIR/proc/iomem) and labels\n"
                  "PCI device lines with their pci.ids name and [driver] from sysfs.\n"
                  "Examples: memmap iomem --depth 2    memmap iomem --filter nvme --json");
  auto cols = add_column_options(sub, render::resource_table());
  cmds.push_back({sub, [args, kind, cols](Context& ctx) {
                    if (cols->listed(ctx)) {
                      return 0;
                    }
                    args->tree.columns = cols->columns();
                    const auto& space =
                      kind == model::SpaceKind::io_port ? ctx.ioports() : ctx.iomem();
                    auto lookup = ctx.device_lookup();
                    if (ctx.options().json) {
                      render::write_json(ctx.out(), render::tree_to_json(space, args->tree, lookup));
                    } else {
                      render::render_tree_text(space, args->tree, lookup, ctx.style(),
                                               ctx.out());
                    }
                    return 0;
                  }});
}

} // namespace

void
add_resource_commands(CLI::App& app, CommandList& cmds)
{
  add_tree_command(app, cmds, "iomem",
                   "The CPU physical address map (/proc/iomem) as a tree",
                   model::SpaceKind::cpu_physical);
  add_tree_command(app, cmds, "ioports", "The I/O port map (/proc/ioports) as a tree",
                   model::SpaceKind::io_port);
}

} // namespace memmap::cli
