// memmap diff, section "iommu": IOMMU groups, their types, reserved regions and isolation
// verdicts in A against B (see iommu/diff.hpp).
#include "diff.hpp"

#include <memmap/error.hpp>
#include <memmap/iommu/diff.hpp>
#include <memmap/iommu/pci_topology.hpp>

#include <fmt/format.h>

namespace memmap::cli {

namespace {

struct IommuSide {
  iommu::IommuState state;
  std::optional<iommu::Topology> topology;
};

IommuSide
read_side(Context& c, const char* name, SectionResult& r)
{
  IommuSide s;
  s.state = iommu::read_iommu_state(c.root());
  for (const auto& p : s.state.problems) {
    r.notes.push_back(fmt::format("{}: {}", name, p.located()));
  }
  if (!s.state.groups.empty()) {
    try {
      s.topology = iommu::topology_from_pci(c.pci());
    } catch (const SourceError& e) {
      r.notes.push_back(fmt::format("isolation verdicts not compared: {} has no PCI model ({})",
                                    name, e.what()));
    }
  }
  return s;
}

SectionResult
compare_iommu(Context& a, Context& b)
{
  SectionResult r;
  const IommuSide sa = read_side(a, "A", r);
  const IommuSide sb = read_side(b, "B", r);
  const bool has_a = sa.state.present() || sa.state.groups_dir_present;
  const bool has_b = sb.state.present() || sb.state.groups_dir_present;
  if (!has_a && !has_b) {
    r.compared = false;
    r.notes.push_back("not compared: neither A nor B has IOMMU groups (no IOMMU, or it is off)");
    return r;
  }
  for (const auto& [has, side] : {std::pair{has_a, "A"}, std::pair{has_b, "B"}}) {
    if (!has) {
      r.notes.push_back(fmt::format("{} has no IOMMU groups (no IOMMU, or it is off)", side));
    }
  }
  const bool verdicts = sa.topology && sb.topology;
  iommu::DiffSide da{&sa.state, verdicts ? &*sa.topology : nullptr};
  iommu::DiffSide db{&sb.state, verdicts ? &*sb.topology : nullptr};
  r.changes = iommu::diff_states(da, db);
  return r;
}

} // namespace

void
add_iommu_diff_sections(DiffSectionList& sections)
{
  sections.push_back({"iommu", "IOMMU groups (/sys/kernel/iommu_groups)", compare_iommu});
}

} // namespace memmap::cli
