#include <catch2/catch.hpp>

#include <memmap/pci/diff.hpp>
#include <memmap/render/diff.hpp>

#include "diff_text.hpp"
#include <sstream>

using memmap::model::Change;
using memmap::model::ChangeKind;
using memmap::model::Driver;
using Place = memmap::model::Placement;
using memmap::model::Size;
using memmap::model::Span;
using memmap::model::Value;
using namespace memmap::pci;

namespace {

Device
device(const std::string& bdf, std::uint16_t vendor = 0x8086, std::uint16_t id = 0x10d3)
{
  Device d;
  d.bdf = bdf;
  d.vendor_id = vendor;
  d.device_id = id;
  d.name = "Intel Corporation 82574L";
  d.driver = "e1000e";
  return d;
}

Bar
bar(int index, std::uint64_t cpu, std::uint64_t size, std::optional<std::uint64_t> bus = {})
{
  Bar b;
  b.index = index;
  b.mem_type = "32-bit";
  b.cpu_address = cpu;
  b.bus_address = bus ? bus : cpu;
  b.size = size;
  return b;
}

PciModel
model(std::vector<Device> devs)
{
  PciModel m;
  m.devices = std::move(devs);
  return m;
}

} // namespace

TEST_CASE("pci diff: identical models have no changes", "[diff][pci]")
{
  auto d = device("0000:01:00.0");
  d.bars = {bar(0, 0xfd000000, 0x20000)};
  CHECK(diff_models(model({d}), model({d})).empty());
}

TEST_CASE("pci diff: devices added and removed by BDF, with ids, name and driver", "[diff][pci]")
{
  const auto c = diff_models(model({device("0000:01:00.0")}), model({device("0000:02:00.0")}));
  REQUIRE(c.size() == 2);
  CHECK(c[0].kind == ChangeKind::removed);
  CHECK(c[0].path == std::vector<std::string>{"0000:01:00.0"});
  CHECK(detail_text(c[0]) == "8086:10d3 Intel Corporation 82574L [e1000e]");
  CHECK(c[1].kind == ChangeKind::added);
  CHECK(c[1].path == std::vector<std::string>{"0000:02:00.0"});
}

TEST_CASE("pci diff: BARs moved, resized and changed per index", "[diff][pci]")
{
  auto a = device("0000:01:00.0");
  a.bars = {bar(0, 0xfd000000, 0x20000), bar(2, 0xfd100000, 0x1000), bar(3, 0xfd200000, 0x1000),
            bar(4, 0xfd300000, 0x1000)};
  auto b = a;
  b.bars[0].cpu_address = b.bars[0].bus_address = 0xfe000000;  // moved
  b.bars[1].size = 0x2000;                                       // resized
  b.bars[2].cpu_address = b.bars[2].bus_address = 0xfe200000;   // changed: both
  b.bars[2].size = 0x4000;
  b.bars.pop_back();                                             // BAR4 removed
  const auto c = diff_models(model({a}), model({b}));
  REQUIRE(c.size() == 4);
  CHECK(c[0].path == std::vector<std::string>{"0000:01:00.0", "BAR0"});
  CHECK(c[0].kind == ChangeKind::moved);
  CHECK(c[0].before == Span{0xfd000000, 0xfd01ffff});
  CHECK(c[0].after == Span{0xfe000000, 0xfe01ffff});
  CHECK(c[1].kind == ChangeKind::resized);
  CHECK(c[1].after == Span{0xfd100000, 0xfd101fff});
  CHECK(c[2].kind == ChangeKind::changed);
  CHECK(c[3].path == std::vector<std::string>{"0000:01:00.0", "BAR4"});
  CHECK(c[3].kind == ChangeKind::removed);
  CHECK(c[3].before == Span{0xfd300000, 0xfd300fff});
}

TEST_CASE("pci diff: the bus address is shown where it differs from the CPU address",
          "[diff][pci]")
{
  auto a = device("0000:01:00.0");
  a.bars = {bar(0, 0x8083000000, 0x1000000, 0x83000000)};
  auto b = a;
  SECTION("moved: bus addresses in the detail")
  {
    b.bars[0].cpu_address = 0x8084000000;
    b.bars[0].bus_address = 0x84000000;
    const auto c = diff_models(model({a}), model({b}));
    REQUIRE(c.size() == 1);
    CHECK(c[0].kind == ChangeKind::moved);
    CHECK(detail_text(c[0]) == "bus 83000000 -> 84000000");
  }
  SECTION("same CPU range, new translation: a value change")
  {
    b.bars[0].bus_address = 0x3000000;
    const auto c = diff_models(model({a}), model({b}));
    REQUIRE(c.size() == 1);
    CHECK(c[0].kind == ChangeKind::changed);
    CHECK(text(c[0].before_value) == "bus 83000000");
    CHECK(text(c[0].after_value) == "bus 03000000");
    CHECK_FALSE(c[0].before);
  }
}

TEST_CASE("pci diff: unassigned BARs, type changes, ROM, windows, driver, Resizable BAR",
          "[diff][pci]")
{
  auto a = device("0000:00:01.0");
  a.header_type = 1;
  a.bars = {bar(0, 0xf0000000, 0x4000)};
  a.rom = Rom{};
  a.rom->cpu_address = a.rom->bus_address = 0xf1000000;
  a.rom->size = 0x10000;
  a.windows = {BridgeWindow{WindowKind::mem, 32, 0xf0000000, 0xf0ffffff, {}, {}, true, -1},
               BridgeWindow{WindowKind::prefetchable, 64, 0xe0000000, 0xefffffff, {}, {}, true,
                            -1}};
  for (auto& w : a.windows) {
    w.registers_enabled = true;  // the registers decode the range (base <= limit)
  }
  a.rebars = {Rebar{0x200, false, 1, {RebarEntry{0, {1 << 28, 1ULL << 33}, 1 << 28}}, {}}};
  auto b = a;
  b.driver = "vfio-pci";
  b.bars[0].unassigned = true;
  b.rom->enabled = true;
  b.windows[0].bus_end = 0xf1ffffff;
  b.windows[1].enabled = false;  // a disabled window decodes nothing: now unassigned
  b.rebars[0].entries[0].current_size = 1ULL << 33;
  const auto c = diff_models(model({a}), model({b}));
  REQUIRE(c.size() == 6);
  CHECK(c[0].path == std::vector<std::string>{"0000:00:01.0", "driver"});
  CHECK(text(c[0].before_value) == "e1000e");
  CHECK(text(c[0].after_value) == "vfio-pci");
  CHECK(c[1].path[1] == "BAR0");
  CHECK(text(c[1].before_value) == "f0000000-f0003fff (16K)");
  CHECK(text(c[1].after_value) == "unassigned (16K)");
  CHECK(c[2].path[1] == "ROM");
  CHECK(text(c[2].before_value) == "disabled");
  CHECK(text(c[2].after_value) == "enabled");
  CHECK(c[3].path[1] == "window mem");
  CHECK(c[3].kind == ChangeKind::resized);
  CHECK(c[3].after == Span{0xf0000000, 0xf1ffffff});
  CHECK(c[4].path[1] == "window prefetchable");
  CHECK(c[4].kind == ChangeKind::changed);  // not removed: the bridge still has the window
  CHECK(text(c[4].before_value) == "e0000000-efffffff (256M)");
  CHECK(text(c[4].after_value) == "unassigned");
  CHECK(c[5].path[1] == "Resizable BAR0");
  CHECK(text(c[5].before_value) == "256M");
  CHECK(text(c[5].after_value) == "8G");
  // Typed: the sizes are numbers, the driver a name.
  CHECK(c[5].before_value == Value(Size{1 << 28}));
  CHECK(c[5].after_value == Value(Size{1ULL << 33}));
  CHECK(c[0].after_value == Value(Driver{"vfio-pci"}));
  CHECK(c[1].after_value == Value(Place{std::nullopt, 0x4000}));
}

TEST_CASE("pci diff: another device at the same address is one change", "[diff][pci]")
{
  auto a = device("0000:01:00.0");
  a.bars = {bar(0, 0xfd000000, 0x20000)};
  auto b = device("0000:01:00.0", 0x10de, 0x24a0);
  b.name = "NVIDIA Corporation GA104";
  b.driver.clear();
  const auto c = diff_models(model({a}), model({b}));
  REQUIRE(c.size() == 1);
  CHECK(c[0].path == std::vector<std::string>{"0000:01:00.0", "ids"});
  CHECK(text(c[0].before_value) == "8086:10d3 Intel Corporation 82574L [e1000e]");
  CHECK(text(c[0].after_value) == "10de:24a0 NVIDIA Corporation GA104");
}

TEST_CASE("pci diff: ids one side could not read are not another device", "[diff][pci]")
{
  auto a = device("0000:01:00.0");
  a.bars = {bar(0, 0xfd000000, 0x20000)};
  auto b = a;
  b.vendor_id.reset();  // config unreadable, sysfs vendor/device files gone
  b.device_id.reset();
  b.bars = {bar(0, 0xfe000000, 0x20000)};
  const auto c = diff_models(model({a}), model({b}));
  REQUIRE(c.size() == 1);  // the BAR that moved, not "another device"
  CHECK(c[0].path == std::vector<std::string>{"0000:01:00.0", "BAR0"});
}

TEST_CASE("pci diff: VF BAR apertures compared like BARs", "[diff][pci]")
{
  auto a = device("0000:00:02.0");
  a.sriov = Sriov{};
  a.sriov->vf_bars = {bar(0, 0xc010000000, 0x1000000)};
  a.sriov->vf_apertures = {0x7000000};
  auto b = a;
  b.sriov->vf_apertures = {0xe000000};
  const auto c = diff_models(model({a}), model({b}));
  REQUIRE(c.size() == 1);
  CHECK(c[0].path == std::vector<std::string>{"0000:00:02.0", "VF BAR0"});
  CHECK(c[0].kind == ChangeKind::resized);
  CHECK(c[0].after == Span{0xc010000000, 0xc01dffffff});
}

TEST_CASE("pci diff: a size unknown in A and known in B", "[diff][pci]")
{
  auto a = device("0000:01:00.0");
  a.bars = {bar(0, 0xf0000000, 0x4000)};
  a.bars[0].size.reset();  // e.g. a dump without [size=]
  auto b = device("0000:01:00.0");
  b.bars = {bar(0, 0xf0000000, 0x4000)};
  const auto c = diff_models(model({a}), model({b}));
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == ChangeKind::changed);
  CHECK(c[0].before_value == Value(Place{0xf0000000, std::nullopt}));
  CHECK(c[0].after_value == Value(Place{0xf0000000, 0x4000}));
  CHECK(text(c[0].before_value) == "f0000000 (size unknown)");
  CHECK(text(c[0].after_value) == "f0000000-f0003fff (16K)");
  const auto j = memmap::render::change_to_json(c[0]);
  CHECK(j["before_value"]["start"] == "0xf0000000");
  CHECK(j["before_value"]["size"].is_null());  // unknown, not 0
  CHECK(j["after_value"]["size"] == 16384);
  CHECK(j["after_value"]["end"] == "0xf0003fff");
}

TEST_CASE("pci diff: a bridge window assigned in A and unset in B is unassigned, not removed",
          "[diff][pci]")
{
  auto a = device("0000:00:1c.0");
  a.header_type = 1;
  BridgeWindow w{WindowKind::mem, 32, 0xc0000000, 0xc01fffff, 0xc0000000, 0xc01fffff, true, -1};
  w.registers_enabled = true;
  w.kernel = KernelWindow::assigned;
  a.windows = {w};
  auto b = a;
  // The kernel could not place it after a rescan: IORESOURCE_UNSET, its size kept.
  b.windows[0].enabled = false;
  b.windows[0].kernel = KernelWindow::unset;
  b.windows[0].kernel_size = 0x200000;
  b.windows[0].cpu_start.reset();
  b.windows[0].cpu_end.reset();
  const auto c = diff_models(model({a}), model({b}));
  REQUIRE(c.size() == 1);
  CHECK(c[0].path == std::vector<std::string>{"0000:00:1c.0", "window mem"});
  CHECK(c[0].kind == ChangeKind::changed);
  CHECK(c[0].before_value == Value(Place{0xc0000000, 0x200000}));
  CHECK(c[0].after_value == Value(Place{std::nullopt, 0x200000}));
  CHECK(c[0].detail.empty());
  std::ostringstream out;
  memmap::render::render_changes_text(c, memmap::render::Style(false), out);
  CHECK(out.str()
        == "  ~ changed  0000:00:1c.0 > window mem  c0000000-c01fffff (2M) -> unassigned (2M)\n");
  const auto j = memmap::render::change_to_json(c[0]);
  CHECK(j["after_value"] == memmap::render::Json{{"start", nullptr}, {"end", nullptr},
                                                 {"size", 2097152}});
  // Back: assigned again, the same change the other way.
  const auto back = diff_models(model({b}), model({a}));
  REQUIRE(back.size() == 1);
  CHECK(back[0].kind == ChangeKind::changed);
  // Unset on both sides, or unset on one and absent on the other: nothing forwarded either way.
  CHECK(diff_models(model({b}), model({b})).empty());
  auto none = a;
  none.windows.clear();
  CHECK(diff_models(model({b}), model({none})).empty());
  CHECK(diff_models(model({none}), model({b})).empty());
}
