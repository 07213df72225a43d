// decode_device(): the whole function, from its config bytes and sysfs rows.
#include <memmap/pci/decode.hpp>

#include "decode_internal.hpp"

namespace memmap::pci {

namespace {

// A decode issue as the diagnostic users see: named after the file and the function, with
// the text and id its code gives (decode_problem.cpp).
model::Diagnostic
device_problem(const std::string& display, const std::string& bdf, const DecodeIssue& issue)
{
  model::Diagnostic d;
  d.severity = model::Severity::warning;
  d.id = diagnostic_id(issue.code);
  d.file = display;
  d.message = bdf + ": " + message(issue);
  return d;
}

void
report(Device& dev, const std::string& display, const std::vector<DecodeIssue>& issues)
{
  for (const auto& p : issues) {
    dev.problems.push_back(device_problem(display, dev.bdf, p));
  }
}

// Bytes 0x100-0x13f repeat 0x00-0x3f: a bus or bridge that does not decode the extended
// register number shows the header again there.
bool
extended_space_aliased(const ConfigSpace& cfg)
{
  for (std::size_t i = 0; i < k_cfg_header_size; ++i) {
    if (cfg.u8(i) != cfg.u8(k_cfg_ext_cap_start + i)) {
      return false;
    }
  }
  return true;
}

bool
has_extended_space(const Device& dev)
{
  if (dev.config.size() <= k_cfg_space_size) {
    return false;
  }
  for (const auto& c : dev.capabilities.entries) {
    if (c.id == k_cap_exp) {
      return true;
    }
    if (c.id == k_cap_pcix) {
      // PCI-X 266/533 (status bits 30/31) have extended config space.
      const auto st = dev.config.u32(c.offset + k_pcix_status);
      if (st && (*st & k_pcix_status_266_533)) {
        return true;
      }
    }
  }
  return false;
}

} // namespace

std::optional<std::uint32_t>
config_class_code(const ConfigSpace& cfg)
{
  if (!cfg.present(k_cfg_class_prog, 3)) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*cfg.u8(k_cfg_class_base)) << 16
         | static_cast<std::uint32_t>(*cfg.u8(k_cfg_class_device)) << 8 | *cfg.u8(k_cfg_class_prog);
}

void
decode_device(Device& dev, const std::string& display)
{
  const ConfigSpace& cfg = dev.config;
  const SysfsResource* res = dev.resource ? &*dev.resource : nullptr;

  // Absent only when the header really reads all ones: an SR-IOV VF reads ffff as its
  // Vendor and Device ID by design, yet the rest of its header is real.
  bool any_read = false;
  bool all_ones = true;
  for (std::size_t i = 0; i < k_cfg_header_size && all_ones; ++i) {
    if (const auto b = cfg.u8(i)) {
      any_read = true;
      all_ones = *b == 0xff;
    }
  }
  if (any_read && all_ones) {
    dev.absent = true;
    dev.problems.push_back(device_problem(display, dev.bdf, {DecodeProblem::header_all_ones, k_cfg_vendor_id}));
    return;
  }
  if (const auto v = cfg.u16(k_cfg_vendor_id); v && *v != 0xffff) {
    if (!dev.vendor_id) {
      dev.vendor_id = *v;
    }
    if (const auto d = cfg.u16(k_cfg_device_id); d && !dev.device_id) {
      dev.device_id = *d;
    }
  }
  if (const auto rev = cfg.u8(k_cfg_revision)) {
    dev.revision = *rev;
  }
  if (!dev.class_code) {
    dev.class_code = config_class_code(cfg);
  }
  dev.command = cfg.u16(k_cfg_command);
  dev.status = cfg.u16(k_cfg_status);
  if (const auto ht = cfg.u8(k_cfg_header_type)) {
    dev.header_type = *ht & k_header_type_mask;
    dev.multifunction = (*ht & k_header_multifunction) != 0;
  }

  const int htype = dev.header_type.value_or(res && res->bridge ? 1 : 0);
  std::vector<DecodeIssue> problems;
  const auto buses = [&cfg]() -> std::optional<BusRange> {
    if (!cfg.present(k_cfg_primary_bus, 3)) {
      return std::nullopt;
    }
    return BusRange{*cfg.u8(k_cfg_primary_bus), *cfg.u8(k_cfg_primary_bus + 1), *cfg.u8(k_cfg_primary_bus + 2)};
  };
  switch (htype) {
  case k_header_type_normal:
    dev.bars = decode_bars(cfg, k_bars_normal, dev.command, res);
    dev.rom = decode_rom(cfg, k_cfg_rom, res);
    if (const auto sv = cfg.u16(k_cfg_subsystem_vendor)) {
      dev.subsys_vendor_id = *sv;
      dev.subsys_id = cfg.u16(k_cfg_subsystem_id);
    }
    break;
  case k_header_type_bridge:
    dev.bars = decode_bars(cfg, k_bars_bridge, dev.command, res);
    dev.rom = decode_rom(cfg, k_cfg_bridge_rom, res);
    dev.windows = decode_bridge_windows(cfg, res, problems);
    dev.buses = buses();
    break;
  case k_header_type_cardbus:
    dev.bars = decode_bars(cfg, k_bars_cardbus, dev.command, res);
    dev.windows = decode_cardbus_windows(cfg);
    dev.buses = buses();
    if (const auto sv = cfg.u16(k_cfg_cb_subsystem_vendor)) {
      dev.subsys_vendor_id = *sv;
      dev.subsys_id = cfg.u16(k_cfg_cb_subsystem_id);
    }
    break;
  default:
    problems.push_back({DecodeProblem::unknown_header_type, k_cfg_header_type, static_cast<std::uint32_t>(htype)});
    dev.bars = decode_bars(ConfigSpace{}, k_bars_normal, dev.command, res);
    break;
  }
  report(dev, display, problems);

  dev.capabilities = walk_capabilities(cfg, htype);
  report(dev, display, dev.capabilities.problems);
  if (has_extended_space(dev)) {
    if (cfg.size() >= k_cfg_ext_cap_start + k_cfg_header_size && cfg.present(0, k_cfg_header_size)
        && cfg.present(k_cfg_ext_cap_start, k_cfg_header_size) && extended_space_aliased(cfg)) {
      dev.problems.push_back(
        device_problem(display, dev.bdf, {DecodeProblem::ext_space_aliased, k_cfg_ext_cap_start}));
    } else {
      dev.extended_capabilities = walk_extended_capabilities(cfg);
      report(dev, display, dev.extended_capabilities.problems);
    }
  }

  for (const auto& c : dev.capabilities.entries) {
    if (c.id == k_cap_exp && !dev.pcie) {
      dev.pcie = decode_pcie(cfg, c.offset);
    } else if (c.id == k_cap_msix && !dev.msix) {
      dev.msix = decode_msix(cfg, c.offset);
    }
  }
  for (const auto& c : dev.extended_capabilities.entries) {
    if (c.id == k_ecap_rebar || c.id == k_ecap_vf_rebar) {
      Rebar rb = decode_rebar(cfg, c.offset, c.id == k_ecap_vf_rebar);
      report(dev, display, rb.problems);
      dev.rebars.push_back(std::move(rb));
    } else if (c.id == k_ecap_sriov && !dev.sriov) {
      dev.sriov = decode_sriov(cfg, c.offset, res);
      if (!dev.sriov) {
        dev.problems.push_back(device_problem(display, dev.bdf, {DecodeProblem::sriov_truncated, c.offset}));
      }
    } else if (c.id == k_ecap_acs && !dev.acs) {
      dev.acs = decode_acs(cfg, c.offset);
    } else if (c.id == k_ecap_ari) {
      dev.ari = true;
    }
  }
}

} // namespace memmap::pci
