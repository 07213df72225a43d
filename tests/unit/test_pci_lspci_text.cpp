// The lspci text scanner (header ids, capability lines, region words, where the hex ends)
// and what the dump loader makes of it: text-only functions, text capabilities past a short
// hex, disagreements between hex and text, and dumps cut short.
#include <catch2/catch.hpp>

#include <memmap/pci/decode.hpp>
#include <memmap/pci/loader.hpp>
#include <memmap/pci/lspci_text.hpp>
#include <memmap/source/pci_names.hpp>

#include <algorithm>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace memmap;

namespace {

using test::fixture;

// A dump file in a temporary directory, removed at the end of the test.
struct TempDump {
  test::TempDir dir{"lspci-text"};
  fs::path path;
  explicit TempDump(const std::string& text, const std::string& name = "dump.txt")
    : path(dir.write(name, text))
  {
  }
  std::string str() const { return path.string(); }
};

// Hex lines "OFF: b b b ..." for `bytes` (16 a line), as lspci -x prints them.
std::string
hex_lines(const std::vector<std::uint8_t>& bytes)
{
  std::string out;
  for (std::size_t off = 0; off < bytes.size(); off += 16) {
    out += fmt::format("{:02x}:", off);
    for (std::size_t i = off; i < std::min(off + 16, bytes.size()); ++i) {
      out += fmt::format(" {:02x}", bytes[i]);
    }
    out += '\n';
  }
  return out;
}

// A type-0 config space of `n` bytes: ids, class, status with a capability list at 0x40
// (PCI Express, next 0) when `pcie`, extended capability AER at 0x100 when n > 0x100.
std::vector<std::uint8_t>
config(std::size_t n, std::uint16_t vendor, std::uint16_t device, bool pcie)
{
  std::vector<std::uint8_t> b(n, 0);
  auto put16 = [&](std::size_t o, std::uint16_t v) {
    if (o + 1 < n) {
      b[o] = v & 0xff;
      b[o + 1] = static_cast<std::uint8_t>(v >> 8);
    }
  };
  put16(0, vendor);
  put16(2, device);
  b[0x0b] = 0x02;  // network controller
  if (pcie) {
    put16(0x06, 0x0010);
    b[0x34] = 0x40;
    if (n > 0x41) {
      b[0x40] = 0x10;
      b[0x41] = 0x00;
      b[0x42] = 0x02;  // version 2, endpoint
    }
    if (n > 0x104) {
      b[0x100] = 0x01;
      b[0x101] = 0x00;
      b[0x102] = 0x01;  // AER v1, next 0
    }
  }
  return b;
}

const model::Diagnostic*
find_problem(const std::vector<model::Diagnostic>& ps, const std::string& id, const std::string& bdf = "")
{
  for (const auto& p : ps) {
    if (p.id == id && (bdf.empty() || p.message.rfind(bdf, 0) == 0)) {
      return &p;
    }
  }
  return nullptr;
}

int
count_problems(const std::vector<model::Diagnostic>& ps, const std::string& id)
{
  return static_cast<int>(std::count_if(ps.begin(), ps.end(), [&](const model::Diagnostic& p) { return p.id == id; }));
}

} // namespace

TEST_CASE("lspci text: header ids, class, revision and prog-if from -nn and -n", "[pci][lspci-text]")
{
  const std::string text =
    "00:00.0 Host bridge [0600]: Intel Corporation 4 Series Chipset DRAM Controller [8086:2e30] (rev 03)\n"
    "\tSubsystem: ASUSTeK Computer Inc. Device [1043:836d]\n"
    "\n"
    "00:1f.2 IDE interface [0101]: Intel Corporation NM10/ICH7 Family SATA Controller [IDE mode] [8086:27c0] "
    "(rev 01) (prog-if 8f [Master SecP SecO PriP PriO])\n"
    "\n"
    "01:00.0 0300: 10de:1cb1 (rev a1)\n"
    "\n"
    "04:00.0 VGA compatible controller: NVIDIA Corporation GP107GL [Quadro P1000] (rev a1) (prog-if 00 [VGA "
    "controller])\n";
  const auto t = pci::scan_lspci_text(text, "f");
  REQUIRE(t.devices.size() == 4);
  const auto& a = t.devices[0];
  CHECK(a.vendor_id == 0x8086);
  CHECK(a.device_id == 0x2e30);
  CHECK(a.class_id == 0x0600);
  CHECK(a.revision == 0x03);
  CHECK_FALSE(a.prog_if);
  CHECK(a.class_text == "Host bridge");
  CHECK(a.name_text == "Intel Corporation 4 Series Chipset DRAM Controller");
  CHECK(a.verbose);
  CHECK(a.hex_bytes == 0);
  const auto& b = t.devices[1];
  CHECK(b.device_id == 0x27c0);
  CHECK(b.prog_if == 0x8f);
  CHECK(b.name_text == "Intel Corporation NM10/ICH7 Family SATA Controller [IDE mode]");
  CHECK_FALSE(b.verbose);
  const auto& c = t.devices[2];
  CHECK(c.class_id == 0x0300);
  CHECK(c.vendor_id == 0x10de);
  CHECK(c.device_id == 0x1cb1);
  CHECK(c.revision == 0xa1);
  const auto& d = t.devices[3];
  CHECK_FALSE(d.vendor_id);  // names only: no ids to take
  CHECK_FALSE(d.class_id);
  CHECK(d.prog_if == 0x00);
  CHECK(d.name_text == "NVIDIA Corporation GP107GL [Quadro P1000]");
}

TEST_CASE("lspci text: capability lines, region words, where the hex ends", "[pci][lspci-text]")
{
  const std::string text = "02:00.0 Ethernet controller: X\n"
                           "\tRegion 0: Memory at <unassigned> (64-bit, prefetchable) [size=256M]\n"
                           "\tRegion 2: Memory at <ignored> (32-bit, non-prefetchable)\n"
                           "\tRegion 4: I/O ports at e000 [disabled] [size=32]\n"
                           "\tRegion 5: Memory at 000c0000 (low-1M, non-prefetchable) [virtual] [size=128K]\n"
                           "\t[virtual] Expansion ROM at f0100000 [disabled] [size=2K]\n"
                           "\tCapabilities: [40] Power Management version 3\n"
                           "\t\tFlags: PMEClk- DSI- D1- D2- AuxCurrent=0mA\n"
                           "\tCapabilities: [50] MSI-X: Enable+ Count=5 Masked-\n"
                           "\tCapabilities: [60] <chain looped>\n"
                           "\tCapabilities: [100 v1] Virtual Channel\n"
                           "\tCapabilities: [148 v1] #19\n"
                           "\tCapabilities: [200] Latency Tolerance Reporting\n"
                           "00: 86 80 00 10 00 00 10 00 00 00 00 02 00 00 00 00\n"
                           "10: 00 00 00 00\n"
                           "\n"
                           // Eight spaces for a tab (text through a mail client), and lspci run as a user.
                           "03:00.0 Ethernet controller: Y\n"
                           "        Region 0: Memory at fe000000 (32-bit, non-prefetchable) [size=1M]\n"
                           "        Capabilities: <access denied>\n"
                           "                DevCap: MaxPayload 512 bytes\n"
                           "        Capabilities: [70] Express (v2) Endpoint, MSI 00\n";
  const auto t = pci::scan_lspci_text(text, "f");
  REQUIRE(t.devices.size() == 2);
  const auto& d = t.devices[0];
  REQUIRE(d.regions.size() == 4);
  CHECK(d.regions[0].index == 0);
  CHECK(d.regions[0].unassigned);
  CHECK_FALSE(d.regions[0].address);
  CHECK(d.regions[0].bits == 64);
  CHECK(d.regions[0].prefetchable);
  CHECK(d.regions[0].size == 256ULL << 20);
  CHECK(d.regions[1].ignored);
  CHECK_FALSE(d.regions[1].prefetchable);
  CHECK(d.regions[2].io);
  CHECK(d.regions[2].disabled);
  CHECK(d.regions[2].address == 0xe000);
  CHECK(d.regions[3].mem_type == "low-1M");
  CHECK(d.regions[3].is_virtual);
  REQUIRE(d.rom);
  CHECK(d.rom->is_virtual);
  CHECK(d.rom->disabled);
  CHECK(d.rom->address == 0xf0100000);
  REQUIRE(d.caps.size() == 5);  // the <chain looped> line is not a capability
  CHECK(d.caps[0].offset == 0x40);
  CHECK_FALSE(d.caps[0].extended);
  CHECK(d.caps[0].ids == std::vector<std::uint16_t>{0x01});
  CHECK(d.caps[0].line == 7);
  CHECK(d.caps[1].ids == std::vector<std::uint16_t>{0x11});
  CHECK(d.caps[2].extended);
  CHECK(d.caps[2].version == 1);
  CHECK(d.caps[2].ids == std::vector<std::uint16_t>{0x02, 0x09});
  CHECK(d.caps[3].ids == std::vector<std::uint16_t>{0x19});
  CHECK(d.caps[4].offset == 0x200);
  CHECK_FALSE(d.caps[4].version);  // lspci -v prints no "vN"
  CHECK(d.hex_bytes == 0x14);
  CHECK(d.hex_last_line == 15);
  const auto& e = t.devices[1];
  REQUIRE(e.regions.size() == 1);
  CHECK(e.regions[0].address == 0xfe000000);
  CHECK(e.caps_denied);
  REQUIRE(e.caps.size() == 1);
  CHECK(e.caps[0].ids == std::vector<std::uint16_t>{0x10});
}

TEST_CASE("lspci capability wording -> ids: the table the scanner and the differential test share",
          "[pci][lspci-text]")
{
  using V = std::vector<std::uint16_t>;
  CHECK(pci::lspci_capability_ids("Power Management version 3", false) == V{0x01});
  CHECK(pci::lspci_capability_ids("MSI: Enable+ Count=1/1 Maskable- 64bit+", false) == V{0x05});
  CHECK(pci::lspci_capability_ids("MSI-X: Enable+ Count=5 Masked-", false) == V{0x11});
  CHECK(pci::lspci_capability_ids("Express (v2) Root Port (Slot+), MSI 00", false) == V{0x10});
  CHECK(pci::lspci_capability_ids("Express Legacy Endpoint, MSI 00", false) == V{0x10});
  CHECK(pci::lspci_capability_ids("Vendor Specific Information: Len=0c <?>", false) == V{0x09});
  CHECK(pci::lspci_capability_ids("Vendor Specific Information: ID=0001 Rev=1 Len=024 <?>", true) == V{0x0b});
  CHECK(pci::lspci_capability_ids("Secondary PCI Express", true) == V{0x19});
  CHECK(pci::lspci_capability_ids("Secondary PCI Express", false).empty());
  CHECK(pci::lspci_capability_ids("Physical Resizable BAR", true) == V{0x15});
  CHECK(pci::lspci_capability_ids("Virtual Resizable BAR", true) == V{0x24});
  CHECK(pci::lspci_capability_ids("Root Complex Internal Link <?>", true) == V{0x06});
  CHECK(pci::lspci_capability_ids("Root Complex Link", true) == V{0x05});
  CHECK(pci::lspci_capability_ids("Multi-Function Virtual Channel <?>", true) == V{0x08});
  CHECK(pci::lspci_capability_ids("Virtual Channel", true) == V{0x02, 0x09});
  CHECK(pci::lspci_capability_ids("Capability ID 0x15 [0000]", false) == V{0x15});
  CHECK(pci::lspci_capability_ids("Extended Capability ID 0x2c", true) == V{0x2c});
  CHECK(pci::lspci_capability_ids("#1e", true) == V{0x1e});
  CHECK(pci::lspci_capability_ids("#0d [0000]", false) == V{0x0d});
  CHECK(pci::lspci_capability_ids("Something lspci never printed", false).empty());
  CHECK(pci::lspci_capability_ids("#zz", false).empty());
}

TEST_CASE("lspci dump: a function with text and no hex takes ids, BARs and capabilities from the text",
          "[pci][lspci-text]")
{
  const TempDump f(
    "00:02.0 VGA compatible controller [0300]: Intel Corporation 4 Series Chipset Integrated Graphics "
    "Controller [8086:2e32] (rev 03) (prog-if 00 [VGA controller])\n"
    "\tRegion 0: Memory at fe400000 (64-bit, non-prefetchable) [size=4M]\n"
    "\tRegion 2: Memory at e0000000 (64-bit, prefetchable) [size=256M]\n"
    "\tRegion 4: I/O ports at dc00 [size=8]\n"
    "\tExpansion ROM at <unassigned> [disabled]\n"
    "\tCapabilities: [90] MSI: Enable+ Count=1/1 Maskable- 64bit-\n"
    "\tCapabilities: [d0] Power Management version 2\n"
    "\tCapabilities: [100 v1] Virtual Channel\n"
    "\tKernel driver in use: i915\n"
    "\n"
    "00:03.0 Communication controller: Intel Corporation 4 Series Chipset HECI Controller (rev 03)\n"
    "\tMemory at fe9ff000 (64-bit, non-prefetchable) [size=16]\n"
    "\tCapabilities: [50] Power Management version 3\n");
  source::PciNames names;
  const auto m = pci::load_dump(f.str(), names);
  REQUIRE(m.devices.size() == 2);
  const auto& d = m.devices[0];
  CHECK_FALSE(d.absent);
  CHECK(d.config.empty());
  CHECK(d.vendor_id == 0x8086);
  CHECK(d.device_id == 0x2e32);
  CHECK(d.class_code == 0x030000);
  CHECK(d.revision == 0x03);
  CHECK(d.ids_from_text);
  CHECK(d.driver == "i915");
  CHECK_FALSE(d.header_type);  // the text does not say
  REQUIRE(d.bars.size() == 3);
  CHECK(d.bars[0].index == 0);
  CHECK(d.bars[0].bits == 64);
  CHECK_FALSE(d.bars[0].prefetchable);
  CHECK(d.bars[0].cpu_address == 0xfe400000);
  CHECK_FALSE(d.bars[0].bus_address);  // the text gives CPU addresses
  CHECK(d.bars[0].size == 4ULL << 20);
  CHECK(d.bars[0].from_text);
  CHECK(d.bars[1].prefetchable);
  CHECK(d.bars[2].kind == pci::BarKind::io);
  CHECK(d.bars[2].index == 4);
  REQUIRE(d.rom);
  CHECK(d.rom->unassigned);
  CHECK_FALSE(d.rom->enabled);
  CHECK(d.rom->from_text);
  REQUIRE(d.capabilities.entries.size() == 2);
  CHECK(d.capabilities.entries[0].id == 0x05);
  CHECK(d.capabilities.entries[0].from_text);
  CHECK(d.capabilities.entries[0].id_known);
  CHECK(d.capabilities.entries[1].offset == 0xd0);
  REQUIRE(d.extended_capabilities.entries.size() == 1);
  CHECK_FALSE(d.extended_capabilities.entries[0].id_known);  // 0x02 or 0x09
  CHECK(d.extended_capabilities.entries[0].version == 1);
  CHECK(d.problems.empty());
  // lspci -v (no "Region N:"), no ids: names from the text, BARs not guessed.
  const auto& e = m.devices[1];
  CHECK_FALSE(e.vendor_id);
  CHECK_FALSE(e.ids_from_text);
  CHECK(e.name == "Intel Corporation 4 Series Chipset HECI Controller");
  CHECK(e.class_name == "Communication controller");
  CHECK(e.bars.empty());
  REQUIRE(e.problems.size() == 1);
  CHECK(e.problems[0].id == "lspci-text-region");
  CHECK(e.problems[0].line == 12);
  CHECK(e.capabilities.entries.size() == 1);
  // Nothing here was cut: text-only functions are neither short nor an lspci -x dump.
  CHECK_FALSE(m.config_truncated);
  CHECK(m.problems.empty());

  // Without the text (lspci -F semantics) the same file holds nothing of them.
  const auto bare = pci::load_dump(f.str(), names, false);
  CHECK_FALSE(bare.devices[0].vendor_id);
  CHECK(bare.devices[0].bars.empty());
  CHECK(bare.devices[0].capabilities.entries.empty());
}

TEST_CASE("lspci dump: the hex wins, the text fills only what it lacks, a difference is a warning",
          "[pci][lspci-text]")
{
  // 256 bytes: a complete standard list (PM at 0x40); the text says MSI there and lists one more.
  auto b = config(256, 0x8086, 0x10d3, false);
  b[0x06] = 0x10;
  b[0x34] = 0x40;
  b[0x40] = 0x01;
  const TempDump f("00:19.0 Ethernet controller [0200]: Intel Corporation 82574L [8086:10d4]\n"
                   "\tCapabilities: [40] MSI: Enable- Count=1/1\n"
                   "\tCapabilities: [50] MSI-X: Enable+ Count=5 Masked-\n"
                   + hex_lines(b));
  source::PciNames names;
  const auto m = pci::load_dump(f.str(), names);
  REQUIRE(m.devices.size() == 1);
  const auto& d = m.devices[0];
  CHECK(d.device_id == 0x10d3);  // hex
  CHECK_FALSE(d.ids_from_text);
  REQUIRE(d.capabilities.entries.size() == 1);
  CHECK(d.capabilities.entries[0].id == 0x01);
  CHECK_FALSE(d.capabilities.entries[0].from_text);
  CHECK(count_problems(d.problems, "lspci-text-disagrees") == 3);  // ids, [40] id, [50] extra
  const auto* p = find_problem(d.problems, "lspci-text-disagrees");
  REQUIRE(p);
  CHECK(p->file == f.str());
  CHECK(p->line == 1);
  CHECK(p->message.find("10d3") != std::string::npos);
  CHECK(p->message.find("10d4") != std::string::npos);
  bool saw_cap = false;
  bool saw_extra = false;
  for (const auto& q : d.problems) {
    saw_cap = saw_cap || (q.line == 2 && q.message.find("MSI") != std::string::npos);
    saw_extra = saw_extra || (q.line == 3 && q.message.find("[50]") != std::string::npos);
  }
  CHECK(saw_cap);
  CHECK(saw_extra);
}

TEST_CASE("lspci dump: the seed's lspci -v -x (64 bytes) lists its capabilities from the text",
          "[pci][lspci-text]")
{
  source::PciNames names;
  const auto m = pci::load_dump(fixture("seed-quadro-p1000/lspci-v-x.txt"), names);
  REQUIRE(m.devices.size() == 1);
  const auto& d = m.devices[0];
  CHECK(d.config.size() == 64);
  CHECK(d.capabilities.access_denied);  // the hex's own walk: 0x60 was not dumped
  std::vector<std::uint16_t> offs;
  for (const auto& c : d.capabilities.entries) {
    CHECK(c.from_text);
    offs.push_back(c.offset);
  }
  CHECK(offs == std::vector<std::uint16_t>{0x60, 0x68, 0x78});
  CHECK(d.capabilities.entries[2].id == 0x10);
  REQUIRE(d.extended_capabilities.entries.size() == 5);
  CHECK(d.extended_capabilities.entries[0].offset == 0x100);
  CHECK_FALSE(d.extended_capabilities.entries[0].version_known);  // lspci -v
  CHECK(d.extended_capabilities.entries[3].id == 0x01);           // [420] AER
  CHECK(d.extended_capabilities.entries[4].id == 0x0b);           // [600] vendor specific
  CHECK(d.problems.empty());
  CHECK(m.config_truncated);  // one -x dump: the notice, no warning
  CHECK(m.problems.empty());
}

TEST_CASE("lspci dump: a function cut short of what its header or neighbours imply is a warning",
          "[pci][lspci-text]")
{
  source::PciNames names;
  auto full = config(4096, 0x10de, 0x228b, true);
  SECTION("0x800 of 4096, neighbour 4096")
  {
    auto cut = full;
    cut.resize(0x800);
    const std::string text = "01:00.0 Audio device: A\n" + hex_lines(cut) + "\n01:00.1 Audio device: B\n" + hex_lines(full);
    const TempDump f(text);
    const auto m = pci::load_dump(f.str(), names);
    REQUIRE(count_problems(m.problems, "lspci-dump-short") == 1);
    const auto* p = find_problem(m.problems, "lspci-dump-short", "0000:01:00.0");
    REQUIRE(p);
    CHECK(p->severity == model::Severity::warning);
    CHECK(p->file == f.str());
    CHECK(p->line == 1 + 0x80);  // its last hex line, 7f0:
    CHECK(p->message.find("0x800") != std::string::npos);
    CHECK(p->message.find("4096") != std::string::npos);
    CHECK_FALSE(m.config_truncated);
  }
  SECTION("a PCIe function at 0x1b0, alone")
  {
    auto cut = full;
    cut.resize(0x1b0);
    const TempDump f("01:00.0 Audio device: A\n" + hex_lines(cut));
    const auto m = pci::load_dump(f.str(), names);
    const auto* p = find_problem(m.problems, "lspci-dump-short");
    REQUIRE(p);
    CHECK(p->message.find("PCI Express") != std::string::npos);
  }
  SECTION("a PCIe function at exactly 256 among 4096-byte functions")
  {
    auto cut = full;
    cut.resize(256);
    const TempDump f("01:00.0 Audio device: A\n" + hex_lines(cut) + "\n01:00.1 Audio device: B\n" + hex_lines(full));
    const auto m = pci::load_dump(f.str(), names);
    CHECK(count_problems(m.problems, "lspci-dump-short") == 1);
  }
  SECTION("0xc0 of a 256-byte dump: its capability list runs past the cut")
  {
    auto b = config(256, 0x8086, 0x15a3, false);
    b[0x06] = 0x10;
    b[0x34] = 0xc8;
    b[0xc8] = 0x01;
    b.resize(0xc0);
    const TempDump f("00:16.0 X\n" + hex_lines(config(256, 0x8086, 0x9cba, false)) + "\n00:19.0 Y\n" + hex_lines(b));
    const auto m = pci::load_dump(f.str(), names);
    REQUIRE(m.devices.size() == 2);
    CHECK(m.devices[1].capabilities.access_denied);
    const auto* p = find_problem(m.problems, "lspci-dump-short", "0000:00:19.0");
    REQUIRE(p);
    CHECK(p->line == 1 + 16 + 1 + 1 + 12);  // header, 16 lines, blank, header, 12 lines
    CHECK(p->message.find("capability list runs past it") != std::string::npos);
    CHECK_FALSE(find_problem(m.problems, "lspci-dump-short", "0000:00:16.0"));
    CHECK_FALSE(m.config_truncated);  // not an lspci -x dump: no "(an lspci -x dump)" notice
  }
  SECTION("64 bytes among 256-byte functions")
  {
    const TempDump f("00:16.0 X\n" + hex_lines(config(256, 0x8086, 0x9cba, false)) + "\n00:19.0 Y\n"
                     + hex_lines(config(64, 0x8086, 0x15a3, false)));
    const auto m = pci::load_dump(f.str(), names);
    CHECK(count_problems(m.problems, "lspci-dump-short") == 1);
    CHECK_FALSE(m.config_truncated);
  }
  SECTION("lspci -x: 64 bytes for every function is deliberate")
  {
    const TempDump f("00:16.0 X\n" + hex_lines(config(64, 0x8086, 0x9cba, true)) + "\n00:19.0 Y\n"
                     + hex_lines(config(64, 0x8086, 0x15a3, true)));
    const auto m = pci::load_dump(f.str(), names);
    CHECK(m.problems.empty());
    CHECK(m.config_truncated);
  }
  SECTION("lspci -xxx and -xxxx: 256 and 4096 side by side is normal")
  {
    const TempDump f("00:16.0 X\n" + hex_lines(config(256, 0x8086, 0x9cba, false)) + "\n00:19.0 Y\n"
                     + hex_lines(full));
    const auto m = pci::load_dump(f.str(), names);
    CHECK(m.problems.empty());
    CHECK_FALSE(m.config_truncated);
  }
  SECTION("a cut function whose text names the capabilities past the cut")
  {
    auto cut = full;
    cut[0x103] = 0xbb;  // AER's next pointer: 0xbb0, past the cut
    cut.resize(0x200);
    const TempDump f("01:00.0 Audio device: A\n"
                     "\tCapabilities: [40] Express (v2) Endpoint, MSI 00\n"
                     "\tCapabilities: [100 v1] Advanced Error Reporting\n"
                     "\tCapabilities: [bb0 v1] Physical Resizable BAR\n"
                     + hex_lines(cut) + "\n01:00.1 Audio device: B\n" + hex_lines(full));
    const auto m = pci::load_dump(f.str(), names);
    const auto& d = m.devices[0];
    REQUIRE(d.extended_capabilities.entries.size() == 2);
    CHECK_FALSE(d.extended_capabilities.entries[0].from_text);  // [100] from the hex
    CHECK(d.extended_capabilities.entries[1].from_text);        // [bb0] from the text
    CHECK(d.extended_capabilities.entries[1].id == 0x15);
    const auto* p = find_problem(m.problems, "lspci-dump-short");
    REQUIRE(p);
    CHECK(p->message.find("[bb0]") != std::string::npos);
    CHECK(p->message.find("Resizable BAR") != std::string::npos);
  }
}

TEST_CASE("lspci dump: real corpus files with text and no hex, and text past a 256-byte hex",
          "[pci][lspci-text][corpus]")
{
  const fs::path corpus = test::corpus_dir("lspci");
  source::PciNames names;
  // ASUS P5G41T-M LX: ten functions printed by lspci -nnvvv without hex.
  const auto g41 = pci::load_dump((corpus / "desktop-intel-g41-asus-p5g41t-m-lx.txt").string(), names);
  REQUIRE(g41.devices.size() == 15);
  int text_only = 0;
  for (const auto& d : g41.devices) {
    INFO(d.bdf);
    CHECK_FALSE(d.absent);
    CHECK(d.vendor_id);
    CHECK(d.vendor_id != 0xffff);
    if (d.config.empty()) {
      ++text_only;
      CHECK(d.ids_from_text);
      CHECK(d.problems.empty());
    }
  }
  CHECK(text_only == 10);
  const auto* hda = g41.find("0000:00:1b.0");
  REQUIRE(hda);
  CHECK(hda->device_id == 0x27d8);
  REQUIRE(hda->bars.size() == 1);
  CHECK(hda->bars[0].cpu_address == 0xfeaf8000);
  CHECK(hda->bars[0].size == 16U << 10);
  REQUIRE(hda->extended_capabilities.entries.size() == 2);
  CHECK(hda->extended_capabilities.entries[1].id == 0x05);  // [130 v1] Root Complex Link
  CHECK(g41.problems.empty());
  CHECK_FALSE(g41.config_truncated);

  // ARM N1SDP: 256-byte hex, the text lists the extended capabilities lspci saw live.
  const auto n1 = pci::load_dump((corpus / "arm64-arm-neoverse-n1sdp-plx8749.txt").string(), names);
  int ext_from_text = 0;
  for (const auto& d : n1.devices) {
    CHECK(d.config.size() == 256);
    for (const auto& c : d.extended_capabilities.entries) {
      CHECK(c.from_text);
      ext_from_text += 1;
    }
    CHECK(d.problems.empty());
  }
  CHECK(ext_from_text > 20);
  CHECK(n1.problems.empty());

  // Every corpus dump: hex and text agree (they came from one lspci run), nothing is cut.
  for (const auto& e : fs::directory_iterator(corpus)) {
    INFO(e.path().filename().string());
    const auto m = pci::load_dump(e.path().string(), names);
    CHECK(count_problems(m.problems, "lspci-dump-short") == 0);
    for (const auto& d : m.devices) {
      INFO(d.bdf);
      for (const auto& p : d.problems) {
        // The one real difference: a powered-off GPU audio function (all ones) whose header
        // still carried the ids lspci took from sysfs.
        if (p.id == "lspci-text-disagrees") {
          CHECK(d.absent);
        }
      }
    }
  }
}
