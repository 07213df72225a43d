#include <catch2/catch.hpp>

#include <memmap/render/map_layout.hpp>
#include <memmap/render/map_svg.hpp>
#include <memmap/render/map_text.hpp>
#include <memmap/source/resource_tree.hpp>

#include <sstream>

using namespace memmap::render;
using memmap::model::AddressSpace;
using memmap::model::RegionKind;
using memmap::model::SpaceKind;

namespace {

// A small machine: RAM with the kernel in it, a hole, a host bridge window with a bridge and
// a GPU's BARs (one claimed by its driver), RAM above 4G.
constexpr const char* k_iomem = "00000000-00000fff : Reserved\n"
                                "00001000-0009ffff : System RAM\n"
                                "00100000-7fffffff : System RAM\n"
                                "  01000000-01ffffff : Kernel code\n"
                                "c0000000-febfffff : PCI Bus 0000:00\n"
                                "  d0000000-fbffffff : PCI Bus 0000:04\n"
                                "    d0000000-dfffffff : 0000:04:00.0\n"
                                "    fb000000-fbffffff : 0000:04:00.0\n"
                                "      fb000000-fbffffff : nvidia\n"
                                "  fe000000-fe003fff : 0000:00:1f.2\n"
                                "100000000-27fffffff : System RAM\n";

AddressSpace
space(const char* text = k_iomem)
{
  return memmap::source::parse_resource_tree(text, "iomem", SpaceKind::cpu_physical);
}

const MapItem&
find(const MapLayout& l, const std::string& title)
{
  for (const auto& it : l.items) {
    if (map_title(it) == title) {
      return it;
    }
  }
  FAIL("no item titled " << title);
  return l.items.front();
}

} // namespace

TEST_CASE("map height rule: 1 line below 16M, one more per factor of 16", "[render][map]")
{
  CHECK(map_rows_for_size(1) == 1);
  CHECK(map_rows_for_size(4096) == 1);
  CHECK(map_rows_for_size((16u << 20) - 1) == 1);
  CHECK(map_rows_for_size(16u << 20) == 2);
  CHECK(map_rows_for_size(256u << 20) == 3);
  CHECK(map_rows_for_size(std::uint64_t{4} << 30) == 4);
  CHECK(map_rows_for_size(std::uint64_t{64} << 30) == 5);
  CHECK(map_rows_for_size(std::uint64_t{1} << 40) == 6);
  CHECK(map_rows_for_size(0, true) == 12);  // the whole 64-bit space
}

TEST_CASE("map --range parses START-END and START+SIZE", "[render][map]")
{
  auto r = parse_map_range("c0000000-ffffffff");
  REQUIRE(r);
  CHECK(r->start == 0xc0000000);
  CHECK(r->end == 0xffffffff);
  r = parse_map_range("0xd0000000+256M");
  REQUIRE(r);
  CHECK(r->end == 0xdfffffff);
  r = parse_map_range("1000+1000");
  REQUIRE(r);
  CHECK(r->end == 0x1fff);
  CHECK_FALSE(parse_map_range("ffff-1000"));           // end before start
  CHECK_FALSE(parse_map_range("c0000000"));            // no end
  CHECK_FALSE(parse_map_range("xyz-1000"));
  CHECK_FALSE(parse_map_range("0-10000000000000000"));  // 17 digits
  CHECK_FALSE(parse_map_range("ffffffffffffffff+2"));  // past 2^64
  CHECK_FALSE(parse_map_range("1000+0K"));
  CHECK_FALSE(parse_map_range("1-2+3"));
}

TEST_CASE("map layout: boxes share borders, holes are one line, children nest", "[render][map]")
{
  const auto l = layout_map(space(), {}, {});
  // Top level: Reserved, RAM, hole, RAM, hole, PCI Bus 0000:00, hole, RAM (no leading or
  // trailing hole without --range).
  std::vector<std::string> top;
  for (const auto& it : l.items) {
    if (it.depth == 0) {
      top.push_back(map_title(it));
    }
  }
  CHECK(top == std::vector<std::string>{"Reserved", "System RAM", "unclaimed", "System RAM",
                                        "unclaimed", "PCI Bus 0000:00", "unclaimed",
                                        "System RAM"});
  const auto& first = l.items[0];
  CHECK(first.top == 0);
  CHECK(first.bottom == 2);  // 4K: one content line
  CHECK(l.items[1].top == first.bottom);  // shared border
  const auto& hole = l.items[2];
  CHECK(hole.type == MapItemType::hole);
  CHECK(hole.start == 0xa0000);
  CHECK(hole.end == 0xfffff);
  CHECK(hole.content_lines() == 1);

  // RAM with the kernel: label line, then the children block (rest, kernel code, rest).
  const auto& ram = l.items[3];
  CHECK(ram.has_children);
  CHECK(map_title(l.items[4]) == "rest of System RAM");
  CHECK(l.items[4].top == ram.top + 2);
  CHECK(map_title(l.items[5]) == "Kernel code");
  CHECK(l.items[5].parent == 3);
  CHECK(l.items[5].depth == 1);
  CHECK(l.items[6].type == MapItemType::hole);
  // 2G by the rule needs 3 content lines; the children need more.
  CHECK(ram.bottom == l.items[6].bottom + 1);

  // The window: free space at its start, the bridge, and the folded driver claim.
  const auto& window = find(l, "PCI Bus 0000:00");
  CHECK(window.kind == RegionKind::pci_host_bridge);
  CHECK(window.owner == "PCI window");
  const auto& bar = find(l, "0000:04:00.0 [nvidia]");
  CHECK(bar.claims == std::vector<std::string>{"nvidia"});
  CHECK(bar.bdf == "0000:04:00.0");
  CHECK_FALSE(bar.has_children);
  CHECK(find(l, "free").depth == 1);
  CHECK(l.lines == l.items.back().bottom + 1);
  CHECK_FALSE(l.bus_differs);
  CHECK(l.address_digits == 9);  // 0x280000000
}

TEST_CASE("map layout: --depth, --filter and --range", "[render][map]")
{
  SECTION("depth 1 keeps the top level and folds nothing below it")
  {
    MapOptions o;
    o.max_depth = 1;
    const auto l = layout_map(space(), o, {});
    for (const auto& it : l.items) {
      CHECK(it.depth == 0);
      CHECK_FALSE(it.has_children);
    }
  }
  SECTION("filter keeps matches, their windows, and says what it left out")
  {
    MapOptions o;
    o.filter = "nvidia";
    const auto l = layout_map(space(), o, {});
    REQUIRE(l.items.size() >= 3);
    CHECK(map_title(l.items[0]) == "PCI Bus 0000:00");
    CHECK(map_title(find(l, "0000:04:00.0 [nvidia]")) == "0000:04:00.0 [nvidia]");
    // The other BAR of the GPU and the SATA controller are left out, and counted.
    const auto& left_out = find(l, "1 region not shown");
    CHECK(left_out.type == MapItemType::elided);
    CHECK(left_out.hidden == 1);
  }
  SECTION("range clips boxes and shows the holes at its edges")
  {
    MapOptions o;
    o.range = AddressRange{0x80000000, 0xcfffffff};
    const auto l = layout_map(space(), o, {});
    REQUIRE(l.items.size() >= 2);
    CHECK(l.items[0].type == MapItemType::hole);  // 80000000-bfffffff
    CHECK(l.items[0].start == 0x80000000);
    const auto& w = l.items[1];
    CHECK(w.name == "PCI Bus 0000:00");
    CHECK(w.shown_start == 0xc0000000);
    CHECK(w.shown_end == 0xcfffffff);
    CHECK(w.clipped_below);
    CHECK_FALSE(w.clipped_above);
    CHECK(map_range_text(w, l) == "c0000000-febfffff");  // the real range in the label
    for (const auto& it : l.items) {
      CHECK(it.shown_start >= 0x80000000);
      CHECK(it.shown_end <= 0xcfffffff);
    }
  }
  SECTION("a range with nothing in it")
  {
    MapOptions o;
    o.range = AddressRange{0x300000000, 0x3ffffffff};
    const auto l = layout_map(space(), o, {});
    CHECK(l.items.empty());
    CHECK(l.lines == 0);
  }
}

TEST_CASE("map layout: PCI hooks fill BAR, device facts and the bus view", "[render][map]")
{
  MapSources src;
  src.device = [](const std::string& bdf) -> std::optional<MapDeviceInfo> {
    if (bdf == "0000:04:00.0") {
      return MapDeviceInfo{"NVIDIA Corporation GP107GL [Quadro P1000]", "nvidia", 0, 12};
    }
    return std::nullopt;
  };
  src.bar = [](const std::string&, std::uint64_t start, std::uint64_t) -> std::optional<int> {
    return start == 0xfb000000 ? std::optional<int>(0) : std::optional<int>(1);
  };
  src.bus_offset = [](const memmap::model::Region& w) -> std::optional<std::int64_t> {
    return w.start == 0xc0000000 ? std::optional<std::int64_t>(0x80000000) : std::nullopt;
  };
  const auto l = layout_map(space(), {}, src);
  const auto& bar0 = find(l, "0000:04:00.0 [nvidia]");
  REQUIRE(bar0.bar);
  CHECK(*bar0.bar == 0);
  REQUIRE(bar0.device);
  CHECK(bar0.device->numa_node == 0);
  CHECK(bar0.device->iommu_group == 12);
  // The driver is already in the title: the device text does not repeat it.
  CHECK(map_device_text(bar0) == "NVIDIA Corporation GP107GL [Quadro P1000]");
  CHECK(l.bus_differs);
  REQUIRE(bar0.bus_start);
  CHECK(*bar0.bus_start == 0x7b000000);
  CHECK(*bar0.bus_end == 0x7bffffff);
  CHECK_FALSE(find(l, "Reserved").bus_start);  // outside the window: CPU == bus
  const auto marks = map_axis(l);
  REQUIRE(marks[static_cast<std::size_t>(bar0.top)].bus);
  CHECK(*marks[static_cast<std::size_t>(bar0.top)].bus == 0x7b000000);
  const auto tip = map_tooltip(bar0, l);
  CHECK(tip.find("BAR: 0") != std::string::npos);
  CHECK(tip.find("NUMA node: 0") != std::string::npos);
  CHECK(tip.find("IOMMU group: 12") != std::string::npos);
  CHECK(tip.find("PCI bus: 7b000000-7bffffff") != std::string::npos);
  std::ostringstream svg;
  render_map_svg(l, svg);
  CHECK(svg.str().find(">PCI bus view</text>") != std::string::npos);
  CHECK(svg.str().find(">7b000000-7bffffff</text>") != std::string::npos);
  std::ostringstream text;
  render_map_text(l, {}, MapTextOptions{100, false}, Style(false), text);
  CHECK(text.str().find(" CPU ") != std::string::npos);
  CHECK(text.str().find(" 07b000000\n") != std::string::npos);  // the bus axis, right
  const auto j = map_to_json(l);
  CHECK(j["bus_differs"] == true);
  bool found = false;
  for (const auto& it : j["items"]) {
    if (it["title"] == "0000:04:00.0 [nvidia]") {
      found = true;
      CHECK(it["device"]["bar"] == 0);
      CHECK(it["device"]["iommu_group"] == 12);
      CHECK(it["bus_start"] == "0x7b000000");
    }
  }
  CHECK(found);
}

TEST_CASE("map axis: boundaries, scale breaks, no repeats on adjacent lines", "[render][map]")
{
  const auto l = layout_map(space(), {}, {});
  const auto marks = map_axis(l);
  REQUIRE(marks.size() == static_cast<std::size_t>(l.lines));
  CHECK(marks[0].cpu == std::uint64_t{0});
  CHECK(marks[2].cpu == std::uint64_t{0x1000});
  const auto& hole = l.items[2];
  CHECK(marks[static_cast<std::size_t>(hole.top + 1)].scale_break);
  CHECK(marks[static_cast<std::size_t>(hole.top)].cpu == std::uint64_t{0xa0000});
  for (std::size_t i = 0; i + 1 < marks.size(); ++i) {
    if (marks[i].cpu) {
      CHECK(marks[i].cpu != marks[i + 1].cpu);
    }
  }
  // The last line is the end of RAM above 4G.
  CHECK(marks.back().cpu == std::uint64_t{0x280000000});
}

TEST_CASE("map layout: hostile trees neither crash nor loop", "[render][map]")
{
  SECTION("hidden addresses (a non-root reader): no holes, no overlap flags")
  {
    const auto s = space("00000000-00000000 : Reserved\n"
                         "00000000-00000000 : System RAM\n"
                         "  00000000-00000000 : Kernel code\n");
    REQUIRE(s.addresses_hidden);
    const auto l = layout_map(s, {}, {});
    for (const auto& it : l.items) {
      CHECK(it.type == MapItemType::box);
      CHECK_FALSE(it.overlaps_previous);
    }
    CHECK(map_size_text(l.items[0], l) == "?");
    CHECK(map_range_text(l.items[0], l) == "(hidden)");
    for (const auto& m : map_axis(l)) {
      CHECK_FALSE(m.cpu);
    }
  }
  SECTION("a child outside its parent is not drawn inside it")
  {
    const auto l = layout_map(space("00100000-bfffffff : System RAM\n"
                                    "  c0000000-c0000fff : Kernel code\n"),
                              {}, {});
    REQUIRE(l.items.size() == 1);
    CHECK_FALSE(l.items[0].has_children);
    CHECK(l.items[0].shown_end == 0xbfffffff);
  }
  SECTION("overlapping siblings and the full 64-bit span")
  {
    const auto l = layout_map(space("0000000000000000-ffffffffffffffff : PCI mem\n"
                                    "  00001000-00002fff : a\n"
                                    "  00002000-00003fff : b\n"
                                    "  fffffffffffff000-ffffffffffffffff : top\n"),
                              {}, {});
    const auto& root = l.items[0];
    CHECK(root.full_span);
    CHECK(map_size_text(root, l) == "16E");
    CHECK(map_rows_for_size(0, true) <= root.content_lines());
    CHECK(find(l, "b").overlaps_previous);
    CHECK_FALSE(find(l, "a").overlaps_previous);
    // No hole after "top": it ends at 2^64-1.
    CHECK(map_title(l.items.back()) == "top");
    CHECK(map_axis(l).back().cpu == ~std::uint64_t{0});
  }
}

TEST_CASE("map text helpers clean and cut labels by characters", "[render][map]")
{
  CHECK(map_clean_text("ok\x01\xff", false) == "ok??");
  CHECK(map_clean_text("caf\xc3\xa9", false) == "caf\xc3\xa9");
  CHECK(map_clean_text("caf\xc3\xa9", true) == "caf?");
  CHECK(map_clean_text("\xe2\x82", false) == "??");  // truncated sequence
  CHECK(map_text_width("\xe2\x94\x80\xe2\x94\x80") == 2);
  CHECK(map_truncate("abcdefgh", 5, "...") == "ab...");
  CHECK(map_truncate("abcdefgh", 5, "\xe2\x80\xa6") == "abcd\xe2\x80\xa6");
  CHECK(map_truncate("abc", 5, "...") == "abc");
  CHECK(map_truncate("abcdef", 2, "...") == "..");
  CHECK(xml_escape("a<b & \"c\"\nd\x02") == "a&lt;b &amp; &quot;c&quot;\nd?");
}

TEST_CASE("map text: boxes, axis, holes and legend, in UTF-8 and in ASCII", "[render][map]")
{
  const auto l = layout_map(space("00000000-00000fff : Reserved\n"
                                  "00100000-001fffff : System RAM\n"),
                            {}, {});
  std::ostringstream ascii;
  render_map_text(l, {}, MapTextOptions{40, false}, Style(false), ascii);
  CHECK(ascii.str()
        == "CPU physical address map of iomem\n"
           "00000000 +-----------------------------+\n"
           "         | Reserved          0-fff  4K |\n"
           "00001000 +-----------------------------+\n"
           "       ~ : unclaimed             1020K :\n"
           "00100000 +-----------------------------+\n"
           "         | System RAM               1M |\n"
           "00200000 +-----------------------------+\n"
           "\n"
           "Legend:  RAM  reserved\n"
           "         ~ : unclaimed, free or not\n"
           "         shown: 1 line whatever its size\n"
           "         (a scale break)\n"
           "Scale:   1 line below 16M, +1 line per\n"
           "         16x: 16M 2, 256M 3, 4G 4, 64G\n"
           "         5, 1T 6\n");
  std::ostringstream utf8;
  render_map_text(l, {}, MapTextOptions{40, true}, Style(false), utf8);
  CHECK(utf8.str().find("00000000 ┌─────") != std::string::npos);
  CHECK(utf8.str().find("       ≈ ┊ unclaimed") != std::string::npos);
  CHECK(utf8.str().find("00200000 └─────") != std::string::npos);
  // Every line fits the width; the drawing has one line per layout line.
  std::istringstream lines(utf8.str());
  std::string line;
  int drawn = 0;
  bool in_drawing = true;
  std::getline(lines, line);  // the heading
  while (std::getline(lines, line)) {
    CHECK(map_text_width(line) <= 40);
    in_drawing = in_drawing && !line.empty();
    drawn += in_drawing ? 1 : 0;
  }
  CHECK(drawn == l.lines);
}
