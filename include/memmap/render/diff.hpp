// Rendering model::Change lists (memmap diff): one line per change in text, an object per
// change in JSON.
#pragma once

#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include <memmap/model/diff.hpp>
#include <memmap/render/format.hpp>

namespace memmap::render {

// "  + added    PCI Bus 0000:00 > 0000:00:02.0  fe000000-fe003fff (16K)" ... indented by 2.
void render_changes_text(const std::vector<model::Change>& changes, const Style& style,
                         std::ostream& out);

// {"change":"moved", "path":[...], "subject":"A > B", "before":{"start","end","size"},
//  "after":{...}, "before_value":..., "after_value":..., "detail":...}; absent parts omitted.
nlohmann::ordered_json change_to_json(const model::Change& change);

} // namespace memmap::render
