// Text pieces the iommu renderers share (render/iommu.cpp, render/iommu_columns.cpp).
// Private to src/render.
#pragma once

#include <string>

#include <memmap/machine/passthrough.hpp>
#include <memmap/render/format.hpp>

namespace memmap::render {

// A member of a group: "BDF  [VEN:DEV] CLASS: NAME  [driver]  reset: METHODS".
std::string member_line(const machine::Member& m, const Style& st, const std::string& indent);

} // namespace memmap::render
