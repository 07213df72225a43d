#include <memmap/cli.hpp>

#include <memmap/error.hpp>
#include <memmap/render/control_filter.hpp>
#include <memmap/render/format.hpp>
#include <memmap/source/files.hpp>

#include "command.hpp"

#include <cstdio>
#include <iostream>
#include <sstream>

#include <unistd.h>

namespace memmap::cli {

namespace {

constexpr const char* k_description =
  "memmap: one model of this machine's address spaces (CPU physical, I/O ports, PCI bus,\n"
  "IOMMU), read from /proc, sysfs and tracefs, or from a captured sysroot or single files.\n"
  "Run with no command for a one-screen summary.";

constexpr const char* k_footer =
  "Sources: live by default; --root DIR reads DIR/proc/... and DIR/sys/... instead;\n"
  "--iomem/--ioports FILE read one saved listing (e.g. `cat /proc/iomem > FILE` as root).\n"
  "\n"
  "Exit status:\n"
  "  0  success (also when some sources were unreadable; what is missing is said on stderr)\n"
  "  1  findings or differences (audit, diff)\n"
  "  2  bad input (a malformed file, reported as FILE:LINE: reason) or bad usage\n"
  "  3  a source the command needs could not be read at all (missing, permission)\n"
  "\n"
  "Environment: NO_COLOR disables colour (colour is used only on a terminal).\n"
  "See memmap(8) for every command, JSON field and file read.";

} // namespace

int
run(int argc, char** argv)
{
  CLI::App app{k_description, "memmap"};
  app.footer(k_footer);
  app.set_version_flag("-V,--version", std::string("memmap ") + MEMMAP_VERSION);
  app.require_subcommand(0, 1);
  app.fallthrough();

  GlobalOptions opts;
  app.add_option("--root", opts.root,
                 "Read a captured sysroot: DIR/proc/iomem, DIR/sys/bus/pci, ... instead of /")
    ->type_name("DIR");
  app.add_option("--iomem", opts.iomem_file, "Read this /proc/iomem listing instead")
    ->type_name("FILE");
  app.add_option("--ioports", opts.ioports_file, "Read this /proc/ioports listing instead")
    ->type_name("FILE");
  app.add_flag("--strict", opts.strict,
               "Reject an iomem/ioports listing whose indentation is not the kernel's (exit 2) "
               "instead of rebuilding its tree by address containment");
  app.add_option("--lspci", opts.lspci_file,
                 "Read PCI devices from an lspci -x/-xxx/-xxxx (or -v -x) dump")
    ->type_name("FILE");
  app.add_option("--dmesg", opts.dmesg_file,
                 "Read the kernel log from a saved dmesg, dmesg -T or journalctl -k text (or "
                 "/dev/kmsg records) instead of /dev/kmsg")
    ->type_name("FILE");
  app.add_flag("--json", opts.json, "Write JSON (a stable, documented contract) instead of text");
  app.add_option("--color", opts.color, "Colour output: auto (a terminal, NO_COLOR unset), always, never")
    ->type_name("WHEN")
    ->check(CLI::IsMember({"auto", "always", "never"}));

  CommandList cmds;
  add_resource_commands(app, cmds);
  add_bar_commands(app, cmds);
  add_fit_commands(app, cmds);
  add_iommu_commands(app, cmds);
  add_audit_commands(app, cmds);
  add_resolve_commands(app, cmds);
  add_map_commands(app, cmds);
  add_trace_commands(app, cmds);
  add_snapshot_commands(app, cmds);
  add_diff_commands(app, cmds);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "memmap: " << e.what() << "\n"
              << "Try 'memmap --help' for more information.\n";
    return k_exit_bad_input;
  }

  // From here on, names read from files reach the terminal: their control characters are
  // shown escaped, never obeyed (render/control_filter.hpp). Only memmap's own colours pass.
  const render::ControlFilter safe_out(std::cout, render::want_color(opts.color, STDOUT_FILENO));
  const render::ControlFilter safe_err(std::cerr, render::want_color(opts.color, STDERR_FILENO));

  std::unique_ptr<source::UnpackedSnapshot> unpacked_root;  // --root SNAPSHOT.tar.gz
  if (const int rc = unpack_root_tarball(opts, unpacked_root); rc != 0) {
    return rc;
  }
  if (!opts.root.empty() && !source::is_directory(opts.root)) {
    std::cerr << "memmap: --root " << opts.root << ": not a directory (a captured sysroot "
              << "holds proc/ and sys/)\n"
              << "Try 'memmap --help' for more information.\n";
    return k_exit_bad_input;
  }

  Context ctx(opts, std::cout, std::cerr);
  try {
    for (auto& cmd : cmds) {
      if (cmd.app->parsed()) {
        const int rc = cmd.action(ctx);
        std::cout.flush();
        return rc;
      }
    }
    const int rc = run_summary(ctx);
    std::cout.flush();
    return rc;
  } catch (const InputError& e) {
    std::cout.flush();
    std::cerr << "memmap: " << e.what() << '\n';
    return k_exit_bad_input;
  } catch (const UsageError& e) {
    std::cout.flush();
    std::cerr << "memmap: " << e.what() << '\n';
    return k_exit_bad_input;
  } catch (const SourceError& e) {
    std::cout.flush();
    std::cerr << "memmap: " << e.what() << '\n';
    return k_exit_unreadable;
  }
}

} // namespace memmap::cli
