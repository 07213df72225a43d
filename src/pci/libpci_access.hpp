// libpci under memmap's rules, shared by the sysfs and the dump loader: an access whose
// fatal errors come back as a return value instead of exit(), config space read as far as
// the method gives it, canonical BDFs. Private to src/pci (not installed).
#pragma once

#include <memory>
#include <string>

#include <memmap/pci/device.hpp>
#include <memmap/source/pci_names.hpp>

extern "C" {
#include <pci/pci.h>
}

namespace memmap::pci::detail {

struct AccessDeleter {
  void operator()(pci_access* a) const;
};
using AccessPtr = std::unique_ptr<pci_access, AccessDeleter>;

// A pci_access for `method` whose error callback jumps back to the guarded calls below.
AccessPtr make_access(unsigned method);

// pci_init + pci_scan_bus; false if libpci gave up (libpci_error_text() says why).
bool scan_guarded(pci_access* a);
// pci_fill_info for one function; false if libpci gave up on it.
bool fill_guarded(pci_dev* d, unsigned fill);
// The message of the last libpci failure on this thread.
const char* libpci_error_text();

// As much config space as the method gives: whole blocks as lspci reads them (4096, 256,
// 128, 64), then dword by dword for odd-sized dumps. Each byte read is marked present.
ConfigSpace read_config(pci_dev* d);

std::string canonical_bdf(const pci_dev* d);
void sort_devices(PciModel& m);
void name_device(Device& dev, const source::PciNames& names);

} // namespace memmap::pci::detail
