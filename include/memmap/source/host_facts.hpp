// What the host itself needs and what the passthrough pre-flight rests on, read from the
// root's files: the block devices under the root filesystem (proc/self/mountinfo, sys/dev/block,
// sys/class/block, followed through dm/LVM/md `slaves/`), the USB keyboards and other USB devices
// (sys/bus/usb/devices), boot_vga and reset_method of PCI functions, and the kernel release.
// Reading only: every fact says whether it could be read and, when not, why. What the facts
// mean for a group is machine/passthrough.hpp's business.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <memmap/source/sysroot.hpp>

namespace memmap::source {

// The root filesystem and the PCI functions its disks hang off.
struct RootFs {
  bool known = false;          // the chain was followed to PCI functions, or to disks not on PCI
  std::string why;             // when !known: why the controllers are not known
  std::string source;          // "DIR/proc/self/mountinfo"
  std::string mount;           // "mountinfo:23: 259:2 / ext4 /dev/nvme0n1p2"
  std::string device;          // MAJ:MIN ("259:2"), or "" when the mount names none (0:NN)
  std::string fstype;          // "ext4", "btrfs", ...
  std::string mount_source;    // "/dev/nvme0n1p2", "/dev/mapper/vg-root", "tank/root"
  // How the disks were found, one step a line: "259:2 -> nvme0n1p2",
  // "dm-0 (vg-root) -> slaves: nvme0n1p3", ...
  std::vector<std::string> chain;
  // The controllers: for each disk at the bottom of the chain, the nearest PCI function on its
  // sysfs path (canonical BDF), with the disk ("nvme0n1p3").
  std::map<std::string, std::vector<std::string>> controllers;
  std::vector<std::string> off_pci;  // disks whose sysfs path holds no PCI function
};

// A USB device seen below a PCI function (a USB host controller).
struct UsbDevice {
  std::string name;            // "1-1.2"
  std::string ids;             // "046d:c52b", or "?" when idVendor/idProduct are unreadable
  std::string description;     // "Logitech USB Receiver" ("" when the device names nothing)
  bool keyboard = false;       // one of its interfaces is HID class 03 with protocol 01
};

struct UsbFacts {
  bool read = false;           // sys/bus/usb/devices could be listed
  std::string why;             // when !read
  std::string source;          // "DIR/sys/bus/usb/devices"
  // By the canonical BDF of the PCI function (host controller) the device sits under.
  std::map<std::string, std::vector<UsbDevice>> by_controller;
  std::vector<std::string> keyboards_off_pci;  // keyboards not under a PCI function
  // Interfaces ("1-3:1.0") whose bInterfaceClass (or, for HID, bInterfaceProtocol) could not
  // be read: whether they are keyboards is not known.
  std::vector<std::string> interfaces_unknown;
};

// A PCI function's reset methods (sys/bus/pci/devices/BDF/reset_method).
struct ResetMethods {
  std::optional<std::vector<std::string>> methods;  // nullopt: unknown
  std::string why;             // how it is known ("no reset_method file: ...") or why unknown
};

struct HostFacts {
  RootFs root_fs;
  UsbFacts usb;
  // boot_vga of each function asked for: true/false when the file was read; absent from the
  // map when there is no file (the kernel shows it for VGA-class functions only).
  std::map<std::string, bool> boot_vga;
  bool pci_sysfs = false;      // sys/bus/pci/devices could be listed
  std::map<std::string, ResetMethods> reset;  // of each function asked for
  std::optional<std::string> kernel_release;  // from proc/version ("6.12.117+deb12-amd64")
  // Where the per-function attributes and the command line are read, as named to the user
  // ("fixtures/x/sys/bus/pci/devices", "/proc/cmdline").
  std::string pci_devices_source = "sys/bus/pci/devices";
  std::string cmdline_source = "/proc/cmdline";
};

// Read the facts; `bdfs` are the PCI functions (canonical BDFs) whose boot_vga and
// reset_method are wanted. Never throws: what cannot be read is said in the facts.
HostFacts read_host_facts(const SysRoot& root, const std::vector<std::string>& bdfs);

// The pieces, for tests and for callers that need one.
RootFs read_root_fs(const SysRoot& root);
UsbFacts read_usb(const SysRoot& root);

// "6.12.117+deb12-amd64" from a /proc/version line; nullopt when it is not one.
std::optional<std::string> kernel_release_of(std::string_view proc_version);
// True when a release ("5.15.0-91-generic") is at least major.minor; nullopt when it does
// not start with a version number.
std::optional<bool> release_at_least(std::string_view release, int major, int minor);

} // namespace memmap::source
