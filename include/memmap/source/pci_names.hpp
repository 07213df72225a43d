// Vendor/device names from pci.ids through libpci, and the light per-device facts sysfs
// gives without opening config space (ids, class, driver). Used to label tree lines.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <memmap/source/sysroot.hpp>

struct pci_access;

namespace memmap::source {

// pci.ids lookups via libpci (pci_lookup_name). Never exits the process on a missing ids
// file: names fall back to the hex ids.
class PciNames {
public:
  PciNames();
  ~PciNames();
  PciNames(const PciNames&) = delete;
  PciNames& operator=(const PciNames&) = delete;

  std::string vendor(std::uint16_t vendor) const;
  // "Vendor Device", as lspci prints it.
  std::string device(std::uint16_t vendor, std::uint16_t device) const;
  std::string subsystem(std::uint16_t vendor, std::uint16_t device, std::uint16_t sub_vendor,
                        std::uint16_t sub_device) const;
  // Class name from the 24-bit class code ("VGA compatible controller").
  std::string class_name(std::uint32_t class_code) const;

private:
  pci_access* m_pacc;
};

struct DeviceBrief {
  std::string bdf;
  std::uint16_t vendor_id = 0;
  std::uint16_t device_id = 0;
  std::uint32_t class_code = 0;
  std::string name;    // from pci.ids
  std::string driver;  // bound driver, empty if none
};

// Read ids and the driver link of every device under ROOT/sys/bus/pci/devices.
// Returns an empty map when sysfs is absent (e.g. a --root with only proc/iomem).
std::map<std::string, DeviceBrief> read_device_briefs(const SysRoot& root, const PciNames& names);

// Parse a sysfs hex attribute ("0x10de\n"); nullopt if malformed.
std::optional<std::uint64_t> parse_sysfs_hex(const std::string& text);

} // namespace memmap::source
