// The pre-flight of one IOMMU group (memmap passthrough BDF) and the group listing: the
// Builder's frame and verdict, and the public entry points. The checks themselves are in
// passthrough_checks_*.cpp and passthrough_bind.cpp; the members in passthrough_members.cpp;
// the claims in BARs come from analyze/foreign_claims.
#include <memmap/machine/passthrough.hpp>

#include "passthrough_internal.hpp"

#include <memmap/iommu/pci_topology.hpp>
#include <memmap/util/text.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace memmap::machine {

namespace detail {

using util::join;

std::string
plural(std::size_t n, std::string_view one, std::string_view many)
{
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

void
Builder::run()
{
  check_members();
  check_identity();
  check_host_devices();
  check_boot_vga();
  check_root_fs();
  check_keyboard();
  check_reset();
  check_reserved();
  check_type();
  check_claims();
  bind_suggestion();
  check_vfio_ids();
  check_cmdline();
  decide();
}

PreflightCheck&
Builder::add(std::string id, std::string source, bool can_block)
{
  m_r.checks.push_back({std::move(id), std::move(source), false, "", can_block});
  return m_r.checks.back();
}

void
Builder::block(const std::string& check, const std::string& bdf, std::string what,
               std::string why, std::string fix)
{
  m_r.blockers.push_back({check, bdf, std::move(what), std::move(why), std::move(fix)});
}

void
Builder::warn(const std::string& check, std::optional<std::string> bdf, std::string msg)
{
  m_r.warnings.push_back({check, std::move(bdf), std::move(msg)});
}

std::vector<std::string>
Builder::endpoints() const
{
  std::vector<std::string> out;
  for (const auto& m : m_r.members) {
    if (m.role == Role::endpoint) {
      out.push_back(m.bdf);
    }
  }
  return out;
}

const Member*
Builder::member(const std::string& bdf) const
{
  for (const auto& m : m_r.members) {
    if (m.bdf == bdf) {
      return &m;
    }
  }
  return nullptr;
}

void
Builder::decide()
{
  const Member* self = member(m_r.bdf);
  const auto eps = endpoints();
  if (self && self->role == Role::bridge) {
    m_r.verdict = Verdict::bridge;
    m_r.reason = fmt::format(
      "{} is a bridge: VFIO never gives a bridge to a guest; it stays with the host while "
      "the group's endpoints are passed{}",
      m_r.bdf,
      eps.empty() ? std::string(", and this group has none")
                  : fmt::format(" (run the pre-flight for {})", join(eps)));
    return;
  }
  if (!m_r.blockers.empty()) {
    m_r.verdict = Verdict::blocked;
    std::vector<std::string> losing;
    std::vector<std::string> until;
    std::vector<std::string> refused;
    for (const auto& b : m_r.blockers) {
      if (b.check == "bar-claims") {
        until.push_back(b.what + " is freed");
      } else if (b.check == "reserved-regions") {
        refused.push_back(b.what);
      } else {
        const Member* m = member(b.bdf);
        const bool drv = m && m->driver && !m->driver->empty();
        const std::string item =
          fmt::format("{} {}{}", b.what, b.bdf, drv ? " (" + *m->driver + ")" : "");
        if (std::find(losing.begin(), losing.end(), item) == losing.end()) {
          losing.push_back(item);
        }
      }
    }
    std::vector<std::string> parts;
    if (!losing.empty()) {
      parts.push_back("not without losing " + join(losing));
    }
    if (!until.empty()) {
      parts.push_back("not until " + join(until, " and "));
    }
    if (!refused.empty()) {
      parts.push_back("not while the firmware requires " + join(refused)
                      + " (the kernel refuses it to VFIO)");
    }
    m_r.reason = join(parts, "; ");
    return;
  }
  const auto missing = m_r.not_run();
  if (!missing.empty()) {
    m_r.verdict = Verdict::as_far_as_checked;
    m_r.reason = fmt::format("passable as far as checked: no blocker found, but {} did not "
                             "run ({})",
                             plural(missing.size(), "check", "checks"), join(missing));
    return;
  }
  m_r.verdict = Verdict::passable;
  std::vector<std::string> staying;
  for (const auto& m : m_r.members) {
    if (m.role == Role::bridge || m.role == Role::kept) {
      staying.push_back(m.bdf);
    }
  }
  m_r.reason = "the group can be passed through: bind " + join(eps) + " to vfio-pci"
               + (staying.empty() ? std::string()
                                  : fmt::format("; {} {} with the host", join(staying),
                                                staying.size() == 1 ? "stays" : "stay"));
}

} // namespace detail

const char*
to_string(Verdict v)
{
  switch (v) {
  case Verdict::passable: return "passable";
  case Verdict::as_far_as_checked: return "passable-as-far-as-checked";
  case Verdict::blocked: return "blocked";
  case Verdict::bridge: return "bridge";
  case Verdict::no_group: return "no-group";
  case Verdict::not_captured: return "not-captured";
  }
  return "unknown";
}

std::optional<bool>
PreflightReport::passable() const
{
  switch (verdict) {
  case Verdict::passable: return true;
  case Verdict::as_far_as_checked:
  case Verdict::not_captured: return std::nullopt;
  default: return false;
  }
}

std::vector<std::string>
PreflightReport::not_run() const
{
  std::vector<std::string> out;
  for (const auto& c : checks) {
    if (!c.ran) {
      out.push_back(c.id);
    }
  }
  return out;
}

std::vector<std::string>
iommu_units_in_iomem(const model::AddressSpace& iomem)
{
  std::vector<std::string> out;
  iomem.walk([&](const model::Region& r, const std::vector<const model::Region*>&) {
    const auto& n = r.name;
    const bool dmar = n.size() > 4 && n.rfind("dmar", 0) == 0
                      && std::all_of(n.begin() + 4, n.end(), [](char ch) {
                           return ch >= '0' && ch <= '9';
                         });
    const bool unit = dmar || n == "amd_iommu" || n == "AMD-Vi"
                      || n.find(".iommu") != std::string::npos
                      || n.find("smmu") != std::string::npos;
    if (unit && std::find(out.begin(), out.end(), n) == out.end()) {
      out.push_back(n);
    }
  });
  return out;
}

bool
groups_not_captured(const PassthroughInputs& in)
{
  return !in.live && !in.iommu->groups_dir_present && in.iommu->units.empty();
}

Listing
list_groups(const PassthroughInputs& in)
{
  Listing l;
  const auto& st = *in.iommu;
  l.not_captured = groups_not_captured(in);
  if (in.iomem) {
    l.iomem_units = iommu_units_in_iomem(*in.iomem);
  }
  iommu::Topology topo;
  if (in.pci) {
    topo = iommu::topology_from_pci(*in.pci);
  }
  const std::set<std::string> off(st.acs_redir_off.begin(), st.acs_redir_off.end());
  for (const auto& g : st.groups) {
    GroupListing gl;
    gl.group = &g;
    gl.cause = iommu::explain_group(g.devices, topo, off);
    gl.members = describe_members(g, in);
    l.shared += gl.cause.isolated ? 0 : 1;
    l.groups.push_back(std::move(gl));
  }
  if (in.pci) {
    std::size_t n = 0;
    for (const auto& d : in.pci->devices) {
      n += st.group_of.count(d.bdf) ? 0 : 1;
    }
    l.ungrouped = n;
  }
  return l;
}

PreflightReport
preflight(const std::string& bdf, const PassthroughInputs& in)
{
  PreflightReport r;
  r.bdf = bdf;
  const auto& st = *in.iommu;
  const auto it = st.group_of.find(bdf);
  if (it == st.group_of.end()) {
    if (groups_not_captured(in)) {
      r.verdict = Verdict::not_captured;
      r.reason = "the IOMMU groups are not in the source (no sys/kernel/iommu_groups): whether "
                 "it can be passed through is not known";
    } else if (!st.present()) {
      r.verdict = Verdict::no_group;
      r.reason = "cannot be passed through: no IOMMU is active (no group exists)";
    } else {
      r.verdict = Verdict::no_group;
      r.reason = "is in no IOMMU group: it is not behind an IOMMU and cannot be passed through";
    }
    return r;
  }
  const iommu::Group& g = *st.find(it->second);
  r.group = g.id;
  r.group_ref = &g;
  r.members = describe_members(g, in, bdf);
  iommu::Topology topo;
  if (in.pci) {
    topo = iommu::topology_from_pci(*in.pci);
  }
  const std::set<std::string> off(st.acs_redir_off.begin(), st.acs_redir_off.end());
  r.cause = iommu::explain_group(g.devices, topo, off);
  detail::Builder(r, in, g).run();
  return r;
}

} // namespace memmap::machine
