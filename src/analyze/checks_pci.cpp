// Checks on PCI devices: BAR placement, windows, Resizable BAR, ROMs, DMA masks.
#include <memmap/analyze/audit.hpp>

namespace memmap::analyze {

void
add_pci_checks(std::vector<Check>&)
{
  // Filled when the PCI model lands (bar-* checks).
}

} // namespace memmap::analyze
