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

// One finding per group whose endpoints span more than one slot. Bridges do not count: VFIO
// takes a group whose bridges stay on the host (on pcieport or no driver), so an endpoint
// that shares its group only with its own upstream ports is not "shared" for passthrough.
void
check_shared(const AuditSources& s, std::vector<Finding>& out)
{
  const auto topo = iommu::topology_from_pci(*s.pci);
  const std::set<std::string> off(s.iommu->acs_redir_off.begin(), s.iommu->acs_redir_off.end());
  for (const auto& g : s.iommu->groups) {
    std::vector<std::string> endpoints;
    std::set<std::string> slots;
    for (const auto& bdf : g.devices) {
      const auto* d = s.pci->find(bdf);
      if (d && d->is_bridge()) {
        continue;
      }
      endpoints.push_back(bdf);
      slots.insert(iommu::slot_of(bdf));
    }
    if (slots.size() < 2) {
      continue;
    }
    const auto cause = iommu::explain_group(g.devices, topo, off);
    Finding f;
    f.id = "iommu-group-shared";
    f.severity = Severity::warning;
    // Keyed by its first endpoint (group numbers change between boots; the fingerprint
    // follows the device).
    f.subject.bdf = endpoints.front();
    f.subject.group = g.id;
    std::string list;
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      list += (i ? ", " : "") + endpoints[i];
    }
    f.message = fmt::format("IOMMU group {} holds {} endpoints of {} slots: {} ({}{})", g.id,
                            endpoints.size(), slots.size(), list, cause.kind,
                            cause.device ? " " + *cause.device : "");
    const std::size_t bridges = g.devices.size() - endpoints.size();
    f.evidence = {fmt::format("{}/devices: {} members ({} bridge{})", g.path, g.devices.size(),
                              bridges, bridges == 1 ? "" : "s"),
                  cause.reason};
    f.hint = "They can only be passed through together; `memmap iommu-groups --device "
             + endpoints.front() + "` is the pre-flight.";
    out.push_back(std::move(f));
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
                 "An IOMMU group holds endpoints of more than one slot: one finding per group "
                 "(functions of one slot, and an endpoint with its own upstream ports, are "
                 "normal)",
                 check_shared});
  out.push_back({"iommu-no-group", Severity::warning, Needs::pci_and_iommu,
                 "A PCI function in no IOMMU group while an IOMMU is active", check_no_group});
}

} // namespace memmap::analyze
