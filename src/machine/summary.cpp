#include <memmap/machine/summary.hpp>

#include <memmap/error.hpp>
#include <memmap/machine/machine.hpp>

namespace memmap::machine {

namespace {

TreeSection
load_tree(Machine& m, model::SpaceKind kind)
{
  TreeSection s;
  try {
    s.space = kind == model::SpaceKind::io_port ? &m.ioports() : &m.iomem();
  } catch (const SourceError& e) {
    s.error = e.what();
    s.exit_code = k_exit_unreadable;
  } catch (const InputError& e) {
    s.error = e.what();
    s.exit_code = k_exit_bad_input;
  }
  if (!s.error.empty()) {
    m.notice(s.error);
  }
  return s;
}

PciSection
load_pci(Machine& m)
{
  PciSection s;
  const auto& part = m.plan().of(Part::pci);
  if (part.from == From::none) {
    s.why = part.why_none;
  } else if (part.from == From::file) {
    try {
      s.functions = m.pci().devices.size();
      s.source = part.file;
    } catch (const std::exception& e) {
      s.why = e.what();
    }
  } else if (!m.root().exists("sys/bus/pci/devices")) {
    s.why = m.root().display("sys/bus/pci/devices") + ": not in this source";
  } else {
    s.functions = m.device_briefs().size();
    s.source = m.root().display("sys/bus/pci/devices");
  }
  return s;
}

} // namespace

int
summary_exit(const TreeSection& iomem, const TreeSection& ioports)
{
  if (iomem.exit_code == k_exit_bad_input || ioports.exit_code == k_exit_bad_input) {
    return k_exit_bad_input;
  }
  return iomem.space || ioports.space ? k_exit_ok : k_exit_unreadable;
}

SummaryReport
summarize(Machine& m)
{
  SummaryReport r;
  r.files_only = m.plan().files_only();
  r.live = m.root().is_live();
  r.prefix = m.root().prefix().string();
  r.plan = m.plan().describe();
  r.iomem = load_tree(m, model::SpaceKind::cpu_physical);
  r.ioports = load_tree(m, model::SpaceKind::io_port);
  r.pci = load_pci(m);
  for (const auto* s : {&r.iomem, &r.ioports}) {
    if (!s->error.empty()) {
      r.unavailable.push_back(s->error);
    }
  }
  if (!r.pci.functions) {
    r.unavailable.push_back(r.pci.why);
  }
  for (const auto* s : {&r.iomem, &r.ioports}) {
    if (s->space && s->space->addresses_hidden) {
      r.unavailable.push_back(s->space->source + ": addresses hidden (not root)");
    }
  }
  r.exit_code = summary_exit(r.iomem, r.ioports);
  return r;
}

} // namespace memmap::machine
