#include <memmap/machine/passthrough.hpp>

#include <memmap/iommu/pci_topology.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/util/text.hpp>

#include <algorithm>
#include <cctype>
#include <functional>
#include <fmt/format.h>

namespace memmap::machine {

namespace {

using source::HostFacts;

using util::join;

std::string
plural(std::size_t n, std::string_view one, std::string_view many)
{
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

Role
role_of(const pci::Device& d)
{
  if (d.header_type) {
    return d.is_bridge() ? Role::bridge : Role::endpoint;
  }
  if (d.class_code) {
    const auto sub = *d.class_code >> 8;
    return sub == 0x0604 || sub == 0x0607 || sub == 0x0609 ? Role::bridge : Role::endpoint;
  }
  return Role::unknown;
}

bool
is_vga_class(std::uint32_t class_code)
{
  const auto sub = class_code >> 8;
  return sub == 0x0300 || sub == 0x0001;  // the kernel's pci_is_vga()
}

// Drivers that do no DMA of their own (driver_managed_dma): VFIO opens a group whose other
// members are bound to them or to nothing.
bool
dma_free_driver(const std::string& drv)
{
  return drv.empty() || drv == "pcieport" || drv == "pci-stub" || drv == "vfio-pci";
}

void
add_host_needs(Member& m, const HostFacts& host)
{
  if (m.class_code) {
    const auto sub = *m.class_code >> 8;
    const std::string cls = fmt::format("class {:#06x}", sub);
    if (sub == 0x0600) {
      m.host_needs.push_back({"host-devices", "the host bridge",
                              cls + ": the processor's own link to PCI and memory"});
    } else if (sub == 0x0601) {
      m.host_needs.push_back({"host-devices", "the ISA/LPC bridge",
                              cls + ": it carries the firmware's devices: RTC, TPM, super I/O, "
                                    "keyboard controller, SPI flash"});
    } else if (sub == 0x0c05) {
      m.host_needs.push_back({"host-devices", "the SMBus controller",
                              cls + ": the platform's management bus, for sensors and memory SPD"});
    }
  }
  if (auto it = host.boot_vga.find(m.bdf); it != host.boot_vga.end() && it->second) {
    m.host_needs.push_back({"boot-vga", "the boot VGA", "boot_vga is 1: the host's console"});
  }
  if (auto it = host.root_fs.controllers.find(m.bdf); it != host.root_fs.controllers.end()) {
    m.host_needs.push_back({"root-fs", "the controller of the root filesystem",
                            fmt::format("{} holds / ({} {})", join(it->second),
                                        host.root_fs.fstype, host.root_fs.mount_source)});
  }
  if (auto it = host.usb.by_controller.find(m.bdf); it != host.usb.by_controller.end()) {
    std::vector<std::string> kbd;
    for (const auto& u : it->second) {
      if (u.keyboard) {
        kbd.push_back(fmt::format("{} {}{}", u.name, u.ids,
                                  u.description.empty() ? "" : " " + u.description));
      }
    }
    if (!kbd.empty()) {
      m.host_needs.push_back({"keyboard", "the USB controller of a keyboard",
                              "HID keyboard " + join(kbd)});
    }
  }
}

Member
describe(const std::string& bdf, const PassthroughInputs& in)
{
  Member m;
  m.bdf = bdf;
  if (const pci::Device* d = in.pci ? in.pci->find(bdf) : nullptr) {
    m.pci_known = true;
    m.vendor_id = d->vendor_id;
    m.device_id = d->device_id;
    m.class_code = d->class_code;
    m.name = d->name;
    m.class_name = d->class_name;
    m.driver = analyze::known_driver(*in.pci, *d);
    m.role = role_of(*d);
  }
  if (auto it = in.host->reset.find(bdf); it != in.host->reset.end()) {
    m.reset_methods = it->second.methods;
    m.reset_why = it->second.why;
  } else {
    m.reset_why = "not read";
  }
  if (auto it = in.host->usb.by_controller.find(bdf); it != in.host->usb.by_controller.end()) {
    m.usb = it->second;
  }
  add_host_needs(m, *in.host);
  return m;
}

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

class Builder {
public:
  Builder(PreflightReport& r, const PassthroughInputs& in, const iommu::Group& g)
    : m_r(r), m_in(in), m_g(g)
  {
  }

  void run()
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

private:
  PreflightCheck& add(std::string id, std::string source, bool can_block)
  {
    m_r.checks.push_back({std::move(id), std::move(source), false, "", can_block});
    return m_r.checks.back();
  }

  void block(const std::string& check, const std::string& bdf, std::string what,
             std::string why, std::string fix = "")
  {
    m_r.blockers.push_back({check, bdf, std::move(what), std::move(why), std::move(fix)});
  }

  void warn(const std::string& check, std::optional<std::string> bdf, std::string msg)
  {
    m_r.warnings.push_back({check, std::move(bdf), std::move(msg)});
  }

  std::vector<std::string> endpoints() const
  {
    std::vector<std::string> out;
    for (const auto& m : m_r.members) {
      if (m.role == Role::endpoint) {
        out.push_back(m.bdf);
      }
    }
    return out;
  }

  void check_members()
  {
    auto& c = add("group-members", m_g.path + "/devices", false);
    c.ran = true;
    c.result = fmt::format("{} in group {}", plural(m_g.devices.size(), "member", "members"),
                           m_g.id);
  }

  void check_identity()
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

  void check_host_devices()
  {
    auto& c = add("host-devices", "the class of every member", true);
    std::vector<std::string> unknown;
    std::vector<std::string> found;
    for (const auto& m : m_r.members) {
      if (!m.class_code) {
        unknown.push_back(m.bdf);
      }
      for (const auto& n : m.host_needs) {
        if (n.check == "host-devices") {
          block(n.check, m.bdf, n.what, n.why);
          found.push_back(m.bdf);
        }
      }
    }
    if (!unknown.empty()) {
      c.result = fmt::format("the class of {} is unknown", join(unknown));
      return;
    }
    c.ran = true;
    c.result = found.empty() ? "no host bridge (0600), ISA/LPC bridge (0601) or SMBus "
                               "controller (0c05) in the group"
                             : "the group holds " + join(found);
  }

  void check_boot_vga()
  {
    auto& c = add("boot-vga", m_in.host->pci_devices_source + "/*/boot_vga", true);
    if (!m_in.host->pci_sysfs) {
      c.result = "sys/bus/pci/devices is not in the source";
      return;
    }
    std::vector<std::string> unknown;
    std::vector<std::string> found;
    for (const auto& m : m_r.members) {
      const auto it = m_in.host->boot_vga.find(m.bdf);
      if (it != m_in.host->boot_vga.end()) {
        if (it->second) {
          found.push_back(m.bdf);
        }
        continue;
      }
      if (!m.class_code || is_vga_class(*m.class_code)) {
        unknown.push_back(m.bdf);  // a VGA function without the file, or a class unknown
      }
    }
    for (const auto& m : m_r.members) {
      for (const auto& n : m.host_needs) {
        if (n.check == "boot-vga") {
          block(n.check, m.bdf, n.what, n.why,
                "give the host another console (a second GPU, the integrated one, a serial "
                "line) and make it the boot display in the firmware setup");
        }
      }
    }
    if (!unknown.empty()) {
      c.result = fmt::format("no boot_vga file for {} (a VGA function, or one whose class is "
                             "unknown)",
                             join(unknown));
      return;
    }
    c.ran = true;
    c.result = found.empty() ? "no member is the boot VGA" : join(found) + " is the boot VGA";
  }

  void check_root_fs()
  {
    const auto& fs = m_in.host->root_fs;
    auto& c = add("root-fs", fs.source + ", sys/dev/block, sys/class/block (slaves/ followed)",
                  true);
    std::vector<std::string> in_group;
    for (const auto& m : m_r.members) {
      for (const auto& n : m.host_needs) {
        if (n.check == "root-fs") {
          block(n.check, m.bdf, n.what, n.why,
                "move the root filesystem to a disk on another controller");
          in_group.push_back(m.bdf);
        }
      }
    }
    std::vector<std::string> where;
    for (const auto& [bdf, disks] : fs.controllers) {
      where.push_back(fmt::format("{} on {}", join(disks), bdf));
    }
    for (const auto& d : fs.off_pci) {
      where.push_back(d + " (not on PCI)");
    }
    if (!fs.known) {
      c.result = fs.why + (where.empty() ? "" : "; found so far: " + join(where));
      for (const auto& m : m_r.members) {
        if (m.class_code && (*m.class_code >> 16) == 0x01 && !fs.controllers.count(m.bdf)) {
          warn("root-fs", m.bdf,
               "a storage controller: if the root filesystem is on one of its disks, the host "
               "loses it (where / is could not be found)");
        }
      }
      return;
    }
    c.ran = true;
    c.result = fmt::format("/ ({} {}) is on {}{}", fs.fstype, fs.mount_source, join(where),
                           in_group.empty() ? ": not in this group" : ": in this group");
  }

  void check_keyboard()
  {
    const auto& usb = m_in.host->usb;
    auto& c = add("keyboard", usb.source + " (HID interfaces, class 03 protocol 01)", true);
    for (const auto& m : m_r.members) {
      for (const auto& n : m.host_needs) {
        if (n.check == "keyboard") {
          block(n.check, m.bdf, n.what, n.why,
                "plug the keyboard into a port of another USB controller");
        }
      }
      std::vector<std::string> others;
      for (const auto& u : m.usb) {
        if (!u.keyboard) {
          others.push_back(u.name + " " + u.ids + (u.description.empty() ? "" : " " + u.description));
        }
      }
      if (!others.empty()) {
        warn("keyboard", m.bdf, "these USB devices go to the guest with their controller: "
                                  + join(others));
      }
    }
    if (!usb.read) {
      c.result = usb.why;
      return;
    }
    std::vector<std::string> kbds;
    for (const auto& [bdf, devs] : usb.by_controller) {
      for (const auto& u : devs) {
        if (u.keyboard) {
          kbds.push_back(u.name + " on " + bdf);
        }
      }
    }
    for (const auto& k : usb.keyboards_off_pci) {
      kbds.push_back(k + " (not on PCI)");
    }
    if (!usb.interfaces_unknown.empty()) {
      // A keyboard found still blocks (host_needs above); the others are not known.
      c.result = fmt::format("{}: bInterfaceClass or bInterfaceProtocol unreadable, so whether "
                             "{} a keyboard is not known{}",
                             join(usb.interfaces_unknown),
                             usb.interfaces_unknown.size() == 1 ? "it is" : "they are",
                             kbds.empty() ? "" : "; keyboards: " + join(kbds));
      return;
    }
    c.ran = true;
    c.result = kbds.empty() ? "no USB keyboard (a PS/2 or non-boot-protocol keyboard is not seen)"
                            : "keyboards: " + join(kbds);
  }

  void check_reset()
  {
    auto& c = add("reset-methods", m_in.host->pci_devices_source + "/*/reset_method", false);
    std::vector<std::string> unknown;
    for (const auto& m : m_r.members) {
      if (m.role == Role::bridge || m.role == Role::kept) {
        continue;  // they stay with the host; VFIO resets the endpoints
      }
      if (!m.reset_methods) {
        unknown.push_back(m.bdf);
      } else if (m.reset_methods->empty()) {
        warn("reset-methods", m.bdf,
             "no reset method: the device keeps its state between guests and when it returns "
             "to the host");
      }
    }
    if (!unknown.empty()) {
      c.result = fmt::format("the reset methods of {} are unknown: {}", join(unknown),
                             member(unknown.front())->reset_why);
      return;
    }
    c.ran = true;
    c.result = "reset methods of every endpoint";
  }

  const Member* member(const std::string& bdf) const
  {
    for (const auto& m : m_r.members) {
      if (m.bdf == bdf) {
        return &m;
      }
    }
    return nullptr;
  }

  void check_reserved()
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

  void check_type()
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

  void check_claims()
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

  void bind_suggestion()
  {
    auto& b = m_r.bind;
    std::set<std::string> ids;
    for (const auto& m : m_r.members) {
      if (m.role == Role::kept) {
        continue;  // unbound, and it stays so
      }
      if (m.role == Role::bridge) {
        if (m.driver && !dma_free_driver(*m.driver)) {
          b.bridges_to_unbind.push_back(fmt::format("{} (bound to {})", m.bdf, *m.driver));
        }
        continue;
      }
      if (m.role == Role::endpoint) {
        b.endpoints.push_back(m.bdf);
      }
      if (auto id = m.id(); id && m.role == Role::endpoint) {
        ids.insert(*id);
      } else {
        b.ids_unknown_for.push_back(m.bdf);
      }
      if (m.role == Role::endpoint && (!m.driver || *m.driver != "vfio-pci")) {
        b.to_bind.push_back(!m.driver        ? m.bdf + " (driver ?)"
                            : m.driver->empty() ? m.bdf + " (no driver)"
                                                : fmt::format("{} (bound to {})", m.bdf, *m.driver));
      }
    }
    b.ids.assign(ids.begin(), ids.end());
  }

  void check_vfio_ids()
  {
    auto& b = m_r.bind;
    auto& c = add("vfio-ids", m_in.pci ? m_in.pci->source : std::string("the PCI devices"),
                  false);
    if (!m_in.pci) {
      c.result = "the PCI devices were not loaded: which functions an id takes is unknown";
      return;
    }
    std::set<std::string> members(m_g.devices.begin(), m_g.devices.end());
    for (const auto& d : m_in.pci->devices) {
      if (members.count(d.bdf) || !d.vendor_id || !d.device_id) {
        continue;
      }
      const auto id = fmt::format("{:04x}:{:04x}", *d.vendor_id, *d.device_id);
      if (std::find(b.ids.begin(), b.ids.end(), id) != b.ids.end()) {
        b.shared[id].push_back(d.bdf);
      }
    }
    b.shared_checked = true;
    for (const auto& [id, devs] : b.shared) {
      warn("vfio-ids", std::nullopt,
           fmt::format("vfio-pci.ids={} would also take {}, outside this group (same id): bind "
                       "this group's devices one by one instead (driver_override)",
                       id, join(devs)));
    }
    if (!b.ids_unknown_for.empty()) {
      c.result = fmt::format("the id or role of {} is unknown: the list is incomplete",
                             join(b.ids_unknown_for));
      return;
    }
    c.ran = true;
    c.result = b.shared.empty() ? "no other function has an id of this group's endpoints"
                                : plural(b.shared.size(), "id is", "ids are")
                                    + " shared with functions outside the group";
  }

  void check_cmdline()
  {
    auto& c = add("kernel-cmdline", m_in.host->cmdline_source, false);
    const auto& st = *m_in.iommu;
    if (!st.cmdline_read) {
      c.result = "the kernel command line could not be read";
      return;
    }
    c.ran = true;
    std::vector<std::string> seen;
    for (const auto& t : st.passthrough_options) {
      seen.push_back(t);
      for (const std::string key : {"vfio-pci.ids=", "vfio_pci.ids="}) {
        if (t.rfind(key, 0) != 0) {
          continue;
        }
        std::string list = t.substr(key.size());
        std::size_t pos = 0;
        while (pos <= list.size()) {
          const auto comma = list.find(',', pos);
          auto id = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
          // vfio-pci.ids entries are vendor:device[:subvendor:subdevice[:class:mask]]
          if (const auto c2 = id.find(':', id.find(':') + 1); c2 != std::string::npos) {
            id = id.substr(0, c2);
          }
          for (auto& ch : id) {
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          }
          if (std::find(m_r.bind.ids.begin(), m_r.bind.ids.end(), id) != m_r.bind.ids.end()) {
            m_r.bind.ids_on_cmdline.push_back(id);
          }
          if (comma == std::string::npos) {
            break;
          }
          pos = comma + 1;
        }
      }
      if (t.rfind("pcie_acs_override=", 0) == 0) {
        warn("kernel-cmdline", std::nullopt,
             t + " is on the command line: the groups are what the override makes of ACS, not "
                 "what the hardware isolates; members of other groups can still reach each "
                 "other by peer-to-peer DMA");
      }
    }
    c.result = seen.empty() ? "no passthrough option (vfio-pci.*, pcie_acs_override=)"
                            : join(seen, " ");
  }

  void decide()
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

  PreflightReport& m_r;
  const PassthroughInputs& m_in;
  const iommu::Group& m_g;
};

} // namespace

const char*
to_string(Role r)
{
  switch (r) {
  case Role::endpoint: return "endpoint";
  case Role::bridge: return "bridge";
  case Role::kept: return "kept";
  case Role::unknown: break;
  }
  return "unknown";
}

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

std::optional<std::string>
Member::id() const
{
  if (!vendor_id || !device_id) {
    return std::nullopt;
  }
  return fmt::format("{:04x}:{:04x}", *vendor_id, *device_id);
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

std::vector<Member>
describe_members(const iommu::Group& g, const PassthroughInputs& in, const std::string& selected)
{
  std::vector<Member> out;
  out.reserve(g.devices.size());
  for (const auto& bdf : g.devices) {
    out.push_back(describe(bdf, in));
  }
  auto host_bridge = [](const Member& m) {
    return m.class_code && (*m.class_code >> 8) == 0x0600;
  };
  const bool other_endpoints = std::any_of(out.begin(), out.end(), [&](const Member& m) {
    return m.role == Role::endpoint && !host_bridge(m);
  });
  for (auto& m : out) {
    if (other_endpoints && host_bridge(m) && m.role == Role::endpoint && m.driver
        && m.driver->empty() && m.bdf != selected) {
      m.role = Role::kept;
      m.host_needs.erase(std::remove_if(m.host_needs.begin(), m.host_needs.end(),
                                        [](const HostNeed& n) { return n.check == "host-devices"; }),
                         m.host_needs.end());
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
  Builder(r, in, g).run();
  return r;
}

} // namespace memmap::machine
