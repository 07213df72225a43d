// The members of a group as pre-flight sees them: role, driver, ids, reset methods and what
// the host needs of each (host bridge, boot VGA, root filesystem, keyboard).
#include <memmap/machine/passthrough.hpp>

#include "passthrough_internal.hpp"

#include <memmap/pci/device.hpp>
#include <memmap/util/text.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace memmap::machine {

namespace {

using source::HostFacts;
using util::join;

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

std::optional<std::string>
Member::id() const
{
  if (!vendor_id || !device_id) {
    return std::nullopt;
  }
  return fmt::format("{:04x}:{:04x}", *vendor_id, *device_id);
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

} // namespace memmap::machine
