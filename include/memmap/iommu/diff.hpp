// Differences between the IOMMU state of two machines or boots (memmap diff, section "iommu").
// Pure: no files, no printing.
#pragma once

#include <vector>

#include <memmap/iommu/groups.hpp>
#include <memmap/iommu/isolation.hpp>
#include <memmap/model/diff.hpp>

namespace memmap::iommu {

// One side: the groups as read, and the PCI topology the isolation verdict is derived from
// (null when the PCI model could not be loaded: verdicts are then not compared).
struct DiffSide {
  const IommuState* state = nullptr;
  const Topology* topology = nullptr;
};

// Changes from `a` to `b`. Group numbers are reassigned across boots, so groups are matched
// by their member sets, not their numbers: identical sets first, then the pairs sharing the
// most members (membership changed); the rest are added or removed. A group's path names it
// by its number in B ("IOMMU group 9"), with A's number where that differs
// ("IOMMU group 9 (8 in A)"). In order:
//   ["IOMMU unit dmar1"]                      added / removed
//   ["kernel command line"]                   changed: the IOMMU options
//   [group]                                   added / removed (detail: the members)
//   [group, "members"]                        changed: members (detail: "+BDF -BDF")
//   [group, "type"]                           changed: "DMA" -> "identity"
//   [group, "reserved TYPE"]                  added / removed / moved / resized / changed
//   [group, "isolation"]                      changed: "not isolated (no-acs at BDF)" -> ...
//   [BDF, "group"]                            moved: a device now in another group
//                                             ("group 3" -> "group 11", numbers as read)
std::vector<model::Change> diff_states(const DiffSide& a, const DiffSide& b);

// The verdict of a cause as a diff value (render/diff shows it as "isolated (alone)",
// "not isolated (no-acs at 0000:00:1c.0)").
model::Verdict verdict_of(const Cause& cause);

} // namespace memmap::iommu
