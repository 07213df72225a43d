// Checks on IOMMU groups and DMA reach.
#include <memmap/analyze/audit.hpp>

namespace memmap::analyze {

void
add_iommu_checks(std::vector<Check>&)
{
  // Filled when the IOMMU model lands (iommu-* checks).
}

} // namespace memmap::analyze
