// memmap resolve: the report (machine::ResolveReport) as text and as JSON.
#pragma once

#include <ostream>

#include <memmap/machine/resolve.hpp>
#include <memmap/render/format.hpp>
#include <memmap/render/json.hpp>

namespace memmap::render {

void render_resolve_text(const machine::ResolveReport& r, const Style& style, std::ostream& out);
Json resolve_to_json(const machine::ResolveReport& r);

} // namespace memmap::render
