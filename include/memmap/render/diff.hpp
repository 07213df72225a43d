// memmap diff's output: the report (machine/diff.hpp) as text, one line per change, or as
// one JSON document (memmap(8), JSON OUTPUT, "diff"). Typed values are formatted here:
// text gets "fe000000-fe003fff (16K)", JSON the numbers.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <memmap/machine/diff.hpp>
#include <memmap/model/diff.hpp>
#include <memmap/render/format.hpp>
#include <memmap/render/json.hpp>

namespace memmap::render {

// A value as text: "unassigned (16K)", "bus 83000000", "mem 64-bit prefetchable", "256M",
// "none" (no driver), "group 3", "not isolated (no-acs at 0000:00:1c.0)"; "" for none.
std::string value_text(const model::Value& v);
// A value as JSON: numbers for sizes and group numbers, "0x..." for addresses (null when
// unknown), objects for placements, types, identities, verdicts and findings.
Json value_json(const model::Value& v);

// "  + added    PCI Bus 0000:00 > 0000:00:02.0  fe000000-fe003fff (16K)" ... indented by 2.
void render_changes_text(const std::vector<model::Change>& changes, const Style& style,
                         std::ostream& out);

// {"change":"moved", "subject":"A > B", "path":[...], "before":{"start","end","size"},
//  "after":{...}, "before_value":..., "after_value":..., "detail":...}; absent parts omitted.
Json change_to_json(const model::Change& change);

// The whole report: the sides, each section's heading, notes and changes, the total.
void render_diff_text(const machine::DiffReport& report, const Style& style, std::ostream& out);
Json diff_json(const machine::DiffReport& report);

} // namespace memmap::render
