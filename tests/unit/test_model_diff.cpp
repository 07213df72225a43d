#include <catch2/catch.hpp>

#include <memmap/model/diff.hpp>
#include <memmap/source/resource_tree.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <memmap/render/diff.hpp>

#include "diff_text.hpp"

using memmap::model::ChangeKind;
using memmap::model::SpaceKind;
using memmap::model::Span;

namespace {

std::vector<memmap::model::Change>
diff(const std::string& a, const std::string& b)
{
  return memmap::model::diff_address_spaces(
    memmap::source::parse_resource_tree(a, "A", SpaceKind::cpu_physical),
    memmap::source::parse_resource_tree(b, "B", SpaceKind::cpu_physical));
}

std::string
read(const std::string& rel)
{
  std::ifstream f(std::string(MEMMAP_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("identical trees have no changes", "[diff]")
{
  const std::string t = "00000000-00000fff : Reserved\n"
                        "00001000-0009ffff : System RAM\n"
                        "e0000000-efffffff : PCI Bus 0000:00\n"
                        "  e0000000-e0003fff : 0000:00:02.0\n"
                        "    e0000000-e0003fff : nvme\n";
  CHECK(diff(t, t).empty());
}

TEST_CASE("a region with the same start and a new end is resized", "[diff]")
{
  auto c = diff("e0000000-efffffff : PCI Bus 0000:00\n", "e0000000-f7ffffff : PCI Bus 0000:00\n");
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == ChangeKind::resized);
  CHECK(c[0].path == std::vector<std::string>{"PCI Bus 0000:00"});
  CHECK(c[0].before == Span{0xe0000000, 0xefffffff});
  CHECK(c[0].after == Span{0xe0000000, 0xf7ffffff});
}

TEST_CASE("same size at a new start is moved; both changed is 'changed'", "[diff]")
{
  const std::string a = "e0000000-efffffff : PCI Bus 0000:00\n"
                        "  e0000000-e0003fff : 0000:00:02.0\n"
                        "  e0100000-e01fffff : 0000:00:03.0\n";
  const std::string b = "e0000000-efffffff : PCI Bus 0000:00\n"
                        "  e0800000-e0803fff : 0000:00:02.0\n"
                        "  e0200000-e03fffff : 0000:00:03.0\n";
  auto c = diff(a, b);
  REQUIRE(c.size() == 2);
  // Sorted by B's address.
  CHECK(c[0].path.back() == "0000:00:03.0");
  CHECK(c[0].kind == ChangeKind::changed);
  CHECK(detail_text(c[0]) == "moved and resized");
  CHECK(c[1].path.back() == "0000:00:02.0");
  CHECK(c[1].kind == ChangeKind::moved);
  CHECK(c[1].after == Span{0xe0800000, 0xe0803fff});
}

TEST_CASE("regions only in one side are added or removed, with their nesting", "[diff]")
{
  const std::string a = "e0000000-efffffff : PCI Bus 0000:00\n"
                        "  e0000000-e0003fff : 0000:00:02.0\n"
                        "    e0000000-e0003fff : nvme\n";
  const std::string b = "e0000000-efffffff : PCI Bus 0000:00\n"
                        "  e0000000-e0003fff : 0000:00:02.0\n"
                        "  e0100000-e01fffff : 0000:00:03.0\n";
  auto c = diff(a, b);
  REQUIRE(c.size() == 2);
  CHECK(c[0].kind == ChangeKind::removed);
  CHECK(c[0].path == std::vector<std::string>{"PCI Bus 0000:00", "0000:00:02.0", "nvme"});
  CHECK(c[0].before == Span{0xe0000000, 0xe0003fff});
  CHECK_FALSE(c[0].after);
  CHECK(c[1].kind == ChangeKind::added);
  CHECK(c[1].path.back() == "0000:00:03.0");
}

TEST_CASE("a region that changed parents is removed and added, not matched", "[diff]")
{
  auto c = diff("e0000000-efffffff : PCI Bus 0000:00\n  e0000000-e0003fff : 0000:01:00.0\n",
                "e0000000-efffffff : PCI Bus 0000:00\n"
                "  e0000000-e00fffff : PCI Bus 0000:01\n"
                "    e0000000-e0003fff : 0000:01:00.0\n");
  REQUIRE(c.size() == 3);
  CHECK(c[0].kind == ChangeKind::added);  // the new bridge window (bigger, same start: first)
  CHECK(c[1].kind == ChangeKind::removed);
  CHECK(c[2].kind == ChangeKind::added);
}

TEST_CASE("namesakes pair with the nearest one of the same size", "[diff]")
{
  // Two windows named the same; one of them moved by 1M, and a third appeared far away.
  const std::string a = "60000000-600fffff : PCI Bus 0000:2f\n"
                        "6000000000-60000fffff : PCI Bus 0000:2f\n";
  const std::string b = "60000000-600fffff : PCI Bus 0000:2f\n"
                        "68100000-681fffff : PCI Bus 0000:2f\n"
                        "6000100000-60001fffff : PCI Bus 0000:2f\n";
  auto c = diff(a, b);
  REQUIRE(c.size() == 2);
  CHECK(c[0].kind == ChangeKind::added);
  CHECK(c[0].after == Span{0x68100000, 0x681fffff});
  CHECK(c[1].kind == ChangeKind::moved);
  CHECK(c[1].before == Span{0x6000000000, 0x60000fffff});
  CHECK(c[1].after == Span{0x6000100000, 0x60001fffff});
}

TEST_CASE("hidden addresses (non-root): names and nesting only", "[diff]")
{
  const std::string root = "00001000-0009ffff : System RAM\n"
                           "e0000000-efffffff : PCI Bus 0000:00\n"
                           "  e0000000-e0003fff : 0000:00:02.0\n";
  const std::string hidden_same = "00000000-00000000 : System RAM\n"
                                  "00000000-00000000 : PCI Bus 0000:00\n"
                                  "  00000000-00000000 : 0000:00:02.0\n";
  CHECK(diff(root, hidden_same).empty());
  const std::string hidden_other = "00000000-00000000 : System RAM\n"
                                   "00000000-00000000 : PCI Bus 0000:00\n"
                                   "  00000000-00000000 : 0000:00:03.0\n";
  auto c = diff(root, hidden_other);
  REQUIRE(c.size() == 2);
  for (const auto& x : c) {
    CHECK_FALSE(x.before);
    CHECK_FALSE(x.after);
  }
}

TEST_CASE("HP x360 Thunderbolt dock: cold-plugged vs hot-plugged", "[diff][fixture]")
{
  const auto cold = read("fixtures/laptop-hp-x360-13t-tb3-dock-coldplugged/proc/iomem");
  const auto hot = read("fixtures/laptop-hp-x360-13t-tb3-dock-hotplugged/proc/iomem");
  REQUIRE_FALSE(cold.empty());
  REQUIRE_FALSE(hot.empty());
  auto c = diff(cold, hot);
  std::map<ChangeKind, int> count;
  for (const auto& x : c) {
    ++count[x.kind];
  }
  // Verified by hand against the two listings: bridge 2d's two windows grew, 2e/30/31/32
  // windows appeared, 2f's prefetchable window and its device's two BARs moved up by 1M, the
  // xhci-hcd and tg3 driver claims are gone.
  CHECK(count[ChangeKind::resized] == 2);
  CHECK(count[ChangeKind::moved] == 3);
  CHECK(count[ChangeKind::added] == 8);
  CHECK(count[ChangeKind::removed] == 3);
  CHECK(count[ChangeKind::changed] == 0);
  // And the reverse diff mirrors it.
  auto r = diff(hot, cold);
  std::map<ChangeKind, int> rcount;
  for (const auto& x : r) {
    ++rcount[x.kind];
  }
  CHECK(rcount[ChangeKind::added] == 3);
  CHECK(rcount[ChangeKind::removed] == 8);
}
