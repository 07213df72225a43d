// The one JSON writer. Every document memmap prints or stores goes through here: keys keep
// the order they were added in (nlohmann::ordered_json), bytes that are not UTF-8 (a name in
// a hostile /proc/iomem, a non-UTF-8 sysfs string) are replaced with U+FFFD instead of
// aborting, and every top-level document starts with the same schema_version.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace memmap::render {

using Json = nlohmann::ordered_json;

// The version of every JSON document memmap writes (memmap(8), JSON OUTPUT). Raised only for
// a change that breaks a reader: removing or retyping a key. New keys do not raise it.
inline constexpr int k_schema_version = 1;

// A top-level document: an object whose first key is "schema_version".
Json json_document();

enum class JsonLayout {
  pretty,  // two-space indentation, one document per command
  line,    // one document per line (streams: trace events, intervals)
};

// "0x" and zero-padded lowercase hex ("0x10de", "0x030000"), or null when nobody read it.
Json hex_or_null(const std::optional<std::uint64_t>& v, int width);
template <class T>
Json hex_or_null(const std::optional<T>& v, int width)
{
  return hex_or_null(v ? std::optional<std::uint64_t>(*v) : std::nullopt, width);
}

// The document as text, without a trailing newline.
std::string json_text(const Json& j, JsonLayout layout = JsonLayout::pretty);
// The document and a newline.
void write_json(std::ostream& out, const Json& j, JsonLayout layout = JsonLayout::pretty);

} // namespace memmap::render
