// The field registries (render/fields.hpp): -o parsing, table width and alignment,
// --list-columns, and every table's json_key against the JSON its renderer writes.
#include <catch2/catch.hpp>

#include <memmap/error.hpp>
#include <memmap/render/audit.hpp>
#include <memmap/render/fields.hpp>
#include <memmap/render/iommu.hpp>
#include <memmap/render/pci.hpp>
#include <memmap/render/resource_tree.hpp>
#include <memmap/render/trace.hpp>
#include <memmap/source/resource_tree.hpp>

#include <algorithm>
#include <sstream>

using namespace memmap::render;

namespace {

const Table&
sample()
{
  static const Table t = {
    "sample",
    "rows",
    {
      {"A", "ALPHA", "a", FieldType::string, Align::left, "first"},
      {"B", "B", "b.x", FieldType::count, Align::right, "second"},
      {"C", "C", "", FieldType::string, Align::left, "text only"},
    },
    {"A", "B"},
    "",
  };
  return t;
}

std::vector<std::size_t>
picked(std::string_view spec)
{
  return parse_columns(sample(), spec).picked;
}

} // namespace

TEST_CASE("fields: -o picks columns in the order given, case-insensitive", "[render][fields]")
{
  CHECK(picked("C,A") == std::vector<std::size_t>{2, 0});
  CHECK(picked("c, b") == std::vector<std::size_t>{2, 1});
  CHECK_FALSE(parse_columns(sample(), "A").is_default);
  CHECK(default_columns(sample()).is_default);
  CHECK(default_columns(sample()).picked == std::vector<std::size_t>{0, 1});
}

TEST_CASE("fields: +COL adds to the defaults; a column named twice is shown once",
          "[render][fields]")
{
  CHECK(picked("+C") == std::vector<std::size_t>{0, 1, 2});
  CHECK(picked("+B,C") == std::vector<std::size_t>{0, 1, 2});  // B is a default already
  CHECK(picked("A,a,C,A") == std::vector<std::size_t>{0, 2});
}

TEST_CASE("fields: unknown and empty column lists are usage errors listing the valid ids",
          "[render][fields]")
{
  auto message = [](std::string_view spec) {
    try {
      (void)parse_columns(sample(), spec, "-o");
    } catch (const memmap::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("A,Z") == "-o A,Z: no column Z (columns: A, B, C)");
  CHECK(message("") == "-o '': no column named (columns: A, B, C)");
  CHECK(message("+") == "-o +: no column named (columns: A, B, C)");
  CHECK(message("A,,B") == "-o A,,B: an empty column name (columns: A, B, C)");
  CHECK(message("A,") == "-o A,: an empty column name (columns: A, B, C)");
  CHECK(message("AB") == "-o AB: no column AB (columns: A, B, C)");
}

TEST_CASE("fields: columns are as wide as their widest cell, aligned as the field says",
          "[render][fields]")
{
  std::ostringstream out;
  render_table(sample(), parse_columns(sample(), "B,A,C"),
               {{"1", "x", "last"}, {"12345678", "wide", "-"}}, out);
  CHECK(out.str()
        == "       B  ALPHA  C\n"
           "       1  x      last\n"
           "12345678  wide   -\n");
}

TEST_CASE("fields: colour escapes and UTF-8 do not count toward a column's width",
          "[render][fields]")
{
  CHECK(display_width("\x1b[32misolated\x1b[0m") == 8);
  CHECK(display_width("caf\xc3\xa9") == 4);
  std::ostringstream out;
  render_table(sample(), parse_columns(sample(), "A,B"), {{"\x1b[1mab\x1b[0m", "1"}, {"abcdef", "2"}},
               out);
  CHECK(out.str() == "ALPHA   B\n\x1b[1mab\x1b[0m      1\nabcdef  2\n");
}

TEST_CASE("fields: --list-columns as text and JSON", "[render][fields]")
{
  std::ostringstream out;
  write_column_list(sample(), out);
  CHECK(out.str()
        == "ID  HEADER  JSON KEY  DEFAULT  HELP\n"
           "A   ALPHA   a         yes      first\n"
           "B   B       b.x       yes      second\n"
           "C   C       -         no       text only\n");
  const Json j = column_list_json(sample());
  CHECK(j["schema_version"] == 1);
  CHECK(j["table"] == "sample");
  CHECK(j["rows"] == "rows");
  CHECK(j["default"] == Json::array({"A", "B"}));
  REQUIRE(j["columns"].size() == 3);
  CHECK(j["columns"][1] == Json({{"id", "B"}, {"header", "B"}, {"json_key", "b.x"},
                                 {"type", "count"}, {"align", "right"}, {"default", true},
                                 {"help", "second"}}));
  CHECK(j["columns"][2]["json_key"].is_null());
}

TEST_CASE("fields: every registry is well formed and its help names the defaults",
          "[render][fields]")
{
  for (const Table* t :
       {&resource_table(), &bar_table(), &iommu_groups_table(), &audit_table(), &trace_devices_table()}) {
    INFO(t->name);
    CHECK_NOTHROW(t->check());
    for (const auto& f : t->fields) {
      CHECK_FALSE(f.help.empty());
      CHECK_FALSE(f.header.empty());
    }
  }
  // -o's --help names the defaults and every column.
  const std::string help = columns_help(resource_table());
  CHECK(help.find("the default RANGE,SIZE,NAME,DEVICE") != std::string::npos);
  CHECK(help.find("Columns: START, END, RANGE, SIZE, NAME, KIND, LINE, BDF, DEVICE, DRIVER, BAR.")
        != std::string::npos);
  const Table bad = {"bad", "rows", {{"A", "A", "a", FieldType::string, Align::left, "a"},
                                      {"a", "A", "b", FieldType::string, Align::left, "b"}},
                     {"A"},
                     ""};
  CHECK_THROWS_WITH(bad.check(), "table bad: column a twice");
}

TEST_CASE("fields: iomem -o renders the tree's regions as columns, JSON keys resolve",
          "[render][fields]")
{
  const auto space = memmap::source::parse_resource_tree(
    "00000000-00000fff : Reserved\n"
    "00001000-0009ffff : System RAM\n"
    "e0000000-efffffff : PCI Bus 0000:00\n"
    "  e0000000-e0ffffff : 0000:00:02.0\n"
    "    e0000000-e0ffffff : bochs-drm\n",
    "iomem", memmap::model::SpaceKind::cpu_physical);
  DeviceLookup lookup = [](const std::string& bdf) -> std::optional<DeviceLabel> {
    if (bdf != "0000:00:02.0") {
      return std::nullopt;
    }
    return DeviceLabel{"Bochs VGA", "", {{0xe0000000, 0xe0ffffff, "BAR0 mem32 pref", 0, "mem",
                                          32, true, false}}};
  };
  TreeOptions opts;
  opts.columns = parse_columns(resource_table(), "NAME,SIZE,KIND,BDF,DRIVER,BAR,LINE");
  std::ostringstream out;
  render_tree_text(space, opts, lookup, Style{}, out);
  CHECK(out.str()
        == "NAME             SIZE  KIND             BDF           DRIVER  BAR              LINE\n"
           "Reserved           4K  reserved         -             -       -                   1\n"
           "System RAM       636K  ram              -             -       -                   2\n"
           "PCI Bus 0000:00  256M  pci-host-bridge  -             -       -                   3\n"
           "  0000:00:02.0    16M  pci-device       0000:00:02.0  (none)  BAR0 mem32 pref     4\n"
           "    bochs-drm     16M  driver           0000:00:02.0  -       -                   5\n");

  // Every column's JSON key is a path in some region of the document.
  const Json doc = tree_to_json(space, TreeOptions{}, lookup);
  const Json& dev = doc["regions"][2]["children"][0];
  for (const auto& f : resource_table().fields) {
    if (f.json_key.empty()) {
      continue;
    }
    INFO(f.json_key);
    const Json* at = &dev;
    std::string_view key = f.json_key;
    while (!key.empty()) {
      const auto dot = key.find('.');
      const std::string part(key.substr(0, dot));
      REQUIRE(at->contains(part));
      at = &(*at)[part];
      key = dot == std::string_view::npos ? std::string_view() : key.substr(dot + 1);
    }
  }
}

TEST_CASE("fields: trace -o renders the summary's devices; the registry covers their JSON",
          "[render][fields][trace]")
{
  using namespace memmap::trace;
  Summary s;
  DeviceStats d;
  d.device = "0000:01:00.0";
  d.maps = 3;
  d.unmaps = 2;
  d.outstanding_count = 1;
  d.outstanding_bytes = 8192;
  d.largest = 65536;
  d.mapped_bytes[1] = 4096;
  d.lifetimes.add(500);
  s.devices.push_back(d);
  DeviceStats idle;
  idle.device = "0000:02:00.0";  // not active: in neither the table nor the JSON
  s.devices.push_back(idle);
  Annotator a;
  a.device = [](const std::string&) { return DeviceInfo{"nvme", true, 7}; };
  a.untraced = {"swiotlb/swiotlb_bounced"};

  std::ostringstream out;
  render_summary_text(s, a, Style{}, out,
                      parse_columns(trace_devices_table(), "DEVICE,GROUP,OUTSTANDING,BOUNCES,"
                                                           "MAPPED,LIFETIMES"));
  const std::string text = out.str();
  CHECK(text.find("DEVICE        GROUP  OUTSTANDING  BOUNCES  MAPPED        LIFETIMES\n"
                  "0000:01:00.0      7         1/8K        ?  TO_DEVICE:4K  n=1 p50 ")
        != std::string::npos);
  CHECK(text.find("0000:02:00.0") == std::string::npos);
  CHECK(text.find("Outstanding mappings: 0") != std::string::npos);  // the rest is unchanged

  // Both ways: every key of a device object is a column's json_key (or under one), and
  // every json_key is a key of it.
  const Json j = summary_to_json(s, a);
  REQUIRE(j["devices"].size() == 1);
  const Json& dev = j["devices"][0];
  std::vector<std::string> no_column;
  for (const auto& item : dev.items()) {
    const std::string key = item.key();  // not a structured binding: clang 14 cannot capture one
    const bool covered =
      std::any_of(trace_devices_table().fields.begin(), trace_devices_table().fields.end(),
                  [&](const Field& f) { return f.json_key == key; });
    if (!covered) {
      no_column.push_back(key);
    }
  }
  CHECK(no_column == std::vector<std::string>{});
  for (const auto& f : trace_devices_table().fields) {
    if (!f.json_key.empty()) {
      INFO(f.id);
      CHECK(dev.contains(std::string(f.json_key)));
    }
  }
}
