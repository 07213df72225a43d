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
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

void
write_json(std::ostream& out, const Json& j, JsonLayout layout)
{
  out << json_text(j, layout) << '\n';
}

} // namespace memmap::render
