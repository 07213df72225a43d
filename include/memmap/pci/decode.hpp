// Pure decoders over config-space bytes (plus the sysfs `resource` rows when known). They
// never read files, never print and never trust a pointer: every walk is bounded, every
// byte that was not read is "unknown", and what is wrong is returned as a DecodeIssue (a
// code with the offset at fault; decode_problem.hpp), never as text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <memmap/pci/config_space.hpp>
#include <memmap/pci/decode_problem.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/pci/registers.hpp>
#include <memmap/pci/sysfs_resource.hpp>

namespace memmap::pci {

// BARs in registers 0..count-1 (6 for type 0, 2 for type 1, 1 for CardBus). `command` is
// the command register (nullopt: unknown, decode_enabled false). Implemented BARs only: a
// register reading 0 (or all ones) with no sysfs row is not implemented.
std::vector<Bar> decode_bars(const ConfigSpace& cfg, int count, std::optional<std::uint16_t> command,
                             const SysfsResource* res);

// The expansion ROM at `reg` (0x30 type 0, 0x38 type 1); nullopt when none is implemented.
std::optional<Rom> decode_rom(const ConfigSpace& cfg, std::size_t reg, const SysfsResource* res);

// Type-1 bridge windows (I/O, memory, prefetchable), enabled or not; `problems` gets unknown
// range types and upper registers not read.
std::vector<BridgeWindow> decode_bridge_windows(const ConfigSpace& cfg, const SysfsResource* res,
                                                std::vector<DecodeIssue>& problems);
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

// The class code (base << 16 | sub << 8 | prog-if) from bytes 0x09-0x0b; nullopt when they
// were not all read.
std::optional<std::uint32_t> config_class_code(const ConfigSpace& cfg);

// Fill every decoded field of `dev` from dev.config and dev.resource (ids, header, BARs, ROM,
// windows, capabilities...). Problems land in dev.problems, named after `display`.
void decode_device(Device& dev, const std::string& display);

} // namespace memmap::pci
