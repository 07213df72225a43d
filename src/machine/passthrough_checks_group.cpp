// Pre-flight checks of the group itself: its members, their identity, its reserved regions
// and default domain type, and foreign claims in the members' BARs.
#include "passthrough_internal.hpp"

#include <memmap/pci/device.hpp>
#include <memmap/util/text.hpp>

#include <set>
#include <fmt/format.h>

namespace memmap::machine::detail {

namespace {

using util::join;

std::string
hexr(std::uint64_t a, std::uint64_t b)
{
  return fmt::format("{:#x}-{:#x}", a, b);
}

// The problem the reader recorded about one file of the group, if any.
std::string
problem_about(const iommu::IommuState& st, const std::string& file)
{
  for (const auto& p : st.problems) {
    const auto loc = p.located();
    if (loc.rfind(file, 0) == 0) {
      return loc;
    }
  }
  return {};
}

std::string
group_type_meaning(const std::string& t)
{
  if (t == "DMA" || t == "DMA-FQ") {
    return "the host translates the group's DMA; VFIO gives it a domain of its own when the "
           "group is opened";
  }
  if (t == "identity") {
    return "the host passes the group's DMA through untranslated (iommu=pt); VFIO gives it a "
           "domain of its own when the group is opened";
  }
  if (t == "unknown") {
    return "the kernel reports no default domain";
  }
  return "the group's default domain";
}

} // namespace

void
Builder::check_members()
{
  auto& c = add("group-members", m_g.path + "/devices", false);
  c.ran = true;
  c.result = fmt::format("{} in group {}", plural(m_g.devices.size(), "member", "members"),
                         m_g.id);
}

void
Builder::check_identity()
{
  auto& c = add("pci-identity", m_in.pci ? m_in.pci->source : std::string("the PCI devices"),
                false);
  if (!m_in.pci) {
    c.result = "the PCI devices were not loaded: " + m_in.pci_why
               + "; no member's class, ids, driver or role is known";
    return;
  }
  std::vector<std::string> missing;
  std::vector<std::string> no_driver;
  for (const auto& m : m_r.members) {
    if (!m.pci_known) {
      missing.push_back(m.bdf);
    } else if (!m.driver) {
      no_driver.push_back(m.bdf);
    }
  }
  if (!missing.empty()) {
    c.result = fmt::format("{} not in {}: {} class, ids, driver and role unknown",
                           join(missing), m_in.pci->source,
                           missing.size() == 1 ? "its" : "their");
    return;
  }
  if (!no_driver.empty()) {
    c.result = fmt::format("the driver of {} is unknown (the source does not say)",
                           join(no_driver));
    return;
  }
  c.ran = true;
  c.result = "class, ids, bound driver and role of every member";
}

void
Builder::check_reserved()
{
  const std::string file = m_g.path + "/reserved_regions";
  auto& c = add("reserved-regions", file, true);
  if (!m_g.reserved_known) {
    const auto p = problem_about(*m_in.iommu, file);
    c.result = p.empty() ? file + ": missing (kernel before 4.11?)" : p;
    return;
  }
  c.ran = true;
  std::vector<std::string> direct;
  for (const auto& rr : m_g.reserved) {
    if (rr.type == "direct") {
      direct.push_back(hexr(rr.start, rr.end));
      block("reserved-regions", "", "a direct-mapped region " + hexr(rr.start, rr.end),
            fmt::format("{}:{}: the firmware requires this range identity-mapped for a "
                        "member (an Intel RMRR); the kernel refuses to attach such a device "
                        "to a VFIO domain",
                        file, rr.line),
            "a firmware update or setting that drops the RMRR for the device; nothing on the "
            "Linux side lifts it");
    }
  }
  c.result = direct.empty() ? plural(m_g.reserved.size(), "region", "regions")
                                + ", none direct (firmware identity-mapped)"
                            : "direct: " + join(direct);
}

void
Builder::check_type()
{
  auto& c = add("group-type", m_g.path + "/type", false);
  if (!m_g.type_known) {
    c.result = problem_about(*m_in.iommu, m_g.path + "/type");
    if (c.result.empty()) {
      c.result = m_g.path + "/type: missing (kernel before 5.11?)";
    }
    return;
  }
  c.ran = true;
  c.result = m_g.type + ": " + group_type_meaning(m_g.type);
}

void
Builder::check_claims()
{
  auto& c = add("bar-claims", m_in.iomem ? m_in.iomem->source : std::string("/proc/iomem"),
                true);
  if (!m_in.iomem) {
    c.result = "not read: " + m_in.iomem_why;
    return;
  }
  if (m_in.iomem->addresses_hidden) {
    c.result = m_in.iomem->source + " shows no addresses (not read as root)";
    return;
  }
  std::set<std::string> only(m_g.devices.begin(), m_g.devices.end());
  const auto claims = find_foreign_claims(*m_in.iomem, m_in.pci, &only);
  for (const auto& f : claims) {
    block("bar-claims", f.bdf,
          fmt::format("{} in {} of {}", f.name,
                      f.bar ? (*f.bar == 6 ? std::string("the ROM")
                                           : fmt::format("BAR {}", *f.bar))
                            : "the region " + hexr(f.bar_start, f.bar_end),
                      f.bdf),
          // The kernel's words only where the BAR index is known (vfio-pci requests 0-5).
          fmt::format("{}: held by {}; vfio-pci cannot reserve the BAR{} while it is there",
                      f.evidence, f.holder,
                      f.bar && *f.bar < 6
                        ? fmt::format(" (\"BAR {}: can't reserve\")", *f.bar)
                        : std::string()),
          f.fix);
  }
  bool drivers_known = m_in.pci != nullptr;
  for (const auto& m : m_r.members) {
    drivers_known = drivers_known && m.driver.has_value();
  }
  if (!drivers_known) {
    c.result = "the members' drivers are unknown: only firmware framebuffers were looked for"
               + std::string(claims.empty() ? " (none found)" : "");
    return;
  }
  c.ran = true;
  c.result = claims.empty() ? "no claim in the members' BARs but their drivers'"
                            : plural(claims.size(), "foreign claim", "foreign claims");
}

} // namespace memmap::machine::detail
