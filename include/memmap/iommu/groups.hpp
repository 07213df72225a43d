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
  std::string type;                  // DMA, DMA-FQ, identity, blocked, unmanaged, unknown (the
                                     // kernel's word: no default domain); "" when !type_known
  bool type_known = false;           // false: no `type` file (kernel < 5.11) or unreadable
  std::vector<std::string> devices;  // member names as in devices/ (canonical BDF for PCI)
  std::vector<ReservedRegion> reserved;
  // false: no reserved_regions file (kernel < 4.11, or not captured), or unreadable or
  // malformed (a problem says which): `reserved` is then not the group's list.
  bool reserved_known = false;
  std::string path;                  // "/sys/kernel/iommu_groups/N" as shown to the user
};

struct IommuState {
  std::vector<std::string> units;          // /sys/class/iommu entries (dmar0, ivhd0, ...)
  std::vector<std::string> cmdline;        // /proc/cmdline tokens whose key contains "iommu"
  std::vector<std::string> acs_redir_off;  // BDFs named in pci=disable_acs_redir=
  // Other /proc/cmdline tokens that bear on passthrough: vfio-pci.*/vfio_pci.* options
  // ("vfio-pci.ids=10de:24a0,10de:228b") and pcie_acs_override=.
  std::vector<std::string> passthrough_options;
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
// The tokens IommuState::passthrough_options keeps.
std::vector<std::string> passthrough_cmdline_tokens(std::string_view cmdline);

// Read everything under the sysroot. Never throws for a malformed group: the problem is
// recorded (with FILE:LINE) and the rest is read.
IommuState read_iommu_state(const source::SysRoot& root);

} // namespace memmap::iommu
