// memmap iommu-groups: the group listing (machine::Listing) and the passthrough pre-flight
// (machine::PreflightReport) as text and as JSON (memmap(8), JSON OUTPUT "iommu-groups").
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <memmap/iommu/groups.hpp>
#include <memmap/machine/passthrough.hpp>
#include <memmap/render/fields.hpp>
#include <memmap/render/format.hpp>
#include <memmap/render/json.hpp>

namespace memmap::render {

// How the files are named to the user ("/sys/kernel/iommu_groups", "DIR/proc/cmdline").
struct IommuNames {
  std::string groups_dir;
  std::string class_iommu;
  std::string cmdline;
  std::string iomem;
};

// The columns of a group row of the listing, in iommu_groups_table()'s order.
enum class IommuGroupCol {
  group, type, state, cause, cause_dev, devices, drivers, reserved, reason, members
};
const Table& iommu_groups_table();

// `cols` from -o: the groups as a table of those columns (between the units line and the
// summary) instead of one block a group.
void render_iommu_groups_text(const iommu::IommuState& st, const machine::Listing& l,
                              const IommuNames& names, const Style& style, std::ostream& out,
                              const Columns& cols = {});
// Just the table of the groups (render/iommu_columns.cpp).
void render_iommu_groups_table(const machine::Listing& l, const Columns& cols,
                               const Style& style, std::ostream& out);
Json iommu_groups_to_json(const iommu::IommuState& st, const machine::Listing& l);

// `iomem_units`: machine::iommu_units_in_iomem() of the iomem, for a device in no group.
void render_preflight_text(const iommu::IommuState& st, const machine::PreflightReport& r,
                           const std::vector<std::string>& iomem_units, const IommuNames& names,
                           const Style& style, std::ostream& out);
Json preflight_to_json(const iommu::IommuState& st, const machine::PreflightReport& r);

} // namespace memmap::render
