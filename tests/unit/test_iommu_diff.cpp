#include <catch2/catch.hpp>

#include <memmap/iommu/diff.hpp>

#include <algorithm>
#include <memmap/render/diff.hpp>

#include "diff_text.hpp"

using memmap::model::Change;
using memmap::model::ChangeKind;
using memmap::model::Span;
using memmap::model::Value;
using namespace memmap::iommu;

namespace {

Group
group(int id, std::vector<std::string> devices, std::string type = "DMA")
{
  Group g;
  g.id = id;
  g.devices = std::move(devices);
  g.type = std::move(type);
  g.type_known = true;
  g.reserved = {ReservedRegion{0xfee00000, 0xfeefffff, "msi", 1}};
  return g;
}

IommuState
state(std::vector<Group> groups)
{
  IommuState s;
  s.units = {"dmar0"};
  s.groups = std::move(groups);
  s.groups_dir_present = true;
  return s;
}

std::vector<Change>
diff(const IommuState& a, const IommuState& b, const Topology* ta = nullptr,
     const Topology* tb = nullptr)
{
  return diff_states(DiffSide{&a, ta}, DiffSide{&b, tb});
}

TopoDevice
topo(const std::string& bdf, const std::string& parent, int type, bool bridge = false)
{
  TopoDevice d;
  d.bdf = bdf;
  d.parent_bdf = parent;
  d.is_bridge = bridge;
  d.is_pcie = true;
  d.pcie_type = type;
  return d;
}

} // namespace

TEST_CASE("iommu diff: renumbered groups with the same members are not a difference",
          "[diff][iommu]")
{
  const auto a = state({group(8, {"0000:03:00.0", "0000:04:00.0"}), group(9, {"0000:05:00.0"})});
  const auto b = state({group(8, {"0000:05:00.0"}), group(9, {"0000:03:00.0", "0000:04:00.0"})});
  CHECK(diff(a, b).empty());
}

TEST_CASE("iommu diff: a device moved between groups", "[diff][iommu]")
{
  const auto a = state({group(3, {"0000:00:04.0", "0000:06:00.0", "0000:07:00.0"})});
  const auto b = state({group(3, {"0000:00:04.0", "0000:07:00.0"}), group(11, {"0000:06:00.0"})});
  const auto c = diff(a, b);
  REQUIRE(c.size() == 3);
  CHECK(c[0].path == std::vector<std::string>{"IOMMU group 3", "members"});
  CHECK(c[0].kind == ChangeKind::changed);
  CHECK(text(c[0].before_value) == "0000:00:04.0 0000:06:00.0 0000:07:00.0");
  CHECK(text(c[0].after_value) == "0000:00:04.0 0000:07:00.0");
  CHECK(detail_text(c[0]) == "-0000:06:00.0");
  CHECK(c[1].path == std::vector<std::string>{"IOMMU group 11"});
  CHECK(c[1].kind == ChangeKind::added);
  CHECK(detail_text(c[1]) == "0000:06:00.0");
  CHECK(c[2].path == std::vector<std::string>{"0000:06:00.0", "group"});
  CHECK(c[2].kind == ChangeKind::moved);
  CHECK(text(c[2].before_value) == "group 3");
  CHECK(text(c[2].after_value) == "group 11");
  CHECK(c[2].before_value == Value(memmap::model::GroupNumber{3}));  // numbers, as read
  CHECK(c[2].after_value == Value(memmap::model::GroupNumber{11}));
  CHECK(memmap::render::change_to_json(c[2])["after_value"] == 11);
}

TEST_CASE("iommu diff: groups are matched by overlap, A's number shown when it differs",
          "[diff][iommu]")
{
  const auto a = state({group(5, {"0000:00:1f.0", "0000:00:1f.3"}), group(6, {"0000:01:00.0"})});
  const auto b = state({group(4, {"0000:00:1f.0", "0000:00:1f.3", "0000:00:1f.4"})});
  const auto c = diff(a, b);
  REQUIRE(c.size() == 2);
  CHECK(c[0].path == std::vector<std::string>{"IOMMU group 4 (5 in A)", "members"});
  CHECK(detail_text(c[0]) == "+0000:00:1f.4");
  CHECK(c[1].path == std::vector<std::string>{"IOMMU group 6"});
  CHECK(c[1].kind == ChangeKind::removed);
}

TEST_CASE("iommu diff: type, reserved regions, units and command line", "[diff][iommu]")
{
  auto a = state({group(1, {"0000:00:02.0"}), group(2, {"0000:00:03.0"})});
  a.cmdline = {"intel_iommu=on"};
  a.cmdline_read = true;
  auto b = a;
  b.units.push_back("dmar1");
  b.cmdline = {"intel_iommu=on", "iommu=pt"};
  b.groups[0].type = "identity";
  b.groups[0].reserved[0].end = 0xfee7ffff;
  b.groups[1].reserved.push_back(ReservedRegion{0x7f000000, 0x7fffffff, "direct", 2});
  const auto c = diff(a, b);
  REQUIRE(c.size() == 5);
  CHECK(c[0].path == std::vector<std::string>{"IOMMU unit dmar1"});
  CHECK(c[0].kind == ChangeKind::added);
  CHECK(c[1].path == std::vector<std::string>{"kernel command line"});
  CHECK(text(c[1].after_value) == "intel_iommu=on iommu=pt");
  CHECK(c[2].path == std::vector<std::string>{"IOMMU group 1", "type"});
  CHECK(text(c[2].before_value) == "DMA");
  CHECK(text(c[2].after_value) == "identity");
  CHECK(c[3].path == std::vector<std::string>{"IOMMU group 1", "reserved msi"});
  CHECK(c[3].kind == ChangeKind::resized);
  CHECK(c[3].after == Span{0xfee00000, 0xfee7ffff});
  CHECK(c[4].path == std::vector<std::string>{"IOMMU group 2", "reserved direct"});
  CHECK(c[4].kind == ChangeKind::added);
}

TEST_CASE("iommu diff: an unknown type (no type file) is not compared", "[diff][iommu]")
{
  auto a = state({group(1, {"0000:00:02.0"})});
  auto b = a;
  a.groups[0].type_known = false;
  a.groups[0].type.clear();
  CHECK(diff(a, b).empty());
}

TEST_CASE("iommu diff: the isolation verdict, when both topologies are known", "[diff][iommu]")
{
  // Two functions of one device share group 7 in A (same slot); in B function 0 is alone in
  // it (e.g. after an ACS quirk): the verdict changes from same-slot to alone.
  Topology ta;
  ta["0000:00:1c.0"] = topo("0000:00:1c.0", "", 4, true);
  ta["0000:01:00.0"] = topo("0000:01:00.0", "0000:00:1c.0", 0);
  ta["0000:01:00.1"] = topo("0000:01:00.1", "0000:00:1c.0", 0);
  ta["0000:01:00.0"].multifunction = true;
  ta["0000:01:00.1"].multifunction = true;
  const auto a = state({group(7, {"0000:01:00.0", "0000:01:00.1"})});
  const auto b = state({group(7, {"0000:01:00.0"}), group(8, {"0000:01:00.1"})});
  Topology tb = ta;
  const auto without = diff(a, b);
  CHECK(std::none_of(without.begin(), without.end(),
                     [](const Change& c) { return c.path.back() == "isolation"; }));
  const auto with = diff(a, b, &ta, &tb);
  const auto it = std::find_if(with.begin(), with.end(),
                               [](const Change& c) { return c.path.back() == "isolation"; });
  REQUIRE(it != with.end());
  CHECK(it->path.front() == "IOMMU group 7");
  CHECK(it->before_value == Value(verdict_of(explain_group(a.groups[0].devices, ta, {}))));
  CHECK(it->after_value == Value(verdict_of(explain_group(b.groups[0].devices, tb, {}))));
  CHECK(it->before_value != it->after_value);
}

TEST_CASE("iommu diff: verdict text", "[diff][iommu]")
{
  Cause c;
  c.kind = "no-acs";
  c.device = "0000:00:1c.0";
  CHECK(text(verdict_of(c)) == "not isolated (no-acs at 0000:00:1c.0)");
  c = Cause{};
  c.kind = "alone";
  c.isolated = true;
  CHECK(text(verdict_of(c)) == "isolated (alone)");
}
