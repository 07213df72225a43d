#include "command.hpp"

#include <memmap/render/machine_labels.hpp>
#include <memmap/source/files.hpp>

#include <ostream>
#include <unistd.h>

namespace memmap::cli {

Context::Context(GlobalOptions opts, std::ostream& out, std::ostream& err)
  : m_opts(std::move(opts)),
    m_out(out),
    m_err(err),
    m_style(render::want_color(m_opts.color, STDOUT_FILENO)),
    m_err_style(render::want_color(m_opts.color, STDERR_FILENO)),
    m_machine(machine::MachineArgs{{m_opts.root, m_opts.iomem_file, m_opts.ioports_file,
                                    m_opts.lspci_file, m_opts.dmesg_file},
                                   m_opts.strict},
              [this](const std::string& msg) { m_err << "memmap: " << msg << '\n'; })
{
}

render::DeviceLookup
Context::device_lookup()
{
  const auto& briefs = m_machine.device_briefs();
  return render::device_lookup(briefs, m_machine.pci_for_labels());
}

void
write_output(Context& ctx, const std::string& path, const std::string& what,
             const std::function<void(std::ostream&)>& write)
{
  if (path == "-") {
    write(ctx.out());
    return;
  }
  if (const auto why = source::write_output_file(path, write); !why.empty()) {
    throw UsageError(what + " " + path + ": " + why);
  }
}

} // namespace memmap::cli
