// memmap snapshot: the manifest (memmap-snapshot.json, and snapshot --json) and the text
// report of what was copied.
#pragma once

#include <ostream>
#include <string>

#include <memmap/render/format.hpp>
#include <memmap/render/json.hpp>
#include <memmap/snapshot/capture.hpp>

namespace memmap::render {

// The manifest's JSON document (memmap(8), JSON OUTPUT, memmap-snapshot.json).
Json manifest_to_json(const snapshot::Manifest& m);

// "Snapshot of this machine (host) to OUT", the counts, what is missing, how to read it back.
void render_snapshot_text(const snapshot::Manifest& m, const std::string& out_path,
                          const Style& style, std::ostream& out);

} // namespace memmap::render
