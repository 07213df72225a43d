#include <memmap/pci/device.hpp>
#include <memmap/pci/registers.hpp>

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

namespace memmap::pci {

const char*
to_string(BarKind k)
{
  return k == BarKind::io ? "io" : "mem";
}

const char*
to_string(WindowKind k)
{
  switch (k) {
  case WindowKind::io:
    return "io";
  case WindowKind::mem:
    return "mem";
  case WindowKind::prefetchable:
    return "prefetchable";
  }
  return "mem";
}

// path_lines holds "\nNAME" per element, so an empty name is an element too.
std::vector<std::string>
Placement::path() const
{
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < path_lines.size()) {
    const auto next = path_lines.find('\n', pos + 1);
    out.push_back(path_lines.substr(pos + 1, next == std::string::npos ? std::string::npos
                                                                       : next - pos - 1));
    pos = next == std::string::npos ? path_lines.size() : next;
  }
  return out;
}

void
Placement::push_path(const std::string& name)
{
  path_lines += '\n';
  path_lines += name;
}

std::string
Placement::path_text(std::string_view sep) const
{
  std::string s;
  for (std::size_t i = 0; i < path_lines.size(); ++i) {
    if (path_lines[i] != '\n') {
      s += path_lines[i];
    } else if (i != 0) {
      s += sep;
    }
  }
  return s;
}

std::optional<std::int64_t>
Bar::translation_offset() const
{
  if (!bus_address || !cpu_address || *bus_address == *cpu_address) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(*cpu_address - *bus_address);
}

std::optional<bool>
Bar::naturally_aligned() const
{
  const auto addr = bus_address ? bus_address : cpu_address;
  if (!addr || !size || *size == 0) {
    return std::nullopt;
  }
  return *addr % *size == 0;
}

std::string
Bar::state() const
{
  if (broken_64) {
    return "broken-64-bit-slot";
  }
  if (is_virtual) {
    return "virtual";
  }
  if (unassigned) {
    return "unassigned";
  }
  if (ignored) {
    return "ignored";
  }
  if (raw_low && decode_enabled == false) {
    return "disabled";
  }
  return "";
}

namespace {

// Capability names as the PCI specifications call them (standard ids 0x01-0x15).
constexpr std::array<std::pair<std::uint16_t, const char*>, 21> k_std_caps{{
  {0x01, "Power Management"},
  {0x02, "AGP"},
  {0x03, "Vital Product Data"},
  {0x04, "Slot Identification"},
  {0x05, "MSI"},
  {0x06, "CompactPCI Hot Swap"},
  {0x07, "PCI-X"},
  {0x08, "HyperTransport"},
  {0x09, "Vendor Specific"},
  {0x0a, "Debug Port"},
  {0x0b, "CompactPCI Central Resource Control"},
  {0x0c, "PCI Hot-Plug"},
  {0x0d, "Bridge Subsystem ID"},
  {0x0e, "AGP 8x"},
  {0x0f, "Secure Device"},
  {0x10, "PCI Express"},
  {0x11, "MSI-X"},
  {0x12, "SATA Data/Index"},
  {0x13, "Advanced Features"},
  {0x14, "Enhanced Allocation"},
  {0x15, "Flattening Portal Bridge"},
}};

// Extended capability ids 0x01-0x2f.
constexpr std::array<std::pair<std::uint16_t, const char*>, 46> k_ext_caps{{
  {0x01, "Advanced Error Reporting"},
  {0x02, "Virtual Channel"},
  {0x03, "Device Serial Number"},
  {0x04, "Power Budgeting"},
  {0x05, "Root Complex Link Declaration"},
  {0x06, "Root Complex Internal Link Control"},
  {0x07, "Root Complex Event Collector Endpoint Association"},
  {0x08, "Multi-Function Virtual Channel"},
  {0x09, "Virtual Channel (MFVC)"},
  {0x0a, "Root Complex Register Block"},
  {0x0b, "Vendor Specific"},
  {0x0c, "Configuration Access Correlation"},
  {0x0d, "Access Control Services"},
  {0x0e, "Alternative Routing-ID Interpretation"},
  {0x0f, "Address Translation Services"},
  {0x10, "Single Root I/O Virtualization"},
  {0x11, "Multi-Root I/O Virtualization"},
  {0x12, "Multicast"},
  {0x13, "Page Request Interface"},
  {0x14, "Reserved for AMD"},
  {0x15, "Resizable BAR"},
  {0x16, "Dynamic Power Allocation"},
  {0x17, "TPH Requester"},
  {0x18, "Latency Tolerance Reporting"},
  {0x19, "Secondary PCI Express"},
  {0x1a, "Protocol Multiplexing"},
  {0x1b, "Process Address Space ID"},
  {0x1c, "LN Requester"},
  {0x1d, "Downstream Port Containment"},
  {0x1e, "L1 PM Substates"},
  {0x1f, "Precision Time Measurement"},
  {0x20, "PCI Express over M-PHY"},
  {0x21, "FRS Queueing"},
  {0x22, "Readiness Time Reporting"},
  {0x23, "Designated Vendor-Specific"},
  {0x24, "VF Resizable BAR"},
  {0x25, "Data Link Feature"},
  {0x26, "Physical Layer 16.0 GT/s"},
  {0x27, "Lane Margining at the Receiver"},
  {0x28, "Hierarchy ID"},
  {0x29, "Native PCIe Enclosure Management"},
  {0x2a, "Physical Layer 32.0 GT/s"},
  {0x2b, "Alternate Protocol"},
  {0x2c, "System Firmware Intermediary"},
  {0x2d, "Shadow Functions"},
  {0x2e, "Data Object Exchange"},
}};

} // namespace

std::string
capability_name(std::uint16_t id, bool extended)
{
  if (extended) {
    for (const auto& [k, v] : k_ext_caps) {
      if (k == id) {
        return v;
      }
    }
    if (id == 0x2f) {
      return "Device 3";
    }
    if (id == 0x30) {
      return "Integrity and Data Encryption";
    }
    if (id == 0x31) {
      return "Physical Layer 64.0 GT/s";
    }
    return fmt::format("Extended capability {:#06x}", id);
  }
  for (const auto& [k, v] : k_std_caps) {
    if (k == id) {
      return v;
    }
  }
  return fmt::format("Capability {:#04x}", id);
}

const char*
pcie_port_type_name(int type)
{
  switch (type) {
  case k_pcie_endpoint:
    return "Endpoint";
  case k_pcie_leg_end:
    return "Legacy Endpoint";
  case k_pcie_root_port:
    return "Root Port";
  case k_pcie_upstream:
    return "Upstream Port";
  case k_pcie_downstream:
    return "Downstream Port";
  case k_pcie_pci_bridge:
    return "PCIe to PCI/PCI-X Bridge";
  case k_pcie_pcie_bridge:
    return "PCI/PCI-X to PCIe Bridge";
  case k_pcie_rc_end:
    return "Root Complex Integrated Endpoint";
  case k_pcie_rc_ec:
    return "Root Complex Event Collector";
  default:
    return "Unknown";
  }
}

bool
Device::has_capability(std::uint16_t id, bool extended) const
{
  const auto& list = extended ? extended_capabilities.entries : capabilities.entries;
  return std::any_of(list.begin(), list.end(), [&](const Capability& c) { return c.id == id; });
}

bool
Device::capabilities_known() const
{
  if (!capabilities.entries.empty()) {
    return true;
  }
  return !capabilities.access_denied && config.present(k_cfg_status, 2);
}

bool
Device::extended_capabilities_known() const
{
  if (!extended_capabilities.entries.empty()) {
    return true;
  }
  if (extended_capabilities.access_denied || !capabilities_known()) {
    return false;
  }
  // PCI Express (0x10) and PCI-X (0x07, whose 266/533 modes have it) may have extended
  // space: known only where its first header was read.
  if (!has_capability(k_cap_exp, false) && !has_capability(k_cap_pcix, false)) {
    return true;  // conventional PCI: no extended configuration space
  }
  return config.present(k_cfg_ext_cap_start, 4);
}

const Device*
PciModel::find(const std::string& bdf) const
{
  // Devices are kept sorted by domain, bus, device, function, which is the order of their
  // fixed-width lowercase BDF strings: binary search, with a scan if that order was broken.
  auto it = std::lower_bound(devices.begin(), devices.end(), bdf,
                             [](const Device& d, const std::string& b) { return d.bdf < b; });
  if (it != devices.end() && it->bdf == bdf) {
    return &*it;
  }
  for (const auto& d : devices) {
    if (d.bdf == bdf) {
      return &d;
    }
  }
  return nullptr;
}

std::vector<const Device*>
PciModel::upstream_path(const std::string& bdf) const
{
  std::vector<const Device*> out;
  const Device* d = find(bdf);
  // Bounded: a topology with a cycle (hostile bus numbers) cannot loop forever.
  for (std::size_t guard = 0; d && !d->parent_bdf.empty() && guard < devices.size(); ++guard) {
    d = find(d->parent_bdf);
    if (!d) {
      break;
    }
    out.push_back(d);
  }
  return out;
}

} // namespace memmap::pci
