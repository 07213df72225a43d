// The PCI model from ROOT/sys/bus/pci: libpci's linux-sysfs method lists the functions and
// reads config space; memmap reads every other attribute itself, each file once.
#include <memmap/pci/loader.hpp>

#include "libpci_access.hpp"

#include <memmap/error.hpp>
#include <memmap/pci/decode.hpp>

#include <charconv>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace memmap::pci {

using namespace detail;

namespace {

std::optional<int>
parse_int(const std::optional<std::string>& s)
{
  if (!s) {
    return std::nullopt;
  }
  int v = 0;
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v, 10);
  if (ec != std::errc() || ptr != s->data() + s->size()) {
    return std::nullopt;
  }
  return v;
}

// A sysfs "0x8086" ID file; nullopt when missing or malformed.
std::optional<std::uint16_t>
read_id(const source::SysRoot::Dir& dir, std::string_view name)
{
  if (auto line = dir.read_line(name)) {
    if (auto v = source::parse_sysfs_hex(*line); v && *v <= 0xffff) {
      return static_cast<std::uint16_t>(*v);
    }
  }
  return std::nullopt;
}

} // namespace

PciModel
load_sysfs(const source::SysRoot& root, const source::PciNames& names, const LoadOptions& opts)
{
  PciModel model;
  model.origin = Origin::sysfs;
  model.source = root.display("sys/bus/pci");
  if (!root.exists("sys/bus/pci/devices")) {
    throw SourceError(root.display("sys/bus/pci/devices") + ": no such directory (no PCI sysfs)");
  }

  AccessPtr a = make_access(PCI_ACCESS_SYS_BUS_PCI);
  const std::string sysfs_path = root.path("sys/bus/pci").string();
  pci_set_param(a.get(), const_cast<char*>("sysfs.path"), const_cast<char*>(sysfs_path.c_str()));
  if (!scan_guarded(a.get())) {
    throw InputError(fmt::format("{}: libpci: {}", model.source, libpci_error_text()));
  }

  std::size_t listed = 0;
  for (pci_dev* p = a->devices; p; p = p->next) {
    ++listed;
  }
  model.devices.reserve(listed);  // a Device is ~1 KiB: no doubling on a 16k-function machine
  for (pci_dev* p = a->devices; p; p = p->next) {
    Device dev;
    dev.domain = static_cast<std::uint32_t>(p->domain);
    dev.bus = p->bus;
    dev.dev = p->dev;
    dev.func = p->func;
    dev.bdf = canonical_bdf(p);
    const std::string dir = "sys/bus/pci/devices/" + dev.bdf;

    // Sysfs attributes first: they never touch the device. A directory (or its `class`, the
    // first file read) that is gone means the function was listed, then removed (or a
    // capture has a dangling link): skipped with a warning.
    const source::SysRoot::Dir attrs = root.open_dir(dir);
    const auto cls = attrs.read("class", 4096);
    if (!cls && (cls.error == ENOENT || cls.error == ENOTDIR)) {
      model.problems.push_back(model::Diagnostic{
          model::Severity::warning, "pci-function-vanished", attrs.display(), 0,
          fmt::format("listed but unreadable (removed while memmap read it?); skipped: {}",
                      attrs.is_open() ? cls.message
                                      : attrs.display() + ": " + std::strerror(attrs.error()))});
      continue;
    }
    if (cls) {
      if (auto c = source::parse_sysfs_hex(cls.data.substr(0, cls.data.find('\n')))) {
        dev.class_code = static_cast<std::uint32_t>(*c & 0xffffff);
      }
    } else {
      // There but unreadable (EIO): the class comes from config space instead.
      dev.problems.push_back(model::Diagnostic{model::Severity::warning, "sysfs-unreadable", "",
                                               0, cls.message + "; class taken from config space"});
    }
    if (!opts.addresses) {
      // identity and topology only (LoadOptions::addresses)
    } else if (auto res = attrs.read("resource", 1 << 16)) {
      dev.resource = parse_sysfs_resource(res.data, attrs.display() + "/resource");
      for (const auto& pr : dev.resource->problems) {
        dev.problems.push_back(pr);
      }
    } else if (res.error != ENOENT) {
      // There but unreadable (EIO from a device that stopped answering): say so, go on.
      dev.problems.push_back(model::Diagnostic{model::Severity::warning, "sysfs-unreadable", "",
                                               0, res.message + "; CPU addresses and sizes unknown"});
    }
    dev.power_state = attrs.read_line("power_state").value_or("");
    if (opts.addresses) {
      dev.dma_mask_bits = parse_int(attrs.read_line("dma_mask_bits"));
      dev.consistent_dma_mask_bits = parse_int(attrs.read_line("consistent_dma_mask_bits"));
      if (auto node = parse_int(attrs.read_line("numa_node")); node && *node >= 0) {
        dev.numa_node = node;
      }
    }
    dev.driver_known = true;  // no driver link: none bound
    if (auto link = attrs.link_name("driver")) {
      dev.driver = *link;  // the target's last component; in a capture it need not exist
    }
    if (auto grp = attrs.link_name("iommu_group")) {
      dev.iommu_group = parse_int(grp);
    }

    // Then config space, unless that would wake a sleeping function.
    if (dev.power_state == "D3cold" && !opts.wake) {
      dev.asleep = true;
      ++model.asleep_count;
    } else {
      dev.config = read_config(p);
      if (dev.config.size() < 256 && !dev.config.empty()) {
        model.config_truncated = true;
      }
      if (dev.config.empty()) {
        // Listed and its attributes read, but config gives nothing (EIO, or gone since).
        dev.problems.push_back(model::Diagnostic{
            model::Severity::warning, "config-unreadable", root.display(dir + "/config"), 0,
            "no byte could be read; header, BAR registers and capabilities unknown"});
      }
    }
    // The IDs: from config space when it gives them, else from sysfs. An SR-IOV virtual
    // function reads ffff there (the spec says so); the kernel takes its IDs from the PF.
    const auto cfg_vendor = dev.config.u16(k_cfg_vendor_id);
    if (cfg_vendor && *cfg_vendor != 0xffff && *cfg_vendor != 0) {
      dev.vendor_id = *cfg_vendor;
      dev.device_id = dev.config.u16(k_cfg_device_id);
    } else {
      dev.vendor_id = read_id(attrs, "vendor");
      dev.device_id = read_id(attrs, "device");
      if (auto pf = attrs.link_name("physfn")) {
        dev.physfn = *pf;
        dev.physfn_from = Device::PhysfnFrom::link;
      }
    }
    decode_device(dev, model.source);
    const bool bridge_class = dev.class_code && (*dev.class_code >> 8 == 0x0604 || *dev.class_code >> 8 == 0x0607);
    if (!dev.buses && (dev.is_bridge() || (!dev.header_type && bridge_class))) {
      // The bus number registers were not read (asleep, short config): the kernel's own
      // attributes say which buses the bridge leads to, so its children keep their parent.
      const auto sec = parse_int(attrs.read_line("secondary_bus_number"));
      const auto sub = parse_int(attrs.read_line("subordinate_bus_number"));
      if (sec && sub && *sec > 0 && *sec <= 255 && *sub >= *sec && *sub <= 255) {
        dev.buses = BusRange{dev.bus, static_cast<std::uint8_t>(*sec), static_cast<std::uint8_t>(*sub)};
      }
    }
    if (!dev.is_bridge()) {
      dev.resource.reset();  // decoded into bars, rom and sriov (see Device::resource)
    }
    name_device(dev, names);
    model.devices.push_back(std::move(dev));
  }
  sort_devices(model);
  link_topology(model, &names);
  return model;
}

} // namespace memmap::pci
