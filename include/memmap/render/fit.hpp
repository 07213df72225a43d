// memmap fit: the report (machine::FitReport) as text and as JSON.
#pragma once

#include <ostream>

#include <memmap/machine/fit.hpp>
#include <memmap/render/format.hpp>
#include <memmap/render/json.hpp>

namespace memmap::render {

void render_fit_text(const machine::FitReport& r, const Style& style, std::ostream& out);
Json fit_to_json(const machine::FitReport& r);

} // namespace memmap::render
