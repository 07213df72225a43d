#include <memmap/source/pci_names.hpp>

#include <memmap/model/address_space.hpp>
#include <memmap/util/hex.hpp>

#include <cstdarg>
#include <fmt/format.h>

extern "C" {
#include <pci/pci.h>
}

namespace memmap::source {

namespace {

void
quiet_message(char*, ...)
{
}

} // namespace

PciNames::PciNames()
  : m_pacc(pci_alloc())
{
  // Name lookups only: no access method is initialised, so nothing is scanned here.
  m_pacc->warning = quiet_message;
  m_pacc->debug = quiet_message;
  m_pacc->numeric_ids = 0;
}

PciNames::~PciNames()
{
  pci_cleanup(m_pacc);
}

std::string
PciNames::vendor(std::uint16_t vendor) const
{
  char buf[256];
  const char* s = pci_lookup_name(m_pacc, buf, sizeof buf, PCI_LOOKUP_VENDOR, vendor);
  return s ? s : fmt::format("{:04x}", vendor);
}

std::string
PciNames::device(std::uint16_t vendor, std::uint16_t device) const
{
  char buf[512];
  const char* s = pci_lookup_name(m_pacc, buf, sizeof buf, PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE,
                                  vendor, device);
  return s ? s : fmt::format("{:04x}:{:04x}", vendor, device);
}

std::string
PciNames::subsystem(std::uint16_t vendor, std::uint16_t device, std::uint16_t sub_vendor,
                    std::uint16_t sub_device) const
{
  char buf[512];
  const char* s = pci_lookup_name(m_pacc, buf, sizeof buf,
                                  PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE,
                                  vendor, device, sub_vendor, sub_device);
  return s ? s : fmt::format("{:04x}:{:04x}", sub_vendor, sub_device);
}

std::string
PciNames::class_name(std::uint32_t class_code) const
{
  char buf[256];
  const char* s = pci_lookup_name(m_pacc, buf, sizeof buf, PCI_LOOKUP_CLASS,
                                  static_cast<int>(class_code >> 8));
  return s ? s : fmt::format("Class {:04x}", class_code >> 8);
}

std::optional<std::uint64_t>
parse_sysfs_hex(const std::string& text)
{
  std::string s = text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return util::parse_hex_u64(s);
}

std::map<std::string, DeviceBrief>
read_device_briefs(const SysRoot& root, const PciNames& names)
{
  std::map<std::string, DeviceBrief> out;
  for (const auto& entry : root.list("sys/bus/pci/devices")) {
    const auto bdf = model::parse_bdf(entry);
    if (!bdf) {
      continue;
    }
    const std::string dir = "sys/bus/pci/devices/" + entry;
    DeviceBrief b;
    b.bdf = *bdf;
    auto vendor = root.read_line(dir + "/vendor");
    auto device = root.read_line(dir + "/device");
    auto cls = root.read_line(dir + "/class");
    if (vendor && device) {
      const auto v = parse_sysfs_hex(*vendor);
      const auto d = parse_sysfs_hex(*device);
      if (v && d) {
        b.vendor_id = static_cast<std::uint16_t>(*v);
        b.device_id = static_cast<std::uint16_t>(*d);
        b.name = names.device(b.vendor_id, b.device_id);
      }
    }
    if (cls) {
      if (auto c = parse_sysfs_hex(*cls)) {
        b.class_code = static_cast<std::uint32_t>(*c);
      }
    }
    if (auto drv = root.link_name(dir + "/driver")) {
      b.driver = *drv;
    }
    out.emplace(b.bdf, std::move(b));
  }
  return out;
}

} // namespace memmap::source
