// memmap snapshot OUT: capture every file memmap reads into a sysroot (directory or
// .tar.gz) that `memmap --root OUT ...` reads back.
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/render/json.hpp>
#include <memmap/render/snapshot.hpp>
#include <memmap/snapshot/capture.hpp>
#include <memmap/source/files.hpp>

#include <ctime>
#include <iostream>
#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace memmap::cli {

namespace {

struct SnapshotArgs {
  std::string out;
  bool force = false;
};

int
run_snapshot(Context& ctx, const SnapshotArgs& args)
{
  const auto& o = ctx.options();
  if (!o.iomem_file.empty() || !o.ioports_file.empty() || !o.lspci_file.empty()) {
    throw UsageError("snapshot copies a sysroot (live, or --root DIR); --iomem, --ioports and "
                     "--lspci files are not part of one");
  }
  const auto& root = ctx.root();
  if (!root.is_live()) {
    // Refuse to write the copy inside the tree being copied.
    if (source::is_within(args.out, root.prefix())) {
      throw UsageError(fmt::format("{}: is inside the sysroot being copied ({})", args.out,
                                   root.prefix().string()));
    }
  }
  const std::time_t now = std::time(nullptr);
  auto sink = source::open_snapshot_sink(args.out, args.force, now);
  const auto result = snapshot::capture(root, *sink);

  snapshot::ManifestInfo info;
  info.created = now;
  info.uid = ::getuid();
  info.euid = ::geteuid();
  if (root.is_live()) {
    struct utsname u {};
    if (::uname(&u) == 0) {
      info.machine = u.machine;
    }
  }
  const auto manifest = snapshot::make_manifest(root, *sink, result, info);
  sink->file(source::k_manifest_name, render::json_text(render::manifest_to_json(manifest)) + "\n");
  sink->finish();

  const bool nothing = !sink->has("proc/iomem") && !sink->has("proc/ioports")
                       && result.pci_devices == 0;
  if (o.json) {
    render::write_json(ctx.out(), render::manifest_to_json(manifest));
  } else {
    render::render_snapshot_text(manifest, args.out, ctx.style(), ctx.out());
  }
  if (!result.incomplete.empty() && ::geteuid() != 0 && root.is_live()) {
    ctx.notice("not root: the snapshot lacks addresses and most of config space (see "
               "'Incomplete'); run as root for a complete one");
  }
  return nothing ? k_exit_unreadable : k_exit_ok;
}

} // namespace

int
unpack_root_tarball(GlobalOptions& opts, std::unique_ptr<source::UnpackedSnapshot>& guard)
{
  if (opts.root.empty() || !source::is_regular_file(opts.root)) {
    return 0;
  }
  try {
    guard = source::unpack_snapshot(opts.root);
  } catch (const InputError& e) {
    std::cerr << "memmap: --root " << e.what() << '\n';
    return k_exit_bad_input;
  } catch (const SourceError& e) {
    std::cerr << "memmap: --root " << e.what() << '\n';
    return k_exit_unreadable;
  }
  opts.root = guard->root().string();
  return 0;
}

void
add_snapshot_commands(CLI::App& app, CommandList& cmds)
{
  auto args = std::make_shared<SnapshotArgs>();
  CLI::App* sub = app.add_subcommand(
    "snapshot", "Copy every file memmap reads into OUT (a directory or OUT.tar.gz)");
  sub->add_option("OUT", args->out,
                  "Directory to create (or an empty one), or a file ending in .tar.gz/.tgz")
    ->required()
    ->type_name("OUT");
  sub->add_flag("--force", args->force,
                "Replace OUT if it holds a previous snapshot (only proc/, sys/ and the "
                "manifest; anything else is refused)");
  sub->footer(
    "Copies /proc/iomem, /proc/ioports, /proc/cmdline, mountinfo, the sysfs PCI device\n"
    "attributes (config, resource, links as relative symbolic links), IOMMU groups,\n"
    "/sys/class/iommu, USB device IDs, the root file system's block device and\n"
    "/sys/kernel/debug/dma-api (if present), the kernel log (/dev/kmsg, as\n"
    "var/log/memmap-kmsg), plus memmap-snapshot.json (kernel, host, time,\n"
    "uid, and what could not be read). Run it as root: without root the kernel zeroes\n"
    "addresses and config space past 64 bytes, and the manifest says so.\n"
    "Examples: sudo memmap snapshot /tmp/host1          memmap --root /tmp/host1 iomem\n"
    "          sudo memmap snapshot host1.tar.gz        memmap diff host1.tar.gz live\n"
    "          memmap --root /tmp/host1 snapshot /tmp/copy   (re-snapshot a snapshot)");
  cmds.push_back({sub, [args](Context& ctx) { return run_snapshot(ctx, *args); }});
}

} // namespace memmap::cli
