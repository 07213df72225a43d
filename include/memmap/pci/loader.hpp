// Building the PCI model from its sources through libpci: the linux-sysfs method (live, or
// with sysfs.path = DIR/sys/bus/pci for --root) or the dump method (--lspci FILE, including
// the mixed `lspci -v -x` text whose [size=] lines give sizes a bare dump lacks).
#pragma once

#include <string>

#include <memmap/model/address_space.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/source/pci_names.hpp>
#include <memmap/source/sysroot.hpp>

namespace memmap::pci {

struct LoadOptions {
  bool wake = false;  // read the config space of functions in D3cold too (wakes them)
  // Read `resource`, the DMA masks and numa_node. False for a caller that needs only
  // identity, driver and topology (iommu-groups): three fewer files a function, and BARs
  // decoded from config space alone (no CPU addresses or sizes).
  bool addresses = true;
};

// Every function under ROOT/sys/bus/pci/devices. Sysfs attributes (power_state, resource,
// ids, dma masks) are read before config space. Throws SourceError if ROOT/sys/bus/pci is
// missing, InputError if libpci rejects what it reads (the message names the file).
PciModel load_sysfs(const source::SysRoot& root, const source::PciNames& names,
                    const LoadOptions& opts = {});

// An lspci -x/-xxx/-xxxx dump, with or without -v text. Throws SourceError if unreadable,
// InputError "FILE:LINE: reason" if malformed. `use_text`: merge what the -v lines say
// (CPU addresses, [size=], ROM shadows, driver); false decodes the hex alone, as lspci -F.
PciModel load_dump(const std::string& file, const source::PciNames& names, bool use_text = true);

// SR-IOV virtual functions proven by a PF of the same model: a PF whose SR-IOV capability
// has VF Enable set places VF i (i < NumVFs) at routing ID PF + First VF Offset + i * VF
// Stride (drivers/pci/iov.c, pci_iov_virtfn_bus/devfn). A function found there whose
// Vendor ID register reads ffff and that has no physfn link gets physfn (physfn_from =
// pf_capability) and vf_index; where no IDs were read, the PF's vendor and VF Device ID
// (ids_from_pf, renamed through `names` when given); where it has no BARs of its own (a
// dump), slice i of each PF VF BAR (from_pf, virtual). Idempotent; link_topology() runs it.
void identify_vfs(PciModel& model, const source::PciNames* names = nullptr);

// identify_vfs(), then parent bridges from bus numbers, children lists and
// BAR-inside-parent-window checks.
void link_topology(PciModel& model, const source::PciNames* names = nullptr);

// Where each BAR, ROM and VF aperture lies in /proc/iomem (memory) or /proc/ioports (I/O);
// either space may be null.
void cross_reference(PciModel& model, const model::AddressSpace* iomem,
                     const model::AddressSpace* ioports);

} // namespace memmap::pci
