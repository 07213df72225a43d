// lspci's capability words -> capability ids (lspci_capability_ids), for comparing a dump's
// capability list with the decoder's.
#include <memmap/pci/lspci_text.hpp>

#include <cstdint>

#include <memmap/util/hex.hpp>
#include <memmap/util/text.hpp>

namespace memmap::pci {

namespace {

// lspci's words for each capability (pciutils ls-caps.c / ls-ecaps.c, and the older
// wording of pciutils 2.x/3.x where it differs) -> the ids they stand for.
struct CapWords {
  const char* prefix;
  bool extended;
  std::uint16_t id;
  std::uint16_t also = 0xffff;  // a second id lspci names the same way
};

constexpr CapWords k_cap_words[] = {
  {"Null", false, 0x00},
  {"Power Management version", false, 0x01},
  {"AGP version", false, 0x02},
  {"Vital Product Data", false, 0x03},
  {"Slot ID", false, 0x04},
  {"MSI:", false, 0x05},
  {"Message Signalled Interrupts", false, 0x05},
  {"CompactPCI hot-swap", false, 0x06},
  {"PCI-X", false, 0x07},
  {"HyperTransport", false, 0x08},
  {"Vendor Specific Information", false, 0x09},
  {"VirtIO", false, 0x09},
  {"Debug port", false, 0x0a},
  {"CompactPCI central resource control", false, 0x0b},
  {"Hot-plug capable", false, 0x0c},
  {"Subsystem:", false, 0x0d},
  {"AGP3", false, 0x0e},
  {"Secure device", false, 0x0f},
  {"Express", false, 0x10},
  {"MSI-X", false, 0x11},
  {"SATA HBA", false, 0x12},
  {"PCI Advanced Features", false, 0x13},
  {"Enhanced Allocation", false, 0x14},
  {"Null", true, 0x00},
  {"Advanced Error Reporting", true, 0x01},
  {"Virtual Channel", true, 0x02, 0x09},
  {"Device Serial Number", true, 0x03},
  {"Power Budgeting", true, 0x04},
  {"Root Complex Link", true, 0x05},
  {"Root Complex Internal Link", true, 0x06},
  {"Root Complex Event Collector", true, 0x07},
  {"Multi-Function Virtual Channel", true, 0x08},
  {"Root Complex Register Block", true, 0x0a},
  {"Vendor Specific Information", true, 0x0b},
  {"Access Control Services", true, 0x0d},
  {"Alternative Routing-ID Interpretation", true, 0x0e},
  {"Address Translation Service", true, 0x0f},
  {"Single Root I/O Virtualization", true, 0x10},
  {"Multi-Root I/O Virtualization", true, 0x11},
  {"Multicast", true, 0x12},
  {"Page Request Interface", true, 0x13},
  {"Physical Resizable BAR", true, 0x15},
  {"Dynamic Power Allocation", true, 0x16},
  {"Transaction Processing Hints", true, 0x17},
  {"Latency Tolerance Reporting", true, 0x18},
  {"Secondary PCI Express", true, 0x19},
  {"Protocol Multiplexing", true, 0x1a},
  {"Process Address Space ID", true, 0x1b},
  {"LN Requester", true, 0x1c},
  {"Downstream Port Containment", true, 0x1d},
  {"L1 PM Substates", true, 0x1e},
  {"Precision Time Measurement", true, 0x1f},
  {"PCI Express over M_PHY", true, 0x20},
  {"FRS Queueing", true, 0x21},
  {"Readiness Time Reporting", true, 0x22},
  {"Designated Vendor-Specific", true, 0x23},
  {"Virtual Resizable BAR", true, 0x24},
  {"Data Link Feature", true, 0x25},
  {"Physical Layer 16.0 GT/s", true, 0x26},
  {"Lane Margining at the Receiver", true, 0x27},
  {"Hierarchy ID", true, 0x28},
  {"Native PCIe Enclosure Management", true, 0x29},
  {"Physical Layer 32.0 GT/s", true, 0x2a},
  {"Data Object Exchange", true, 0x2e},
  {"Device 3", true, 0x2f},
  {"Integrity & Data Encryption", true, 0x30},
  {"Physical Layer 64.0 GT/s", true, 0x31},
  {"Flit Logging", true, 0x32},
  {"Flit Error Injection", true, 0x34},
  {"MMIO Register Block Locator", true, 0x36},
};

// The hex number at the start of `s` ("0x15 [0000]" or "15"), at most `max`.
std::optional<std::uint16_t>
leading_hex(std::string_view s, unsigned max)
{
  if (s.starts_with("0x")) {
    s.remove_prefix(2);
  }
  std::size_t n = 0;
  while (n < s.size() && n < 4 && util::is_xdigit(s[n])) {
    ++n;
  }
  if (n == 0 || (n < s.size() && util::is_xdigit(s[n]))) {
    return std::nullopt;
  }
  const auto v = *util::parse_hex_u64(s.substr(0, n));
  if (v > max) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(v);
}

} // namespace

std::vector<std::uint16_t>
lspci_capability_ids(std::string_view words, bool extended)
{
  for (const auto& e : k_cap_words) {
    if (e.extended == extended && words.starts_with(e.prefix)) {
      std::vector<std::uint16_t> ids{e.id};
      if (e.also != 0xffff) {
        ids.push_back(e.also);
      }
      return ids;
    }
  }
  std::optional<std::uint16_t> id;
  if (words.starts_with("#")) {
    id = leading_hex(words.substr(1), extended ? 0xffff : 0xff);  // older lspci: "#19"
  } else if (extended && words.starts_with("Extended Capability ID ")) {
    id = leading_hex(words.substr(23), 0xffff);
  } else if (!extended && words.starts_with("Capability ID ")) {
    id = leading_hex(words.substr(14), 0xff);
  }
  if (id) {
    return {*id};
  }
  return {};
}

} // namespace memmap::pci
