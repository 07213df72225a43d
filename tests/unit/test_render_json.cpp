// The one JSON writer: ordered keys, schema_version first, invalid UTF-8 replaced, control
// characters escaped as JSON escapes (never raw, never the terminal filter's "\x7f").
#include <catch2/catch.hpp>

#include <memmap/render/json.hpp>

#include <sstream>

using memmap::render::Json;
using memmap::render::JsonLayout;

TEST_CASE("json: a document starts with schema_version and keeps key order", "[render][json]")
{
  Json j = memmap::render::json_document();
  j["zeta"] = 1;
  j["alpha"] = 2;
  CHECK(memmap::render::json_text(j, JsonLayout::line)
        == "{\"schema_version\":1,\"zeta\":1,\"alpha\":2}");
  std::ostringstream os;
  memmap::render::write_json(os, j);
  CHECK(os.str().back() == '\n');
  CHECK(os.str().find("\n  \"schema_version\": 1,\n") != std::string::npos);
}

TEST_CASE("json: hostile names give valid JSON without control bytes", "[render][json][hostile]")
{
  Json j = Json::object();
  // ESC, DEL, C1 CSI (U+009B), and bytes that are not UTF-8 at all.
  j["name"] = std::string("a\x1b[2J b\x7f c\xc2\x9b" "31m d\xff\xfe e\xc3\xa9");
  const std::string text = memmap::render::json_text(j, JsonLayout::line);
  for (unsigned char c : text) {
    CHECK((c >= 0x20 && c != 0x7f));
  }
  CHECK(text.find("\\u001b") != std::string::npos);
  CHECK(text.find("\\u007f") != std::string::npos);
  CHECK(text.find("\\u009b") != std::string::npos);
  CHECK(text.find("\xc3\xa9") != std::string::npos);  // real UTF-8 stays as it is
  const Json back = Json::parse(text);                 // valid JSON
  const std::string name = back["name"];
  CHECK(name.find("\x7f") != std::string::npos);
  CHECK(name.find("\xc2\x9b") != std::string::npos);
  CHECK(name.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD for the invalid bytes
}

TEST_CASE("json: unknown values are null, known ones zero-padded hex", "[render][json]")
{
  CHECK(memmap::render::hex_or_null(std::optional<std::uint16_t>{}, 4).is_null());
  CHECK(memmap::render::hex_or_null(std::optional<std::uint16_t>{0x10de}, 4) == "0x10de");
  CHECK(memmap::render::hex_or_null(std::optional<std::uint32_t>{0x30000}, 6) == "0x030000");
}
