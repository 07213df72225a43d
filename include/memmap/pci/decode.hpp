// Pure decoders over config-space bytes (plus the sysfs `resource` rows when known). They
// never read files, never print and never trust a pointer: every walk is bounded, every
// byte that was not read is "unknown", and what is wrong is returned as text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <memmap/pci/config_space.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/pci/sysfs_resource.hpp>

namespace memmap::pci {

// Config register offsets used by more than one decoder.
inline constexpr std::size_t k_cfg_command = 0x04;
inline constexpr std::size_t k_cfg_status = 0x06;
inline constexpr std::size_t k_cfg_header_type = 0x0e;
inline constexpr std::size_t k_cfg_bar0 = 0x10;
inline constexpr std::size_t k_cfg_cap_ptr = 0x34;
inline constexpr std::size_t k_cfg_cardbus_cap_ptr = 0x14;
inline constexpr std::size_t k_cfg_rom = 0x30;
inline constexpr std::size_t k_cfg_bridge_rom = 0x38;

inline constexpr std::uint16_t k_cap_pm = 0x01;
inline constexpr std::uint16_t k_cap_msi = 0x05;
inline constexpr std::uint16_t k_cap_pcix = 0x07;
inline constexpr std::uint16_t k_cap_exp = 0x10;
inline constexpr std::uint16_t k_cap_msix = 0x11;
inline constexpr std::uint16_t k_cap_ea = 0x14;
inline constexpr std::uint16_t k_ecap_acs = 0x0d;
inline constexpr std::uint16_t k_ecap_ari = 0x0e;
inline constexpr std::uint16_t k_ecap_sriov = 0x10;
inline constexpr std::uint16_t k_ecap_rebar = 0x15;
inline constexpr std::uint16_t k_ecap_vf_rebar = 0x24;

// BARs in registers 0..count-1 (6 for type 0, 2 for type 1, 1 for CardBus). `command` is
// the command register (nullopt: unknown, decode_enabled false). Implemented BARs only: a
// register reading 0 (or all ones) with no sysfs row is not implemented.
std::vector<Bar> decode_bars(const ConfigSpace& cfg, int count, std::optional<std::uint16_t> command,
                             const SysfsResource* res);

// The expansion ROM at `reg` (0x30 type 0, 0x38 type 1); nullopt when none is implemented.
std::optional<Rom> decode_rom(const ConfigSpace& cfg, std::size_t reg, const SysfsResource* res);

// Type-1 bridge windows (I/O, memory, prefetchable), enabled or not; `problems` gets
// "unknown range type" complaints.
std::vector<BridgeWindow> decode_bridge_windows(const ConfigSpace& cfg, const SysfsResource* res,
                                                std::vector<std::string>& problems);
// CardBus windows (memory 0/1, I/O 0/1).
std::vector<BridgeWindow> decode_cardbus_windows(const ConfigSpace& cfg);

// The standard capability list (from 0x34, or 0x14 for CardBus), loop- and TTL-bounded.
CapabilityList walk_capabilities(const ConfigSpace& cfg, int header_type);
// The extended list from 0x100; only meaningful when the function has extended space
// (PCIe or PCI-X 266/533) and those bytes were read.
CapabilityList walk_extended_capabilities(const ConfigSpace& cfg);

Rebar decode_rebar(const ConfigSpace& cfg, std::uint16_t offset, bool vf);
std::optional<Sriov> decode_sriov(const ConfigSpace& cfg, std::uint16_t offset, const SysfsResource* res);
std::optional<Msix> decode_msix(const ConfigSpace& cfg, std::uint16_t offset);
std::optional<PcieInfo> decode_pcie(const ConfigSpace& cfg, std::uint16_t offset);
std::optional<Acs> decode_acs(const ConfigSpace& cfg, std::uint16_t offset);

// Fill every decoded field of `dev` from dev.config and dev.resource (ids, header, BARs, ROM,
// windows, capabilities...). Problems land in dev.problems, named after `display`.
void decode_device(Device& dev, const std::string& display);

} // namespace memmap::pci
