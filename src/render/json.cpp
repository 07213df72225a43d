#include <memmap/render/json.hpp>

#include <ostream>

#include <fmt/format.h>

namespace memmap::render {

Json
json_document()
{
  Json j = Json::object();
  j["schema_version"] = k_schema_version;
  return j;
}

Json
hex_or_null(const std::optional<std::uint64_t>& v, int width)
{
  if (!v) {
    return nullptr;
  }
  return fmt::format("{:#0{}x}", *v, width + 2);
}

std::string
json_text(const Json& j, JsonLayout layout)
{
  const int indent = layout == JsonLayout::pretty ? 2 : -1;
  const std::string raw = j.dump(indent, ' ', false, Json::error_handler_t::replace);
  // nlohmann escapes U+0000-U+001F; DEL and the C1 controls (U+0080-U+009F, UTF-8 c2 80-9f)
  // it leaves raw. Escape them too, as JSON escapes, so that no control byte of a hostile
  // name reaches a terminal and the terminal filter never has to rewrite (and break) JSON.
  // They occur only inside strings: JSON's own syntax is printable ASCII.
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c == 0x7f) {
      out += "\\u007f";
    } else if (c == 0xc2 && i + 1 < raw.size()
               && (static_cast<unsigned char>(raw[i + 1]) & 0xe0) == 0x80) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(raw[i + 1]));
      ++i;
    } else {
      out += raw[i];
    }
  }
  return out;
}

void
write_json(std::ostream& out, const Json& j, JsonLayout layout)
{
  out << json_text(j, layout) << '\n';
}

} // namespace memmap::render
