// memmap diff's sections and their report: resource trees, PCI, IOMMU (the audit section
// is diff_audit.cpp, the sides diff_side.cpp).
#include <memmap/machine/diff.hpp>

#include <memmap/error.hpp>
#include <memmap/iommu/diff.hpp>
#include <memmap/iommu/pci_topology.hpp>
#include <memmap/pci/diff.hpp>

#include <fmt/format.h>

namespace memmap::machine {

const std::vector<DiffSectionInfo>&
diff_section_list()
{
  static const std::vector<DiffSectionInfo> list = {
    {"iomem", "CPU physical (/proc/iomem)"},
    {"ioports", "I/O ports (/proc/ioports)"},
    {"pci", "PCI devices (/sys/bus/pci)"},
    {"iommu", "IOMMU groups (/sys/kernel/iommu_groups)"},
    {"audit", "Audit findings"},
  };
  return list;
}

const DiffSectionInfo*
find_diff_section(const std::string& id)
{
  for (const auto& s : diff_section_list()) {
    if (id == s.id) {
      return &s;
    }
  }
  return nullptr;
}

std::optional<bool>
DiffReport::same() const
{
  if (differences > 0) {
    return false;
  }
  return not_compared.empty() ? std::optional<bool>(true) : std::nullopt;
}

namespace {

// Both sides' part, or "not compared" notes naming what each side lacks.
template <typename T>
bool
load_both(const std::function<const T&()>& la, const std::function<const T&()>& lb,
          const T*& a, const T*& b, DiffSectionReport& r)
{
  auto load = [&](const std::function<const T&()>& l, const char* side) -> const T* {
    try {
      return &l();
    } catch (const SourceError& e) {
      r.notes.push_back(fmt::format("not compared: {} has none ({})", side, e.what()));
      return nullptr;
    }
  };
  a = load(la, "A");
  b = load(lb, "B");
  r.compared = a != nullptr && b != nullptr;
  return r.compared;
}

void
compare_trees(DiffInputs& a, DiffInputs& b, bool io, DiffSectionReport& r)
{
  const model::AddressSpace* sa = nullptr;
  const model::AddressSpace* sb = nullptr;
  if (!load_both(io ? a.ioports : a.iomem, io ? b.ioports : b.iomem, sa, sb, r)) {
    return;
  }
  for (const auto& [s, side] : {std::pair{sa, "A"}, std::pair{sb, "B"}}) {
    if (s->addresses_hidden) {
      r.notes.push_back(fmt::format("addresses hidden in {} (read without root): names and "
                                    "nesting compared only",
                                    side));
    }
  }
  r.changes = model::diff_address_spaces(*sa, *sb);
}

void
compare_pci(DiffInputs& a, DiffInputs& b, DiffSectionReport& r)
{
  const pci::PciModel* ma = nullptr;
  const pci::PciModel* mb = nullptr;
  if (!load_both(a.pci, b.pci, ma, mb, r)) {
    return;
  }
  for (const auto& [m, side] : {std::pair{ma, "A"}, std::pair{mb, "B"}}) {
    if (m->config_truncated) {
      r.notes.push_back(fmt::format("config space beyond 64 bytes hidden in {} (read without "
                                    "root): Resizable BAR and SR-IOV compared partially",
                                    side));
    }
  }
  r.changes = pci::diff_models(*ma, *mb);
}

struct IommuSide {
  iommu::IommuState state;
  std::optional<iommu::Topology> topology;
};

IommuSide
read_iommu_side(DiffInputs& in, const char* name, DiffSectionReport& r)
{
  IommuSide s;
  s.state = in.iommu();
  for (const auto& p : s.state.problems) {
    r.notes.push_back(fmt::format("{}: {}", name, p.located()));
  }
  if (!s.state.groups.empty()) {
    try {
      s.topology = iommu::topology_from_pci(in.pci());
    } catch (const SourceError& e) {
      r.notes.push_back(fmt::format("isolation verdicts not compared: {} has no PCI model ({})",
                                    name, e.what()));
    }
  }
  return s;
}

void
compare_iommu(DiffInputs& a, DiffInputs& b, DiffSectionReport& r)
{
  const IommuSide sa = read_iommu_side(a, "A", r);
  const IommuSide sb = read_iommu_side(b, "B", r);
  const bool has_a = sa.state.present() || sa.state.groups_dir_present;
  const bool has_b = sb.state.present() || sb.state.groups_dir_present;
  if (!has_a && !has_b) {
    r.compared = false;
    r.notes.push_back("not compared: neither A nor B has IOMMU groups (no IOMMU, or it is off)");
    return;
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
}

DiffSectionReport
compare_section(const DiffSectionInfo& s, DiffInputs& a, DiffInputs& b)
{
  const std::string id = s.id;
  if (id == "audit") {
    return diff_audit(a, b);
  }
  DiffSectionReport r;
  r.section = s;
  if (id == "iomem" || id == "ioports") {
    compare_trees(a, b, id == "ioports", r);
  } else if (id == "pci") {
    compare_pci(a, b, r);
  } else {
    compare_iommu(a, b, r);
  }
  return r;
}

} // namespace

DiffReport
diff_machines(DiffSideInfo info_a, DiffInputs& a, DiffSideInfo info_b, DiffInputs& b,
              const std::vector<std::string>& sections)
{
  DiffReport rep;
  rep.a = std::move(info_a);
  rep.b = std::move(info_b);
  std::vector<const DiffSectionInfo*> chosen;
  for (const auto& id : sections) {
    if (const auto* s = find_diff_section(id)) {
      chosen.push_back(s);
    }
  }
  if (sections.empty()) {
    for (const auto& s : diff_section_list()) {
      chosen.push_back(&s);
    }
  }
  for (const auto* s : chosen) {
    auto r = compare_section(*s, a, b);
    rep.differences += r.changes.size();
    rep.compared += r.compared ? 1 : 0;
    if (!r.compared) {
      rep.not_compared.push_back(s->id);
    }
    rep.sections.push_back(std::move(r));
  }
  return rep;
}

} // namespace memmap::machine
