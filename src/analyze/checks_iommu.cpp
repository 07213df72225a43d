// Checks on IOMMU groups.
#include <memmap/analyze/audit.hpp>

#include <memmap/iommu/groups.hpp>
#include <memmap/iommu/isolation.hpp>
#include <memmap/iommu/pci_topology.hpp>
#include <memmap/pci/device.hpp>

#include <fmt/format.h>

namespace memmap::analyze {

namespace {

void
check_absent(const AuditSources& s, std::vector<Finding>& out)
{
  if (s.iommu->present()) {
    return;
  }
  Finding f;
  f.id = "iommu-absent";
  f.severity = Severity::info;
  f.subject.region = "sys/kernel/iommu_groups";
  f.message = "no IOMMU is active: devices DMA to physical addresses without isolation";
  f.evidence = {fmt::format("{} IOMMU groups, {} IOMMU units", s.iommu->groups.size(),
                            s.iommu->units.size())};
  if (!s.iommu->cmdline.empty()) {
    std::string c;
    for (const auto& t : s.iommu->cmdline) {
      c += (c.empty() ? "" : " ") + t;
    }
    f.evidence.push_back("kernel command line: " + c);
  }
  f.hint = "Enable VT-d/AMD-Vi in firmware (and intel_iommu=on where it defaults off); "
           "`memmap iommu-groups` says what to check.";
  out.push_back(std::move(f));
}

void
check_shared(const AuditSources& s, std::vector<Finding>& out)
{
  const auto topo = iommu::topology_from_pci(*s.pci);
  const std::set<std::string> off(s.iommu->acs_redir_off.begin(), s.iommu->acs_redir_off.end());
  for (const auto& g : s.iommu->groups) {
    const auto cause = iommu::explain_group(g.devices, topo, off);
    if (cause.isolated || g.devices.size() < 2) {
      continue;
    }
    // One finding per endpoint that shares the group with devices outside its slot.
    for (const auto& bdf : g.devices) {
      const auto* d = s.pci->find(bdf);
      if (d && d->is_bridge()) {
        continue;
      }
      std::vector<std::string> others;
      for (const auto& o : g.devices) {
        if (iommu::slot_of(o) != iommu::slot_of(bdf)) {
          others.push_back(o);
        }
      }
      Finding f;
      f.id = "iommu-group-shared";
      f.severity = Severity::warning;
      f.subject.bdf = bdf;
      f.subject.group = g.id;
      std::string list;
      for (std::size_t i = 0; i < others.size(); ++i) {
        list += (i ? ", " : "") + others[i];
      }
      f.message = fmt::format("{} shares IOMMU group {} with {} ({}{})", bdf, g.id, list,
                              cause.kind, cause.device ? " " + *cause.device : "");
      f.evidence = {fmt::format("{}/devices: {} members", g.path, g.devices.size()), cause.reason};
      f.hint = "It can only be passed through together with them; `memmap iommu-groups --device "
               + bdf + "` is the pre-flight.";
      out.push_back(std::move(f));
    }
  }
}

void
check_no_group(const AuditSources& s, std::vector<Finding>& out)
{
  if (!s.iommu->present()) {
    return;
  }
  for (const auto& d : s.pci->devices) {
    if (s.iommu->group_of.count(d.bdf)) {
      continue;
    }
    Finding f;
    f.id = "iommu-no-group";
    f.severity = d.absent ? Severity::info : Severity::warning;
    f.subject.bdf = d.bdf;
    f.message = d.absent ? fmt::format("{} reads all ones (powered off or gone) and is in no "
                                       "IOMMU group",
                                       d.bdf)
                         : fmt::format("{} is in no IOMMU group although an IOMMU is active",
                                       d.bdf);
    f.evidence = {fmt::format("{}: no iommu_group link", d.bdf)};
    f.hint = "The device is not behind the IOMMU (a DMAR/IVRS scope gap in firmware, or it "
             "appeared after the IOMMU set up); its DMA is not translated or isolated.";
    out.push_back(std::move(f));
  }
}

} // namespace

void
add_iommu_checks(std::vector<Check>& out)
{
  out.push_back({"iommu-absent", Severity::info, Needs::iommu,
                 "No IOMMU is active", check_absent});
  out.push_back({"iommu-group-shared", Severity::warning, Needs::pci_and_iommu,
                 "An endpoint shares its IOMMU group with devices of another slot (reason "
                 "included; functions of one slot sharing a group are normal)",
                 check_shared});
  out.push_back({"iommu-no-group", Severity::warning, Needs::pci_and_iommu,
                 "A PCI function in no IOMMU group while an IOMMU is active", check_no_group});
}

} // namespace memmap::analyze
