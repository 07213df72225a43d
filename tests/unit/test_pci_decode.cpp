// The PCI decoders on hand-built and hostile config spaces, the sysfs `resource` parser,
// the lspci text scanner and the selector.
#include <catch2/catch.hpp>

#include "support/config_builder.hpp"
#include "support/fixtures.hpp"

#include <memmap/error.hpp>
#include <memmap/pci/decode.hpp>
#include <memmap/pci/loader.hpp>
#include <memmap/pci/lspci_text.hpp>
#include <memmap/pci/selector.hpp>
#include <memmap/pci/sysfs_resource.hpp>
#include <memmap/source/pci_names.hpp>
#include <memmap/source/sysroot.hpp>

#include <filesystem>

using namespace memmap;
using pci::ConfigSpace;
using test::Cfg;

namespace {

// An endpoint with the capability list bit set.
Cfg
endpoint()
{
  Cfg c;
  c.u16(0, 0x8086).u16(2, 0x1234).u16(4, 0x0006).u16(6, 0x0010);
  return c;
}

using test::fixture;

} // namespace

TEST_CASE("config space: absent bytes are unknown, not zero", "[pci]")
{
  std::vector<std::uint8_t> bytes(8, 0xab);
  std::vector<bool> present(8, true);
  present[5] = false;
  ConfigSpace cfg(bytes, present);
  CHECK(cfg.u32(0) == 0xababababU);
  CHECK_FALSE(cfg.u32(4));
  CHECK_FALSE(cfg.u8(5));
  CHECK(cfg.u8(6) == 0xab);
  CHECK_FALSE(cfg.u16(7));  // runs past the end
  CHECK(cfg.contiguous() == 5);
}

TEST_CASE("BARs: 32/64-bit, prefetchable, I/O, 64-bit in the last slot", "[pci]")
{
  auto c = endpoint();
  c.u32(0x10, 0xfb000000).u32(0x14, 0xd000000c).u32(0x18, 0x00000001).u32(0x1c, 0xe000000c)
    .u32(0x20, 0).u32(0x24, 0x0000000c);  // BAR5: 64-bit with no upper half
  c.u32(0x18, 0x00000000);  // BAR1's upper half
  c.u32(0x20, 0x00000001);  // BAR3's upper half: bit 0 set, must not become an I/O BAR
  const auto bars = pci::decode_bars(c.done(), 6, 0x0006, nullptr);
  REQUIRE(bars.size() == 4);
  CHECK(bars[0].index == 0);
  CHECK(bars[0].bits == 32);
  CHECK(bars[0].bus_address == 0xfb000000U);
  CHECK(bars[1].index == 1);
  CHECK(bars[1].bits == 64);
  CHECK(bars[1].prefetchable);
  CHECK(bars[2].index == 3);
  CHECK(bars[2].bus_address == 0x1e0000000ULL);
  CHECK(bars[3].index == 5);
  CHECK(bars[3].broken_64);
  CHECK(bars[3].state() == "broken-64-bit-slot");
  CHECK(bars[0].decode_enabled == true);
}

TEST_CASE("BARs: sysfs rows give CPU address, size and the host-bridge offset", "[pci]")
{
  auto c = endpoint();
  c.u32(0x10, 0x2000000c).u32(0x14, 0x0);
  const auto res = pci::parse_sysfs_resource(
    "0x0000008020000000 0x000000802fffffff 0x000000000014220c\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n",
    "resource");
  const auto bars = pci::decode_bars(c.done(), 6, 0x0002, &res);
  REQUIRE(bars.size() == 1);
  CHECK(bars[0].cpu_address == 0x8020000000ULL);
  CHECK(bars[0].bus_address == 0x20000000U);
  CHECK(bars[0].size == 0x10000000U);
  CHECK(bars[0].translation_offset() == 0x8000000000LL);
  CHECK(bars[0].naturally_aligned() == true);
}

TEST_CASE("BARs and ROM: an all-zero sysfs row outranks a stale register", "[pci]")
{
  // The shape of fixtures/qemu-q35-bar-fail 02:00.0: the kernel failed BAR 2 and released it
  // (row 2 all zeros, flags too) while the register still holds 0x10_0000_0000; the ROM
  // register holds an address the kernel has no resource for.
  auto c = endpoint();
  c.u32(0x10, 0xfe600000).u32(0x18, 0x0000000c).u32(0x1c, 0x10).u32(0x30, 0xfeb00000);
  const std::string zero = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
  std::string text = "0x00000000fe600000 0x00000000fe6000ff 0x0000000000040200\n";
  for (int i = 1; i < 7; ++i) {
    text += zero;
  }
  const auto res = pci::parse_sysfs_resource(text, "resource");
  const auto bars = pci::decode_bars(c.done(), 6, 0x0002, &res);
  REQUIRE(bars.size() == 2);
  CHECK(bars[0].cpu_address == 0xfe600000U);
  CHECK_FALSE(bars[0].unassigned);
  CHECK(bars[1].index == 2);
  CHECK(bars[1].bits == 64);
  CHECK(bars[1].prefetchable);
  CHECK(bars[1].unassigned);
  CHECK_FALSE(bars[1].ignored);
  CHECK_FALSE(bars[1].bus_address);
  CHECK_FALSE(bars[1].cpu_address);
  CHECK(bars[1].register_address == 0x1000000000ULL);
  CHECK(bars[1].state() == "unassigned");
  const auto rom = pci::decode_rom(c.done(), 0x30, &res);
  REQUIRE(rom);
  CHECK(rom->unassigned);
  CHECK_FALSE(rom->bus_address);
  CHECK(rom->register_address == 0xfeb00000U);
  // Without the kernel's rows (a dump) the register is all there is: an address.
  const auto dumped = pci::decode_bars(c.done(), 6, 0x0002, nullptr);
  REQUIRE(dumped.size() == 2);
  CHECK(dumped[1].bus_address == 0x1000000000ULL);
  CHECK_FALSE(dumped[1].unassigned);
}

TEST_CASE("sysfs resource: the layout follows the line count", "[pci]")
{
  const std::string zero = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
  auto lines = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      s += zero;
    }
    return s;
  };
  auto r7 = pci::parse_sysfs_resource(lines(7), "r");
  CHECK((!r7.iov && !r7.bridge && r7.problems.empty()));
  auto r11 = pci::parse_sysfs_resource(lines(11), "r");
  CHECK((!r11.iov && r11.bridge));
  CHECK(r11.bridge_window(0) == &r11.rows[7]);
  auto r13 = pci::parse_sysfs_resource(lines(13), "r");
  CHECK((r13.iov && !r13.bridge));
  CHECK(r13.vf_bar(0) == &r13.rows[7]);
  auto r17 = pci::parse_sysfs_resource(lines(17), "r");
  CHECK((r17.iov && r17.bridge));
  CHECK(r17.bridge_window(2) == &r17.rows[15]);
  auto r9 = pci::parse_sysfs_resource(lines(9), "r");
  REQUIRE(r9.problems.size() == 1);
  CHECK(r9.problems[0].message.find("9 lines") != std::string::npos);
  CHECK(r9.bar(0) != nullptr);
  CHECK(r9.vf_bar(0) == nullptr);

  auto bad = pci::parse_sysfs_resource(zero + "0x12 zz 0x0\n" + zero, "DIR/resource");
  REQUIRE(bad.problems.size() >= 1);
  CHECK(bad.problems[0].located().rfind("DIR/resource:2:", 0) == 0);
  CHECK(bad.rows.size() == 1);
}

TEST_CASE("capabilities: loops, pointers into the header, 64-byte configs", "[pci][hostile]")
{
  SECTION("a loop ends with a problem, each entry once")
  {
    auto c = endpoint();
    c.u8(0x34, 0x40).u8(0x40, 0x01).u8(0x41, 0x50).u8(0x50, 0x05).u8(0x51, 0x40);
    const auto list = pci::walk_capabilities(c.done(), 0);
    CHECK(list.entries.size() == 2);
    REQUIRE(list.problems.size() == 1);
    CHECK(pci::message(list.problems[0]).find("loops") != std::string::npos);
  }
  SECTION("a pointer into the header ends the list")
  {
    auto c = endpoint();
    c.u8(0x34, 0x40).u8(0x40, 0x01).u8(0x41, 0x10);
    const auto list = pci::walk_capabilities(c.done(), 0);
    CHECK(list.entries.size() == 1);
    REQUIRE(list.problems.size() == 1);
    CHECK(pci::message(list.problems[0]).find("into the header") != std::string::npos);
  }
  SECTION("a 64-byte config: the list is unknown, not empty")
  {
    auto c = endpoint();
    c.u8(0x34, 0x60);
    c.b.resize(64);
    const auto list = pci::walk_capabilities(c.done(), 0);
    CHECK(list.entries.empty());
    CHECK(list.access_denied);
  }
  SECTION("a self-loop of every possible pointer terminates")
  {
    for (int p = 0x40; p < 0x100; p += 4) {
      auto c = endpoint();
      c.u8(0x34, static_cast<std::uint8_t>(p)).u8(static_cast<std::size_t>(p), 0x09)
        .u8(static_cast<std::size_t>(p) + 1, static_cast<std::uint8_t>(p));
      const auto list = pci::walk_capabilities(c.done(), 0);
      CHECK(list.entries.size() == 1);
    }
  }
  SECTION("CardBus: the list starts at 0x14")
  {
    auto c = endpoint();
    c.u8(0x0e, 0x02).u8(0x14, 0x80).u8(0x80, 0x01);
    const auto list = pci::walk_capabilities(c.done(), 2);
    REQUIRE(list.entries.size() == 1);
    CHECK(list.entries[0].offset == 0x80);
  }
}

TEST_CASE("extended capabilities: loops, below 0x100, truncation", "[pci][hostile]")
{
  SECTION("loop")
  {
    Cfg c(4096);
    c.u32(0x100, (0x200U << 20) | 0x0001).u32(0x200, (0x100U << 20) | 0x000d);
    const auto list = pci::walk_extended_capabilities(c.done());
    CHECK(list.entries.size() == 2);
    REQUIRE(list.problems.size() == 1);
    CHECK(pci::message(list.problems[0]).find("loops") != std::string::npos);
  }
  SECTION("next pointer below 0x100")
  {
    Cfg c(4096);
    c.u32(0x100, (0x040U << 20) | 0x0001);
    const auto list = pci::walk_extended_capabilities(c.done());
    CHECK(list.entries.size() == 1);
    CHECK(list.problems.size() == 1);
  }
  SECTION("the chain runs past the bytes read")
  {
    Cfg c(0x180);
    c.u32(0x100, (0x800U << 20) | 0x0001);
    const auto list = pci::walk_extended_capabilities(c.done());
    CHECK(list.entries.size() == 1);
    CHECK(list.access_denied);
  }
}

TEST_CASE("Resizable BAR: sizes, current size, num_bars = 0", "[pci]")
{
  Cfg c(4096);
  // One entry: BAR 1, supports 256M (bit 12) and 512M (bit 13), current 256M (8).
  c.u32(0x204, (1U << 12) | (1U << 13)).u32(0x208, 0x1U | (1U << 5) | (8U << 8));
  auto rb = pci::decode_rebar(c.done(), 0x200, false);
  REQUIRE(rb.entries.size() == 1);
  CHECK(rb.entries[0].bar == 1);
  CHECK(rb.entries[0].supported_sizes == std::vector<std::uint64_t>{256ULL << 20, 512ULL << 20});
  CHECK(rb.entries[0].current_size == 256ULL << 20);

  Cfg z(4096);
  z.u32(0x204, 1U << 4).u32(0x208, 0);
  auto rz = pci::decode_rebar(z.done(), 0x200, false);
  CHECK(rz.entries.empty());
  REQUIRE(rz.problems.size() == 1);
  CHECK(pci::message(rz.problems[0]).find("0 BARs") != std::string::npos);
}

TEST_CASE("SR-IOV: VF BARs with per-VF size from the sysfs VF rows", "[pci]")
{
  Cfg c(4096);
  const std::size_t o = 0x160;
  c.u16(o + 0x0e, 8).u16(o + 0x10, 2).u32(o + 0x24, 0xd284000c).u32(o + 0x28, 0);
  std::string res;
  for (int i = 0; i < 13; ++i) {
    res += i == 7 ? "0x00000000d2840000 0x00000000d285ffff 0x000000000014220c\n"
                  : "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
  }
  const auto rows = pci::parse_sysfs_resource(res, "resource");
  const auto s = pci::decode_sriov(c.done(), o, &rows);
  REQUIRE(s);
  CHECK(s->total_vfs == 8);
  CHECK(s->num_vfs == 2);
  REQUIRE(s->vf_bars.size() == 1);
  CHECK(s->vf_bars[0].bus_address == 0xd2840000U);
  CHECK(s->vf_apertures[0] == 0x20000U);
  CHECK(s->vf_bars[0].size == 0x4000U);  // 128K / 8 VFs
}

TEST_CASE("bridge windows: base <= limit, 0/0 is a window at 0, bad types reported", "[pci]")
{
  Cfg c;
  c.u8(0x0e, 0x01).u8(0x1c, 0x00).u8(0x1d, 0x00)          // I/O 0000-0fff
    .u16(0x20, 0xfff0).u16(0x22, 0x0000)                  // memory disabled
    .u16(0x24, 0x0001).u16(0x26, 0x0011).u32(0x28, 0x60).u32(0x2c, 0x60);
  std::vector<pci::DecodeIssue> problems;
  const auto w = pci::decode_bridge_windows(c.done(), nullptr, problems);
  REQUIRE(w.size() == 3);
  CHECK(w[0].enabled);
  CHECK(w[0].bus_end == 0xfff);
  CHECK_FALSE(w[1].enabled);
  CHECK(w[2].bits == 64);
  CHECK(w[2].bus_start == 0x6000000000ULL);
  CHECK(w[2].bus_end == 0x60001fffffULL);
  CHECK(problems.empty());

  Cfg bad;
  bad.u8(0x1c, 0x01).u8(0x1d, 0x00);
  pci::decode_bridge_windows(bad.done(), nullptr, problems);
  CHECK(problems.size() == 1);
}

TEST_CASE("bridge windows: an upper half past the bytes read is unknown, not zero", "[pci][hostile]")
{
  // A type-1 header cut at 40 bytes (fixtures/races-hostile 00:02.0): the 64-bit prefetchable
  // window's base and limit are there, their upper 32 bits (0x28-0x2f) are not.
  Cfg c(40);
  c.u8(0x0e, 0x01).u8(0x1c, 0x71).u8(0x1d, 0x71)          // 32-bit I/O: upper at 0x30 missing
    .u16(0x20, 0xfdc0).u16(0x22, 0xfdd0)
    .u16(0x24, 0xfea1).u16(0x26, 0xfeb1);
  std::vector<pci::DecodeIssue> problems;
  const auto w = pci::decode_bridge_windows(c.done(), nullptr, problems);
  REQUIRE(w.size() == 3);
  CHECK(w[0].upper_unknown);
  CHECK_FALSE(w[1].upper_unknown);
  CHECK(w[2].bits == 64);
  CHECK(w[2].upper_unknown);
  CHECK(problems.size() == 2);

  // Through decode_device: the problems are "short", not "malformed", and a BAR behind the
  // window is neither inside nor outside it.
  pci::Device d;
  d.bdf = "0000:00:02.0";
  d.config = c.done();
  pci::decode_device(d, "test");
  REQUIRE(d.windows.size() == 3);
  int shorts = 0;
  for (const auto& p : d.problems) {
    shorts += p.id == "pci-config-short" ? 1 : 0;
    CHECK(p.id != "pci-config-malformed");
  }
  CHECK(shorts == 2);

  Cfg full(64);
  full.u8(0x0e, 0x01).u16(0x24, 0xfea1).u16(0x26, 0xfeb1).u32(0x28, 0x1).u32(0x2c, 0x1);
  problems.clear();
  const auto w2 = pci::decode_bridge_windows(full.done(), nullptr, problems);
  REQUIRE(w2.size() == 3);
  CHECK_FALSE(w2[2].upper_unknown);
  CHECK(w2[2].bus_start == 0x1fea00000ULL);
}

TEST_CASE("a function reading all ones has no BARs", "[pci][hostile]")
{
  pci::Device d;
  d.bdf = "0000:2f:00.0";
  d.config = ConfigSpace::from_bytes(std::vector<std::uint8_t>(256, 0xff));
  pci::decode_device(d, "test");
  CHECK(d.absent);
  CHECK_FALSE(d.class_code);  // nobody read a class: unknown, not 0x000000
  CHECK_FALSE(d.revision);
  CHECK_FALSE(d.header_type);
  CHECK(d.bars.empty());
  CHECK_FALSE(d.rom);
  CHECK(d.capabilities.entries.empty());
  REQUIRE(d.problems.size() == 1);
  CHECK(d.problems[0].id == "pci-function-absent");
}

TEST_CASE("lspci text: sizes from -v, malformed files named by line", "[pci][hostile]")
{
  const std::string text = "04:00.0 VGA compatible controller: X\n"
                           "\tMemory at fb000000 (32-bit, non-prefetchable) [size=16M]\n"
                           "\tI/O ports at c000 [size=128]\n"
                           "\tExpansion ROM at fc000000 [virtual] [disabled] [size=512K]\n"
                           "\tKernel driver in use: nvidia\n"
                           "00: de 10 b1 1c 07 05 10 00 a1 00 00 03 00 00 00 00\n\n";
  const auto t = pci::scan_lspci_text(text, "f");
  REQUIRE(t.devices.size() == 1);
  CHECK(t.devices[0].bdf == "0000:04:00.0");
  REQUIRE(t.devices[0].regions.size() == 2);
  CHECK(t.devices[0].regions[0].size == 16ULL << 20);
  CHECK(t.devices[0].regions[1].io);
  REQUIRE(t.devices[0].rom);
  CHECK(t.devices[0].rom->is_virtual);
  CHECK(t.devices[0].driver == "nvidia");

  CHECK_THROWS_WITH(pci::scan_lspci_text("00:00.0 x\n00: 86 80 0 00\n", "f"),
                    Catch::Contains("f:2: malformed"));
  CHECK_THROWS_WITH(pci::scan_lspci_text("00:00.0 x\n00: 86 80", "f"), Catch::Contains("f:2:"));
  CHECK_THROWS_WITH(pci::scan_lspci_text("00:00.0 x\n" + std::string(300, 'a') + "\n", "f"),
                    Catch::Contains("f:2: line of 300"));
  CHECK_THROWS_WITH(pci::scan_lspci_text("00:00.0 x\nff8: 00 00 00 00 00 00 00 00 00 00\n", "f"),
                    Catch::Contains("past 4096"));
  CHECK(pci::parse_lspci_size("512K") == 512ULL << 10);
  CHECK_FALSE(pci::parse_lspci_size("12Q"));
}

TEST_CASE("hostile corpus dumps load without hanging and report their defects", "[pci][hostile]")
{
  source::PciNames names;
  CHECK_THROWS_AS(pci::load_dump(fixture("pci-hostile/long-line-p61.txt"), names), InputError);
  CHECK_THROWS_WITH(pci::load_dump(fixture("pci-hostile/stderr-spliced-x99.txt"), names),
                    Catch::Contains("stderr-spliced-x99.txt:294:"));
  const auto loops = pci::load_dump(fixture("pci-hostile/cap-loops-ga104-audio.txt"), names);
  REQUIRE(loops.devices.size() == 2);
  CHECK(loops.devices[0].capabilities.problems.size() == 1);
  CHECK(loops.devices[1].extended_capabilities.problems.size() == 1);
  const auto cb = pci::load_dump(fixture("pci-hostile/cardbus-o2micro-gm45.txt"), names);
  REQUIRE(cb.devices.size() == 1);
  CHECK(cb.devices[0].is_cardbus());
  CHECK(cb.devices[0].bars.size() == 1);
  CHECK(cb.devices[0].windows.size() == 4);
  const auto tr = pci::load_dump(fixture("pci-hostile/truncated-rtx3070ti.txt"), names);
  CHECK(tr.devices.at(0).extended_capabilities.access_denied);
}

TEST_CASE("hostile corpus dumps: every original in the shared corpus is refused", "[pci][hostile][corpus]")
{
  source::PciNames names;
  for (const auto& f : test::corpus_files("lspci-unparseable")) {
    INFO(f);
    CHECK_THROWS_AS(pci::load_dump(f.string(), names), InputError);
  }
}

TEST_CASE("sysroot: topology, host-bridge offset, SR-IOV and ReBAR through libpci", "[pci]")
{
  source::PciNames names;
  const auto m = pci::load_sysfs(source::SysRoot(fixture("sysroot-alderlake-offset")), names);
  REQUIRE(m.devices.size() == 29);
  const auto* gpu = m.find("0000:01:00.0");
  REQUIRE(gpu);
  CHECK(gpu->parent_bdf == "0000:00:01.0");
  const auto up = m.upstream_path("0000:01:00.0");
  REQUIRE(up.size() == 1);
  REQUIRE(up[0]->pcie);
  CHECK(up[0]->pcie->port_type == 4);
  REQUIRE(up[0]->acs);
  CHECK(up[0]->acs->capability == 0x1f);
  REQUIRE(gpu->bars.size() == 4);
  CHECK(gpu->bars[1].translation_offset() == 0x8000000000LL);
  CHECK(gpu->bars[1].inside_parent_window == true);
  REQUIRE(gpu->rebars.size() == 1);
  CHECK(gpu->rebars[0].entries.size() == 3);
  const auto* igpu = m.find("0000:00:02.0");
  REQUIRE((igpu && igpu->sriov));
  CHECK(igpu->sriov->total_vfs == 7);
  CHECK(igpu->sriov->vf_bars.at(0).size == 16ULL << 20);
  CHECK(m.find("0000:2f:00.0")->absent);
  CHECK(m.find("0000:00:07.0")->rebars.at(0).declared_entries == 0);
  CHECK(m.find("0000:00:01.0")->multifunction);  // header type 0x81 in the capture
}

TEST_CASE("selector: lspci -s and -d syntax", "[pci]")
{
  pci::Selector s;
  pci::parse_slot_selector("04:00.0", s);
  CHECK((s.bus == 4 && s.slot == 0 && s.func == 0 && !s.domain));
  pci::Selector t;
  pci::parse_slot_selector("0001:02:", t);
  CHECK((t.domain == 1 && t.bus == 2 && !t.slot));
  pci::Selector u;
  pci::parse_slot_selector("1c", u);
  CHECK((u.slot == 0x1c && !u.bus));
  pci::Selector v;
  pci::parse_id_selector("10de:", v);
  CHECK((v.vendor == 0x10de && !v.device));
  CHECK_THROWS_AS(pci::parse_slot_selector("04:zz.0", s), UsageError);
  CHECK_THROWS_AS(pci::parse_slot_selector("04:20", s), UsageError);
  CHECK_THROWS_AS(pci::parse_id_selector("10de", s), UsageError);
}

TEST_CASE("unknown stays unknown: unread command register, upper dword, capability lists", "[pci]")
{
  // A 64-bit BAR whose upper dword (0x14) was not read: no bus address, not "virtual".
  Cfg c = endpoint();
  c.u32(0x10, 0xd000000c);
  std::vector<bool> present(c.b.size(), true);
  for (std::size_t i = 0x14; i < 0x18; ++i) {
    present[i] = false;
  }
  const ConfigSpace cut(c.b, present);
  const auto bars = pci::decode_bars(cut, 6, std::nullopt, nullptr);
  REQUIRE_FALSE(bars.empty());
  CHECK(bars[0].bits == 64);
  CHECK_FALSE(bars[0].bus_address);
  CHECK_FALSE(bars[0].is_virtual);
  // No command register: decode on or off is unknown, and the BAR is not called disabled.
  CHECK_FALSE(bars[0].decode_enabled.has_value());
  CHECK(bars[0].state() != "disabled");
  // The command register read with memory decode off: known false.
  const auto off = pci::decode_bars(c.done(), 6, std::uint16_t{0x0000}, nullptr);
  REQUIRE_FALSE(off.empty());
  CHECK(off[0].decode_enabled == false);
  CHECK(off[0].state() == "disabled");

  // Capability lists: 64 bytes of a PCIe function whose list starts past them.
  Cfg e = endpoint();
  e.u8(0x34, 0x40).u8(0x40, 0x10).u8(0x41, 0x00).u16(0x42, 0x0002);
  pci::Device shortdev;
  shortdev.bdf = "0000:01:00.0";
  shortdev.config = ConfigSpace::from_bytes({e.b.begin(), e.b.begin() + 0x40});
  pci::decode_device(shortdev, "test");
  CHECK_FALSE(shortdev.capabilities_known());
  CHECK_FALSE(shortdev.extended_capabilities_known());
  // 256 bytes: the standard list is walked; a PCIe function's extended list is unknown.
  pci::Device pcie;
  pcie.bdf = "0000:01:00.0";
  pcie.config = e.done();
  pci::decode_device(pcie, "test");
  CHECK(pcie.capabilities_known());
  CHECK(pcie.has_capability(0x10, false));
  CHECK_FALSE(pcie.extended_capabilities_known());
  // A conventional PCI function with no capability list: both lists are known and empty.
  Cfg p;
  p.u16(0, 0x8086).u16(2, 0x1234).u16(4, 0x0006).u16(6, 0x0000);
  pci::Device conv;
  conv.bdf = "0000:02:00.0";
  conv.config = p.done();
  pci::decode_device(conv, "test");
  CHECK(conv.capabilities_known());
  CHECK(conv.capabilities.entries.empty());
  CHECK(conv.extended_capabilities_known());
  // Nothing read at all: nothing is known.
  pci::Device none;
  none.bdf = "0000:03:00.0";
  pci::decode_device(none, "test");
  CHECK_FALSE(none.capabilities_known());
  CHECK_FALSE(none.header_type.has_value());
}
