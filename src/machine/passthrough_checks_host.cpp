// Pre-flight checks of what the host would lose with the group: its host bridge, ISA/LPC
// bridge or SMBus, the boot VGA, the root filesystem's controller, a keyboard's USB
// controller; and whether each endpoint can be reset.
#include "passthrough_internal.hpp"

#include <memmap/util/text.hpp>

#include <fmt/format.h>

namespace memmap::machine::detail {

namespace {

using util::join;

bool
is_vga_class(std::uint32_t class_code)
{
  const auto sub = class_code >> 8;
  return sub == 0x0300 || sub == 0x0001;  // the kernel's pci_is_vga()
}

} // namespace

void
Builder::check_host_devices()
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

void
Builder::check_boot_vga()
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

void
Builder::check_root_fs()
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

void
Builder::check_keyboard()
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

void
Builder::check_reset()
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

} // namespace memmap::machine::detail
