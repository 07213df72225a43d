#include "iommu_text.hpp"

#include <memmap/render/iommu.hpp>
#include <memmap/util/text.hpp>

#include <fmt/format.h>

namespace memmap::render {

using machine::Member;
using machine::PreflightReport;
using machine::Role;
using machine::Verdict;

namespace {

using util::join;

Json
strings_or_null(const std::optional<std::vector<std::string>>& v)
{
  return v ? Json(*v) : Json(nullptr);
}

std::string
host_needs_text(const Member& m)
{
  std::vector<std::string> parts;
  for (const auto& n : m.host_needs) {
    parts.push_back(n.what + " (" + n.why + ")");
  }
  return join(parts, "; ");
}

// --- JSON ---

Json
member_json(const Member& m)
{
  Json d;
  d["bdf"] = m.bdf;
  d["vendor_id"] = hex_or_null(m.vendor_id, 4);
  d["device_id"] = hex_or_null(m.device_id, 4);
  d["class"] = hex_or_null(m.class_code, 6);
  d["name"] = m.pci_known ? Json(m.name) : Json(nullptr);
  d["pci_known"] = m.pci_known;
  d["driver"] = m.driver && !m.driver->empty() ? Json(*m.driver) : Json(nullptr);
  d["driver_known"] = m.driver.has_value();
  d["reset_methods"] = strings_or_null(m.reset_methods);
  d["bridge"] = m.role == Role::unknown ? Json(nullptr) : Json(m.role == Role::bridge);
  d["role"] = m.role == Role::unknown ? Json(nullptr) : Json(machine::to_string(m.role));
  if (!m.host_needs.empty()) {
    d["host_needs"] = host_needs_text(m);
  }
  if (!m.usb.empty()) {
    Json usb = Json::array();
    for (const auto& u : m.usb) {
      usb.push_back({{"name", u.name},
                     {"ids", u.ids},
                     {"description", u.description},
                     {"keyboard", u.keyboard}});
    }
    d["usb_devices"] = usb;
  }
  return d;
}

Json
group_json(const iommu::Group& g, const iommu::Cause& cause, const std::vector<Member>& members)
{
  Json j;
  j["id"] = g.id;
  j["type"] = g.type_known ? Json(g.type) : Json(nullptr);
  Json devs = Json::array();
  for (const auto& m : members) {
    devs.push_back(member_json(m));
  }
  j["devices"] = devs;
  if (g.reserved_known) {
    Json resv = Json::array();
    for (const auto& rr : g.reserved) {
      resv.push_back({{"start", hex0x(rr.start)}, {"end", hex0x(rr.end)}, {"type", rr.type}});
    }
    j["reserved_regions"] = resv;
  } else {
    j["reserved_regions"] = nullptr;
  }
  j["isolated"] = cause.isolated;
  j["cause"] = {{"kind", cause.kind},
                {"device", cause.device ? Json(*cause.device) : Json(nullptr)}};
  j["reason"] = cause.reason;
  return j;
}

// The top-level keys every iommu-groups document has: schema_version, iommu, groups, problems.
Json
iommu_document(const iommu::IommuState& st, bool not_captured)
{
  Json j = json_document();
  // A capture that left the groups out does not say whether an IOMMU was active: null.
  j["iommu"] = {{"present", not_captured ? Json(nullptr) : Json(st.present())},
                {"units", st.units},
                {"cmdline", st.cmdline_read ? Json(st.cmdline) : Json(nullptr)}};
  j["groups"] = Json::array();
  Json problems = Json::array();
  for (const auto& p : st.problems) {
    problems.push_back({{"id", p.id}, {"message", p.located()}});
  }
  j["problems"] = problems;
  return j;
}

// --- text ---


void
usb_lines(const Member& m, const std::string& indent, std::ostream& out)
{
  for (const auto& u : m.usb) {
    out << indent << "    usb " << u.name << "  " << u.ids
        << (u.description.empty() ? "" : "  " + u.description)
        << (u.keyboard ? "  [keyboard]" : "") << '\n';
  }
}

std::string
cmdline_text(const iommu::IommuState& st)
{
  if (!st.cmdline_read) {
    return "?";
  }
  return st.cmdline.empty() ? std::string("(none)") : join(st.cmdline, " ");
}

void
iomem_units_note(const std::vector<std::string>& units, const IommuNames& names,
                 std::ostream& out)
{
  if (units.empty()) {
    return;
  }
  out << names.iomem << " lists IOMMU register regions (" << join(units)
      << "):\nthe machine has IOMMU units and the kernel mapped them, so DMA remapping was "
         "probably on\n(interrupt remapping alone maps them too; only the groups tell).\n";
}

void
no_iommu_text(const iommu::IommuState& st, bool not_captured,
              const std::vector<std::string>& iomem_units, const IommuNames& names,
              const Style& style, std::ostream& out)
{
  if (not_captured) {
    out << style.paint("The IOMMU groups were not captured", Color::yellow) << ": "
        << names.groups_dir << " and " << names.class_iommu
        << "\nare not in this source, so whether an IOMMU was active is not known from them.\n";
    iomem_units_note(iomem_units, names, out);
    return;
  }
  out << style.paint("No IOMMU is active", Color::yellow) << ": " << names.groups_dir
      << (st.groups_dir_present ? " is empty" : " does not exist") << " and "
      << names.class_iommu << " lists no unit.\n"
      << "Devices do DMA straight to physical addresses with no isolation between them, and "
         "none can be\npassed through with VFIO.\n";
  if (!iomem_units.empty()) {
    out << names.iomem << " lists IOMMU register regions (" << join(iomem_units)
        << "): the units exist and the kernel\nmapped them (for interrupt remapping?), but no "
           "group was formed.\n";
  }
  out << "\nWhat to check:\n"
      << "  - firmware setup: enable Intel VT-d or AMD-Vi (often \"IOMMU\" or \"SVM\" + "
         "\"IOMMU\")\n";
  if (!st.cmdline_read) {
    out << "  - kernel command line: " << names.cmdline << " could not be read\n";
  } else if (st.cmdline.empty()) {
    out << "  - kernel command line: no IOMMU option; Intel needs intel_iommu=on on kernels "
           "that default it off\n";
  } else {
    out << "  - kernel command line has: " << join(st.cmdline, " ") << '\n';
    for (const auto& t : st.cmdline) {
      if (t.find("=off") != std::string::npos || t == "iommu=off") {
        out << "    " << t << " turns the IOMMU off\n";
      }
    }
  }
  out << "  - the kernel log: dmesg | grep -i -e DMAR -e IOMMU -e AMD-Vi\n"
      << "  - a virtual machine needs an emulated IOMMU (QEMU: -device intel-iommu)\n";
}

std::string
bridge_note(const Member& m)
{
  if (!m.driver) {
    return "bridge: it stays with the host and is not passed to the guest; its driver is "
           "unknown (VFIO opens the group only if that driver does no DMA of its own, like "
           "pcieport, or there is none)";
  }
  if (m.driver->empty()) {
    return "bridge: it stays with the host, with no driver (VFIO accepts an unbound member in "
           "the group); it is not passed to the guest";
  }
  if (*m.driver == "pcieport" || *m.driver == "pci-stub" || *m.driver == "vfio-pci") {
    return fmt::format("bridge: it stays with the host on {}, which does no DMA of its own, so "
                       "VFIO accepts it in the group; it is not passed to the guest",
                       *m.driver);
  }
  return fmt::format("bridge: it stays with the host, but it is bound to {}: VFIO opens the "
                     "group only when every member not on vfio-pci is unbound or on a driver "
                     "that does no DMA of its own (pcieport, pci-stub); unbind it first",
                     *m.driver);
}

// The default listing: one block a group.
void
groups_text(const machine::Listing& l, const Style& style, std::ostream& out)
{
  for (const auto& gl : l.groups) {
    const auto& g = *gl.group;
    const auto& cause = gl.cause;
    out << '\n'
        << style.paint(fmt::format("Group {}", g.id), Color::bold) << "  "
        << (g.type_known ? g.type : std::string("type ?")) << "  "
        << (cause.isolated ? style.paint("isolated", Color::green)
                           : style.paint("shared", Color::yellow))
        << " (" << (g.devices.empty() ? std::string("empty") : cause.kind)
        << (cause.device ? " " + *cause.device : "") << ")\n";
    for (const auto& m : gl.members) {
      out << member_line(m, style, "  ") << '\n';
      for (const auto& n : m.host_needs) {
        out << "    " << style.paint("host needs it: " + n.what + " (" + n.why + ")", Color::yellow)
            << '\n';
      }
      usb_lines(m, "  ", out);
    }
    if (!g.reserved_known) {
      out << "  reserved regions: ?\n";
    }
    for (const auto& rr : g.reserved) {
      out << "  reserved " << hex(rr.start, 8) << "-" << hex(rr.end, 8) << " " << rr.type << '\n';
    }
    if (g.devices.size() > 1) {
      out << "  why: " << cause.reason << '\n';
    }
  }
}

} // namespace

std::string
member_line(const Member& m, const Style& st, const std::string& indent)
{
  std::string line = indent + st.paint(m.bdf, Color::cyan);
  if (m.pci_known) {
    line += fmt::format("  [{}:{}] {}: {}", hex_or_unknown(m.vendor_id, 4),
                        hex_or_unknown(m.device_id, 4),
                        m.class_name.empty() ? "?" : m.class_name, m.name.empty() ? "?" : m.name);
  } else {
    line += "  [?:?] ?";
  }
  line += !m.driver           ? std::string("  [driver ?]")
          : m.driver->empty() ? std::string("  (no driver)")
                              : fmt::format("  [{}]", *m.driver);
  line += !m.reset_methods ? std::string("  reset: ?")
          : m.reset_methods->empty()
            ? std::string("  reset: none")
            : "  reset: " + join(*m.reset_methods, ",");
  return line;
}

void
render_iommu_groups_text(const iommu::IommuState& st, const machine::Listing& l,
                         const IommuNames& names, const Style& style, std::ostream& out,
                         const Columns& cols)
{
  if (!st.present()) {
    no_iommu_text(st, l.not_captured, l.iomem_units, names, style, out);
    return;
  }
  out << "IOMMU units: " << (st.units.empty() ? std::string("(none listed)") : join(st.units, " "))
      << "; kernel options: " << cmdline_text(st) << '\n';
  if (!cols.is_default) {
    out << '\n';
    render_iommu_groups_table(l, cols, style, out);
  } else {
    groups_text(l, style, out);
  }
  out << '\n'
      << st.groups.size() << " groups, " << l.shared << " shared by devices of more than "
      << "one slot";
  if (!l.ungrouped) {
    out << "; PCI functions in no group: ? (the PCI devices were not loaded)";
  } else if (*l.ungrouped) {
    out << "; " << *l.ungrouped << " PCI function" << (*l.ungrouped == 1 ? "" : "s")
        << " in no group (not behind an IOMMU)";
  }
  out << '\n';
}

Json
iommu_groups_to_json(const iommu::IommuState& st, const machine::Listing& l)
{
  Json j = iommu_document(st, l.not_captured);
  for (const auto& gl : l.groups) {
    j["groups"].push_back(group_json(*gl.group, gl.cause, gl.members));
  }
  j["groups_captured"] = !l.not_captured;
  j["iomem_iommu_units"] = l.iomem_units;
  return j;
}

void
render_preflight_text(const iommu::IommuState& st, const PreflightReport& r,
                      const std::vector<std::string>& iomem_units, const IommuNames& names,
                      const Style& style, std::ostream& out)
{
  if (!r.group_ref) {
    if (r.verdict == Verdict::not_captured || !st.present()) {
      no_iommu_text(st, r.verdict == Verdict::not_captured, iomem_units, names, style, out);
      out << '\n' << r.bdf << ": " << r.reason << ".\n";
    } else {
      out << r.bdf << " " << r.reason << ".\n";
    }
    return;
  }
  const auto& g = *r.group_ref;
  out << style.paint(fmt::format("Passthrough pre-flight for {}", r.bdf), Color::bold)
      << ": IOMMU group " << g.id << " (" << (g.type_known ? g.type : std::string("type ?"))
      << ")\n\n";
  out << (r.members.size() == 1 ? std::string("It goes alone.\n")
                                : fmt::format("These {} devices go together:\n", r.members.size()));
  for (const auto& m : r.members) {
    out << member_line(m, style, "  ") << '\n';
    usb_lines(m, "  ", out);
    if (m.role == Role::bridge) {
      out << "    " << bridge_note(m) << '\n';
    } else if (m.role == Role::kept) {
      out << "    host bridge with no driver: it stays with the host, unbound (VFIO accepts an "
             "unbound member in the group); it is not passed to the guest\n";
    }
    for (const auto& b : r.blockers) {
      if (b.bdf == m.bdf) {
        out << "    " << style.paint("blocker: " + b.what + " (" + b.why + ")", Color::red) << '\n';
        if (!b.fix.empty()) {
          out << "      to lift it: " << b.fix << '\n';
        }
      }
    }
    for (const auto& w : r.warnings) {
      if (w.bdf == m.bdf) {
        out << "    note: " << w.message << '\n';
      }
    }
  }
  out << "\nWhy: " << r.cause.reason << '\n';
  for (const auto& b : r.blockers) {
    if (b.bdf.empty()) {
      out << style.paint("Blocker: " + b.what + " (" + b.why + ")", Color::red) << '\n';
      if (!b.fix.empty()) {
        out << "  to lift it: " << b.fix << '\n';
      }
    }
  }
  for (const auto& w : r.warnings) {
    if (!w.bdf && w.check != "vfio-ids") {
      out << "Note: " << w.message << '\n';
    }
  }
  const auto& b = r.bind;
  if (!b.to_bind.empty()) {
    out << "\nNot yet on vfio-pci: " << join(b.to_bind) << '\n';
  }
  if (!b.bridges_to_unbind.empty()) {
    out << "Bridges to unbind first: " << join(b.bridges_to_unbind) << '\n';
  }
  if (!b.ids.empty()) {
    out << "\nKernel command line for this group: vfio-pci.ids=" << join(b.ids, ",")
        << (b.ids_on_cmdline.size() == b.ids.size() ? "  (already there)"
            : b.ids_on_cmdline.empty()              ? ""
                                       : "  (there now: " + join(b.ids_on_cmdline, ",") + ")")
        << '\n';
    if (!b.ids_unknown_for.empty()) {
      out << "  incomplete: the id or role of " << join(b.ids_unknown_for) << " is unknown\n";
    }
  } else if (!b.ids_unknown_for.empty()) {
    out << "\nKernel command line for this group: ? (the id or role of "
        << join(b.ids_unknown_for) << " is unknown)\n";
  }
  if (!b.shared.empty()) {
    for (const auto& [id, devs] : b.shared) {
      out << "  " << style.paint(fmt::format("vfio-pci.ids={} would also take {}", id, join(devs)),
                                 Color::yellow)
          << " (same id, outside this group)\n";
    }
  }
  if (!b.endpoints.empty() && (!b.shared.empty() || !b.ids_unknown_for.empty())) {
    out << "Bind this group's endpoints one by one instead (driver_override, which takes one "
           "device, not an id):\n";
    for (const auto& e : b.endpoints) {
      out << "  driverctl set-override " << e << " vfio-pci\n";
    }
    out << "  or, before their drivers load (a modprobe.d install rule or an initramfs "
           "script):\n";
    for (const auto& e : b.endpoints) {
      out << "  echo vfio-pci > /sys/bus/pci/devices/" << e << "/driver_override\n";
    }
  }
  out << "\nChecks:\n";
  for (const auto& c : r.checks) {
    out << fmt::format("  {:<8} {:<17} {}\n", c.ran ? "ran" : "not run", c.id, c.result);
  }
  const Color vc = r.verdict == Verdict::passable            ? Color::green
                   : r.verdict == Verdict::as_far_as_checked ? Color::yellow
                                                             : Color::red;
  out << '\n' << style.paint("Verdict: " + r.reason + ".", vc) << '\n';
}

Json
preflight_to_json(const iommu::IommuState& st, const PreflightReport& r)
{
  Json j = iommu_document(st, r.verdict == Verdict::not_captured);
  if (r.group_ref) {
    j["groups"].push_back(group_json(*r.group_ref, r.cause, r.members));
  }
  j["device"] = r.bdf;
  j["group"] = r.group ? Json(*r.group) : Json(nullptr);
  const auto passable = r.passable();
  j["passable"] = passable ? Json(*passable) : Json(nullptr);
  j["verdict"] = machine::to_string(r.verdict);
  j["reason"] = r.reason;
  Json blockers = Json::array();
  for (const auto& b : r.blockers) {
    blockers.push_back({{"bdf", b.bdf.empty() ? Json(nullptr) : Json(b.bdf)},
                        {"check", b.check},
                        {"what", b.what},
                        {"why", b.why},
                        {"fix", b.fix.empty() ? Json(nullptr) : Json(b.fix)}});
  }
  j["blockers"] = blockers;
  Json warnings = Json::array();
  for (const auto& w : r.warnings) {
    warnings.push_back({{"bdf", w.bdf ? Json(*w.bdf) : Json(nullptr)},
                        {"check", w.check},
                        {"message", w.message}});
  }
  j["warnings"] = warnings;
  const auto& b = r.bind;
  j["vfio_pci_ids"] = b.ids.empty() ? Json(nullptr) : Json("vfio-pci.ids=" + join(b.ids, ","));
  Json shared = Json::array();
  for (const auto& [id, devs] : b.shared) {
    shared.push_back({{"id", id}, {"devices", devs}});
  }
  Json overrides = Json::array();
  for (const auto& e : b.endpoints) {
    overrides.push_back({{"bdf", e}, {"driverctl", "driverctl set-override " + e + " vfio-pci"}});
  }
  j["binding"] = {{"ids", b.ids},
                  {"ids_on_cmdline", b.ids_on_cmdline},
                  {"ids_unknown_for", b.ids_unknown_for},
                  {"ids_shared", r.group_ref && b.shared_checked ? shared : Json(nullptr)},
                  {"endpoints", b.endpoints},
                  {"to_bind", b.to_bind},
                  {"bridges_to_unbind", b.bridges_to_unbind},
                  {"driver_override", overrides}};
  Json checks = Json::array();
  for (const auto& c : r.checks) {
    checks.push_back({{"id", c.id},
                      {"source", c.source},
                      {"ran", c.ran},
                      {"can_block", c.can_block},
                      {"result", c.result}});
  }
  j["checks"] = checks;
  return j;
}

} // namespace memmap::render
