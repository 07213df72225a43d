// The no-command summary (machine::SummaryReport) as text and as JSON.
#pragma once

#include <iosfwd>

#include <nlohmann/json.hpp>

#include <memmap/machine/summary.hpp>
#include <memmap/render/format.hpp>

namespace memmap::render {

void render_summary_text(const machine::SummaryReport& r, const Style& style, std::ostream& out);

nlohmann::ordered_json summary_to_json(const machine::SummaryReport& r);

} // namespace memmap::render
