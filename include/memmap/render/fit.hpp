// memmap fit: the report (analyze::FitReport) as text and as JSON.
#pragma once

#include <ostream>

#include <memmap/analyze/fit.hpp>
#include <memmap/render/format.hpp>
#include <memmap/render/json.hpp>

namespace memmap::render {

void render_fit_text(const analyze::FitReport& r, const Style& style, std::ostream& out);
Json fit_to_json(const analyze::FitReport& r);

} // namespace memmap::render
