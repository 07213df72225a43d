// IOMMU groups as sysfs describes them: /sys/kernel/iommu_groups/N/{devices,type,
// reserved_regions}, /sys/class/iommu/*, each device's iommu_group link and the IOMMU
// options on /proc/cmdline. Reading only; the isolation analysis is in isolation.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <memmap/model/diagnostic.hpp>
#include <memmap/source/sysroot.hpp>

namespace memmap::iommu {

struct ReservedRegion {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // inclusive
  std::string type;       // direct, direct-relaxable, reserved, msi
  int line = 0;
};

struct Group {
  int id = 0;
  std::string type;                  // DMA, DMA-FQ, identity, blocked, unmanaged, unknown
  bool type_known = false;           // false: no `type` file (kernel < 5.11) or unreadable
  std::vector<std::string> devices;  // member names as in devices/ (canonical BDF for PCI)
  std::vector<ReservedRegion> reserved;
  std::string path;                  // "/sys/kernel/iommu_groups/N" as shown to the user
};

struct IommuState {
  std::vector<std::string> units;          // /sys/class/iommu entries (dmar0, ivhd0, ...)
  std::vector<std::string> cmdline;        // /proc/cmdline tokens whose key contains "iommu"
  std::vector<std::string> acs_redir_off;  // BDFs named in pci=disable_acs_redir=
  std::vector<Group> groups;               // sorted by id
  std::map<std::string, int> group_of;     // BDF -> group id
  std::vector<model::Diagnostic> problems; // malformed files, dangling links
  bool groups_dir_present = false;         // /sys/kernel/iommu_groups exists
  bool cmdline_read = false;

  bool present() const { return !units.empty() || !groups.empty(); }
  const Group* find(int id) const;
};

// Parse a reserved_regions file ("0x%016llx 0x%016llx %s\n" per line).
// Throws InputError("FILE:LINE: reason") on a malformed line.
std::vector<ReservedRegion> parse_reserved_regions(std::string_view text,
                                                   const std::string& file);

// The IOMMU tokens of a kernel command line, in order, and the devices named by
// pci=disable_acs_redir= (canonical BDFs).
std::vector<std::string> iommu_cmdline_tokens(std::string_view cmdline);
std::vector<std::string> disable_acs_redir_devices(std::string_view cmdline);

// Read everything under the sysroot. Never throws for a malformed group: the problem is
// recorded (with FILE:LINE) and the rest is read.
IommuState read_iommu_state(const source::SysRoot& root);

} // namespace memmap::iommu

namespace memmap::iommu {

// A USB device behind a controller (from /sys/bus/usb/devices).
struct UsbDevice {
  std::string name;        // "1-1.2"
  std::string ids;         // "046d:c52b"
  std::string description; // "Logitech USB Receiver"
};

// USB devices (not hubs' interfaces) by the canonical BDF of their host controller.
std::map<std::string, std::vector<UsbDevice>> read_usb_devices(const source::SysRoot& root);

// Devices the host itself needs, with why: the boot VGA (console) and the controller of the
// disk holding the root filesystem (from proc/self/mountinfo and sys/dev/block links).
std::map<std::string, std::string> read_host_needed(const source::SysRoot& root);

// The "reset_method" attribute split into words ("flr", "bus", ...); empty if absent.
std::vector<std::string> read_reset_methods(const source::SysRoot& root, const std::string& bdf);

} // namespace memmap::iommu
