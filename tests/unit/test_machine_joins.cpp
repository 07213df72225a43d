// machine/pci_joins and model/ram: which BAR a device region is, the host-bridge offset of a
// window, and where RAM ends; the joins `memmap map` and `memmap bar` used to do inline.
#include <catch2/catch.hpp>

#include <memmap/machine/pci_joins.hpp>
#include <memmap/model/ram.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/source/resource_tree.hpp>

#include <tuple>

using namespace memmap;

namespace {

pci::Bar
bar(int index, std::optional<std::uint64_t> cpu, std::optional<std::uint64_t> bus,
    std::optional<std::uint64_t> size, pci::BarKind kind = pci::BarKind::mem)
{
  pci::Bar b;
  std::tie(b.index, b.kind) = std::tie(index, kind);
  std::tie(b.cpu_address, b.bus_address, b.size) = std::tie(cpu, bus, size);
  return b;
}

model::Region
region(std::uint64_t start, std::uint64_t end)
{
  model::Region r;
  r.start = start;
  r.end = end;
  return r;
}

} // namespace

TEST_CASE("bar_index: exact CPU range, bus address only when CPU is unknown", "[machine][joins]")
{
  pci::Device d;
  d.bars = {bar(0, 0xf0000000, 0x10000000, 0x1000000), bar(2, std::nullopt, 0xe0000000, 0x4000),
            bar(4, 0xd0000000, 0xd0000000, 0)};
  CHECK(machine::bar_index(d, 0xf0000000, 0xf0ffffff) == 0);
  CHECK_FALSE(machine::bar_index(d, 0x10000000, 0x10ffffff));  // the bus view of BAR0: no
  CHECK_FALSE(machine::bar_index(d, 0xf0000000, 0xf00fffff));  // a part of BAR0: no
  CHECK(machine::bar_index(d, 0xe0000000, 0xe0003fff) == 2);   // CPU unknown: bus address
  CHECK_FALSE(machine::bar_index(d, 0xd0000000, 0xcfffffff));  // size 0 never matches
  CHECK_FALSE(machine::bar_index(d, 0xd0000000, 0xd0000000));
}

TEST_CASE("bar_index: ROM is 6, VF apertures are 7 + n", "[machine][joins]")
{
  pci::Device d;
  pci::Rom rom;
  rom.cpu_address = 0xfe000000;
  rom.size = 0x20000;
  d.rom = rom;
  pci::Sriov s;
  s.vf_bars = {bar(0, 0x90000000, std::nullopt, 0x4000), bar(2, 0x98000000, std::nullopt, 0x4000)};
  s.vf_apertures = {0x20000, std::nullopt};
  d.sriov = s;
  CHECK(machine::bar_index(d, 0xfe000000, 0xfe01ffff) == 6);
  CHECK(machine::bar_index(d, 0x90000000, 0x9001ffff) == 7);   // the whole aperture of VF BAR0
  CHECK_FALSE(machine::bar_index(d, 0x90000000, 0x90003fff));  // one VF's slice is not it
  CHECK_FALSE(machine::bar_index(d, 0x98000000, 0x98003fff));  // aperture size unknown

  s.vf_apertures.clear();  // hostile: fewer apertures than VF BARs
  d.sriov = s;
  CHECK_FALSE(machine::bar_index(d, 0x90000000, 0x9001ffff));
}

TEST_CASE("window_offset: one agreed CPU - bus translation, else unknown", "[machine][joins]")
{
  pci::PciModel m;
  pci::Device a;
  a.bars = {bar(0, 0x80002000, 0x2000, 0x1000),
            bar(1, 0x3000, 0x3000, 0x20, pci::BarKind::io)};  // I/O BARs do not count
  pci::Device b;
  b.bars = {bar(0, 0x80100000, 0x100000, 0x1000)};
  m.devices = {a, b};
  const auto win = region(0x80000000, 0x8fffffff);
  CHECK(machine::window_offset(m, win) == std::int64_t{0x80000000});
  CHECK_FALSE(machine::window_offset(m, region(0x0, 0xffff)));  // nothing inside: unknown

  SECTION("a BAR that disagrees makes it unknown")
  {
    m.devices[1].bars[0].bus_address = 0x200000;
    CHECK_FALSE(machine::window_offset(m, win));
  }
  SECTION("identity mapping is no offset")
  {
    for (auto& d : m.devices) {
      for (auto& bb : d.bars) {
        bb.bus_address = bb.cpu_address;
      }
    }
    CHECK_FALSE(machine::window_offset(m, win));
  }
  SECTION("a bridge window with both addresses counts")
  {
    pci::PciModel w;
    pci::Device br;
    pci::BridgeWindow bw;
    bw.kind = pci::WindowKind::mem;
    bw.bus_start = 0x400000;
    bw.bus_end = 0x4fffff;
    bw.cpu_start = 0x80400000;
    bw.cpu_end = 0x804fffff;
    bw.enabled = true;
    bw.registers_enabled = true;
    br.windows = {bw};
    w.devices = {br};
    CHECK(machine::window_offset(w, win) == std::int64_t{0x80000000});
    w.devices[0].windows[0].registers_read = false;  // rows only: no bus range
    CHECK_FALSE(machine::window_offset(w, win));
  }
}

TEST_CASE("ram_regions and highest_ram: every System RAM region, nested too", "[machine][ram]")
{
  const auto space = source::parse_resource_tree("00001000-0009ffff : System RAM\n"
                                                 "000a0000-000fffff : Reserved\n"
                                                 "00100000-3fffffff : System RAM\n"
                                                 "  01000000-01ffffff : Kernel code\n"
                                                 "40000000-7fffffff : Soft Reserved\n"
                                                 "  40000000-5fffffff : System RAM (kmem)\n",
                                                 "iomem", model::SpaceKind::cpu_physical);
  const auto ram = model::ram_regions(space);
  REQUIRE(ram.size() == 3);
  CHECK(ram[0]->start == 0x1000);
  CHECK(ram[1]->start == 0x100000);
  CHECK(ram[2]->start == 0x40000000);  // under Soft Reserved: still RAM
  CHECK(model::highest_ram(space) == std::uint64_t{0x5fffffff});

  const auto none = source::parse_resource_tree("000a0000-000fffff : Reserved\n", "iomem",
                                                model::SpaceKind::cpu_physical);
  CHECK(model::ram_regions(none).empty());
  CHECK_FALSE(model::highest_ram(none));
}
