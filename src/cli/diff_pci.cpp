// memmap diff, section "pci": the PCI model of A against B (see pci/diff.hpp).
#include "diff.hpp"

#include <memmap/error.hpp>
#include <memmap/pci/diff.hpp>

#include <fmt/format.h>

namespace memmap::cli {

namespace {

SectionResult
compare_pci(Context& a, Context& b)
{
  SectionResult r;
  auto load = [](Context& c, std::string& err) -> const pci::PciModel* {
    try {
      return &c.pci();
    } catch (const SourceError& e) {
      err = e.what();
      return nullptr;
    }
  };
  std::string ea;
  std::string eb;
  const auto* ma = load(a, ea);
  const auto* mb = load(b, eb);
  if (ma == nullptr || mb == nullptr) {
    r.compared = false;
    if (ma == nullptr) {
      r.notes.push_back("not compared: A has none (" + ea + ")");
    }
    if (mb == nullptr) {
      r.notes.push_back("not compared: B has none (" + eb + ")");
    }
    return r;
  }
  for (const auto& [m, side] : {std::pair{ma, "A"}, std::pair{mb, "B"}}) {
    if (m->config_truncated) {
      r.notes.push_back(fmt::format("config space beyond 64 bytes hidden in {} (read without "
                                    "root): Resizable BAR and SR-IOV compared partially",
                                    side));
    }
  }
  r.changes = pci::diff_models(*ma, *mb);
  return r;
}

} // namespace

void
add_pci_diff_sections(DiffSectionList& sections)
{
  sections.push_back({"pci", "PCI devices (/sys/bus/pci)", compare_pci});
}

} // namespace memmap::cli
