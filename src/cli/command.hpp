// The command table: each command module adds its CLI11 subcommand(s) and the action that
// runs when that subcommand was given. Private to the CLI.
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

#include "context.hpp"

#include <memmap/analyze/audit.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/machine/audit.hpp>

#include <memmap/source/archive.hpp>

namespace memmap::cli {

using Action = std::function<int(Context&)>;

struct Command {
  CLI::App* app = nullptr;  // the subcommand
  Action action;            // runs if app->parsed()
};

using CommandList = std::vector<Command>;

// One registration function per command module (cmd_*.cpp). Each adds subcommands to
// `app` and their actions to `cmds`. Listed in app.cpp in the order --help shows them.
void add_resource_commands(CLI::App& app, CommandList& cmds);  // iomem, ioports
void add_audit_commands(CLI::App& app, CommandList& cmds);     // audit
void add_resolve_commands(CLI::App& app, CommandList& cmds);   // resolve
void add_iommu_commands(CLI::App& app, CommandList& cmds);     // iommu-groups
void add_bar_commands(CLI::App& app, CommandList& cmds);       // bar, tree
void add_fit_commands(CLI::App& app, CommandList& cmds);       // fit
void add_map_commands(CLI::App& app, CommandList& cmds);       // map
void add_trace_commands(CLI::App& app, CommandList& cmds);     // trace
void add_snapshot_commands(CLI::App& app, CommandList& cmds);  // snapshot
void add_diff_commands(CLI::App& app, CommandList& cmds);      // diff

// --root FILE.tar.gz: unpack the snapshot tarball into `guard` and point opts.root at it.
// Returns 0, or the exit status after printing why not (cmd_snapshot.cpp).
int unpack_root_tarball(GlobalOptions& opts, std::unique_ptr<source::UnpackedSnapshot>& guard);

// What audit reads, loaded once (also for memmap diff's audit section): machine/audit.hpp.
using AuditModel = machine::AuditModel;
inline void
load_audit_model(Context& ctx, AuditModel& out)
{
  machine::load_audit_model(ctx.machine(), out);
}

// Write an output file the user named (map --svg FILE, --html FILE): "-" is stdout; a file
// that cannot be written is bad usage (UsageError, exit 2).
void write_output(Context& ctx, const std::string& path, const std::string& what,
                  const std::function<void(std::ostream&)>& write);

// The no-subcommand summary.
int run_summary(Context& ctx);

} // namespace memmap::cli
