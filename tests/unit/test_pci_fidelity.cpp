// Decode fidelity (issue 16): functions whose IDs read ffff (SR-IOV VFs) are decoded, VFs are
// proven by their physfn link or their PF's SR-IOV capability, the kernel's rows decide which
// bridge windows exist, and IORESOURCE_UNSET keeps a stale register address out of every view.
#include <catch2/catch.hpp>

#include "support/config_builder.hpp"
#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

#include <memmap/pci/decode.hpp>
#include <memmap/pci/loader.hpp>
#include <memmap/pci/sysfs_resource.hpp>
#include <memmap/render/pci.hpp>
#include <memmap/source/pci_names.hpp>
#include <memmap/source/sysroot.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

using namespace memmap;
using pci::ConfigSpace;
using test::Cfg;

namespace {

// An X710-like VF header: IDs ffff, class 020000, a capability list with PCIe at 0x70.
Cfg
vf_header()
{
  Cfg c(4096);
  c.u16(0, 0xffff).u16(2, 0xffff).u16(4, 0x0404).u16(6, 0x0010).u8(8, 0x02).u8(0xb, 0x02);
  c.u8(0x34, 0x70).u8(0x70, 0x10).u8(0x71, 0x00).u16(0x72, 0x0002);
  return c;
}

// A PF with SR-IOV at 0x160: VF Enable + VF MSE, NumVFs, offset, stride, VF device 154c and a
// 64-bit prefetchable VF BAR0 at 0x200022810000.
Cfg
pf_header(std::uint16_t num_vfs, std::uint16_t offset, std::uint16_t stride, std::uint16_t total = 64)
{
  Cfg c(4096);
  c.u16(0, 0x8086).u16(2, 0x1572).u16(4, 0x0406).u16(6, 0x0010).u8(0xb, 0x02).u8(0xe, 0x80);
  c.u8(0x34, 0x70).u8(0x70, 0x10).u16(0x72, 0x0002);
  c.u32(0x100, 0x0001 | 1U << 16 | 0x160U << 20);  // AER -> SR-IOV
  const std::size_t s = 0x160;
  c.u32(s, 0x0010 | 1U << 16).u16(s + 8, 0x9).u16(s + 0xc, total).u16(s + 0xe, total)
    .u16(s + 0x10, num_vfs).u16(s + 0x14, offset).u16(s + 0x16, stride).u16(s + 0x1a, 0x154c)
    .u32(s + 0x24, 0x2281000c).u32(s + 0x28, 0x2000);
  return c;
}

pci::Device
device(std::uint8_t bus, std::uint8_t dev, std::uint8_t fn, const Cfg& c)
{
  pci::Device d;
  d.bus = bus;
  d.dev = dev;
  d.func = fn;
  d.bdf = fmt::format("0000:{:02x}:{:02x}.{}", bus, dev, fn);
  d.config = c.done();
  pci::decode_device(d, "test");
  return d;
}

using test::fixture;

std::string
resource_with_bridge_rows(const std::string& io, const std::string& mem, const std::string& pref)
{
  std::string s;
  for (int i = 0; i < 13; ++i) {
    s += "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
  }
  return s + io + "\n" + mem + "\n" + pref + "\n0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
}

const char* k_zero_row = "0x0000000000000000 0x0000000000000000 0x0000000000000000";

} // namespace

TEST_CASE("a VF header (IDs ffff, the rest real) is decoded, not absent", "[pci][sriov]")
{
  const auto d = device(9, 2, 0, vf_header());
  CHECK_FALSE(d.absent);
  CHECK(d.problems.empty());
  CHECK_FALSE(d.vendor_id);  // ffff is not an ID: sysfs or the PF gives it
  CHECK_FALSE(d.device_id);
  CHECK(d.header_type == 0);
  CHECK(d.class_code == 0x020000U);
  REQUIRE(d.capabilities.entries.size() == 1);
  CHECK(d.pcie);
  CHECK(d.physfn.empty());  // nothing proves it a VF yet

  // Only a header that reads all ones is absent: all 64 bytes, or every byte that was read.
  pci::Device gone;
  gone.bdf = "0000:2f:00.0";
  gone.config = ConfigSpace::from_bytes(std::vector<std::uint8_t>(4, 0xff));
  pci::decode_device(gone, "test");
  CHECK(gone.absent);
  auto almost = Cfg(64);
  std::fill(almost.b.begin(), almost.b.end(), 0xff);
  almost.u8(0x3f, 0x00);
  const auto a = device(1, 0, 0, almost);
  CHECK_FALSE(a.absent);
}

TEST_CASE("VFs proven by the PF's SR-IOV capability: RID, IDs, BAR slices", "[pci][sriov]")
{
  pci::PciModel m;
  m.origin = pci::Origin::dump;
  auto pf = device(9, 0, 1, pf_header(3, 0x10, 2));
  m.devices.push_back(pf);
  // VF i at devfn 0x01 + 0x10 + 2i: 09:02.1, 09:02.3, 09:02.5. 09:02.3 has a real vendor (not a
  // VF's header); 09:02.7 would be VF 3, past NumVFs.
  m.devices.push_back(device(9, 2, 1, vf_header()));
  Cfg real = vf_header();
  real.u16(0, 0x8086).u16(2, 0x1234);
  m.devices.push_back(device(9, 2, 3, real));
  m.devices.push_back(device(9, 2, 5, vf_header()));
  m.devices.push_back(device(9, 2, 7, vf_header()));
  // Per-VF size known (as sysfs would give it) on the PF's VF BAR0.
  m.devices[0].sriov->vf_bars.at(0).size = 0x10000;
  pci::link_topology(m);
  pci::link_topology(m);  // idempotent: no second set of BARs

  const auto* v0 = m.find("0000:09:02.1");
  REQUIRE(v0);
  CHECK(v0->physfn == "0000:09:00.1");
  CHECK(v0->physfn_from == pci::Device::PhysfnFrom::pf_capability);
  CHECK(v0->vf_index == 0);
  CHECK(v0->ids_from_pf);
  CHECK(v0->vendor_id == 0x8086);
  CHECK(v0->device_id == 0x154c);
  REQUIRE(v0->bars.size() == 1);
  CHECK(v0->bars[0].from_pf);
  CHECK(v0->bars[0].is_virtual);
  CHECK(v0->bars[0].bits == 64);
  CHECK(v0->bars[0].prefetchable);
  CHECK(v0->bars[0].bus_address == 0x200022810000ULL);
  CHECK(v0->bars[0].size == 0x10000U);
  CHECK(v0->bars[0].decode_enabled == true);  // VF MSE

  const auto* v2 = m.find("0000:09:02.5");
  REQUIRE(v2);
  CHECK(v2->vf_index == 2);
  REQUIRE(v2->bars.size() == 1);
  CHECK(v2->bars[0].bus_address == 0x200022810000ULL + 2 * 0x10000);

  CHECK(m.find("0000:09:02.3")->physfn.empty());  // its Vendor ID register is real
  CHECK(m.find("0000:09:02.7")->physfn.empty());  // past NumVFs
  CHECK(m.find("0000:09:02.7")->bars.empty());
}

TEST_CASE("VF placement: bus carry, ARI-sized offsets, unknown per-VF size, malformed caps",
          "[pci][sriov][hostile]")
{
  // PF 05:00.0 with First VF Offset 0x100 and stride 1 (an ARI hierarchy lets VFs pass
  // device 31): VF 0 at 06:00.0, VF 1 at 06:00.1 (pci_iov_virtfn_bus carries into the bus).
  pci::PciModel m;
  m.devices.push_back(device(5, 0, 0, pf_header(2, 0x100, 1)));
  m.devices.push_back(device(6, 0, 0, vf_header()));
  m.devices.push_back(device(6, 0, 1, vf_header()));
  pci::identify_vfs(m);
  const auto* v1 = m.find("0000:06:00.1");
  REQUIRE(v1);
  CHECK(v1->physfn == "0000:05:00.0");
  CHECK(v1->vf_index == 1);
  // No per-VF size (a dump): VF 0's slice starts at the aperture, VF 1's is unknown.
  REQUIRE(m.find("0000:06:00.0")->bars.size() == 1);
  CHECK(m.find("0000:06:00.0")->bars[0].bus_address == 0x200022810000ULL);
  REQUIRE(v1->bars.size() == 1);
  CHECK_FALSE(v1->bars[0].bus_address);
  CHECK_FALSE(v1->bars[0].unassigned);  // assigned somewhere, not known where

  // NumVFs above TotalVFs, or stride 0 with several VFs: the kernel refuses; nothing placed.
  for (const auto& bad : {pf_header(4, 0x10, 2, 2), pf_header(2, 0x10, 0), pf_header(1, 0, 1)}) {
    pci::PciModel b;
    b.devices.push_back(device(9, 0, 0, bad));
    b.devices.push_back(device(9, 2, 0, vf_header()));
    b.devices.push_back(device(9, 0, 1, vf_header()));
    pci::identify_vfs(b);
    pci::identify_vfs(b);  // said once
    CHECK(b.devices[1].physfn.empty());
    CHECK(b.devices[2].physfn.empty());
    REQUIRE(b.problems.size() == 1);
    CHECK(b.problems[0].id == "pci-sriov-malformed");
  }

  // A hostile NumVFs of 65535 (stride 1 from 00:00.1) costs the functions that are there:
  // every ffff header up to bus ff is a VF, numbered by its routing ID.
  pci::PciModel h;
  h.devices.push_back(device(0, 0, 0, pf_header(0xffff, 1, 1, 0xffff)));
  h.devices.push_back(device(0, 0, 1, vf_header()));
  h.devices.push_back(device(0xff, 0x1f, 7, vf_header()));
  pci::identify_vfs(h);
  CHECK(h.devices[1].vf_index == 0);
  CHECK(h.devices[2].vf_index == 0xffff - 1);
  CHECK(h.problems.empty());
}

TEST_CASE("bridge windows: the kernel's row decides; registers stay beside it", "[pci][windows]")
{
  // Registers: I/O 0/0 (no I/O decoder, or a window at 0), memory f0000000-f00fffff,
  // prefetchable fe000000-fe1fffff (32-bit).
  Cfg c(256);
  c.u8(0x0e, 0x01).u16(0x20, 0xf000).u16(0x22, 0xf000).u16(0x24, 0xfe00).u16(0x26, 0xfe10);
  std::vector<pci::DecodeIssue> problems;

  // A dump: registers only. The I/O window is lspci -F's, marked uncertain.
  const auto regs = pci::decode_bridge_windows(c.done(), nullptr, problems);
  REQUIRE(regs.size() == 3);
  CHECK(regs[0].enabled);
  CHECK(regs[0].registers_zero);
  CHECK(regs[0].uncertain());
  CHECK(regs[0].kernel == pci::KernelWindow::unknown);
  CHECK_FALSE(regs[1].uncertain());
  CHECK(regs[2].enabled);

  // sysfs: no I/O row (the kernel probed: no decoder), memory assigned, prefetchable UNSET.
  const auto rows = pci::parse_sysfs_resource(
    resource_with_bridge_rows(k_zero_row, "0x00000000f0000000 0x00000000f00fffff 0x0000000000200200",
                              "0x0000000000000000 0x00000000001fffff 0x0000000020102201"),
    "resource");
  REQUIRE(rows.bridge);
  const auto w = pci::decode_bridge_windows(c.done(), &rows, problems);
  REQUIRE(w.size() == 3);
  CHECK(w[0].kernel == pci::KernelWindow::none);
  CHECK_FALSE(w[0].enabled);
  CHECK(w[0].registers_enabled);  // what the registers say, kept beside
  CHECK_FALSE(w[0].uncertain());
  CHECK(w[1].kernel == pci::KernelWindow::assigned);
  CHECK(w[1].enabled);
  CHECK(w[1].cpu_start == 0xf0000000U);
  CHECK(w[2].kernel == pci::KernelWindow::unset);
  CHECK_FALSE(w[2].enabled);
  CHECK_FALSE(w[2].cpu_start);
  CHECK(w[2].kernel_size == 0x200000U);
  CHECK(w[2].bus_start == 0xfe000000U);  // the stale register, never an address
  CHECK(problems.empty());
}

TEST_CASE("IORESOURCE_UNSET: BARs, ROM and VF BARs keep the register only as such", "[pci][windows]")
{
  Cfg c(256);
  c.u16(0, 0x10de).u16(2, 0x1cb1).u16(4, 0x0006).u32(0x10, 0x1000000c).u32(0x14, 0x2000)
    .u32(0x30, 0xfe000000);
  std::string res = "0x0000000000000000 0x000000000fffffff 0x000000002014220c\n";
  for (int i = 1; i < 6; ++i) {
    res += std::string(k_zero_row) + "\n";
  }
  res += "0x0000000000000000 0x000000000007ffff 0x0000000020046200\n";
  const auto rows = pci::parse_sysfs_resource(res, "resource");
  const auto bars = pci::decode_bars(c.done(), 6, 0x0006, &rows);
  REQUIRE(bars.size() == 1);
  CHECK_FALSE(bars[0].bus_address);
  CHECK_FALSE(bars[0].cpu_address);
  CHECK(bars[0].register_address == 0x200010000000ULL);
  CHECK(bars[0].unassigned);  // the kernel's word, not lspci's "<ignored>"
  CHECK(bars[0].size == 0x10000000U);
  const auto rom = pci::decode_rom(c.done(), 0x30, &rows);
  REQUIRE(rom);
  CHECK_FALSE(rom->bus_address);
  CHECK(rom->register_address == 0xfe000000U);

  // A BAR behind an unset prefetchable window is not inside it, whatever the stale
  // registers say; a dump's all-zero I/O window proves nothing either way.
  pci::PciModel m;
  pci::Device br;
  br.bdf = "0000:00:03.0";
  br.header_type = 1;
  br.buses = pci::BusRange{0, 8, 8};
  pci::BridgeWindow pref;
  pref.kind = pci::WindowKind::prefetchable;
  pref.bus_start = 0xfe000000;
  pref.bus_end = 0xfe1fffff;
  pref.registers_enabled = true;
  pref.kernel = pci::KernelWindow::unset;
  pci::BridgeWindow io;
  io.kind = pci::WindowKind::io;
  io.bus_end = 0xfff;
  io.enabled = io.registers_enabled = io.registers_zero = true;
  br.windows = {pref, io};
  pci::Device ep;
  ep.bdf = "0000:08:00.0";
  ep.bus = 8;
  pci::Bar b;
  b.prefetchable = true;
  b.cpu_address = b.bus_address = 0xfe000000;
  b.size = 0x100000;
  pci::Bar iob;
  iob.index = 1;
  iob.kind = pci::BarKind::io;
  iob.bus_address = 0x100;
  iob.size = 0x80;
  ep.bars = {b, iob};
  m.devices = {br, ep};
  pci::link_topology(m);
  CHECK(m.devices[1].bars[0].inside_parent_window == false);
  CHECK_FALSE(m.devices[1].bars[1].inside_parent_window);
}

TEST_CASE("generated sysroot without physfn links and its lspci -xxxx dump", "[pci][sriov][windows]")
{
  source::PciNames names;
  const auto sys = pci::load_sysfs(source::SysRoot(fixture("sysroot-gen-vfs-windows")), names);
  const auto dump = pci::load_dump(fixture("sysroot-gen-vfs-windows/lspci-xxxx.txt"), names);
  REQUIRE(sys.devices.size() == 24);
  REQUIRE(dump.devices.size() == 24);
  for (const char* bdf : {"0000:09:02.0", "0000:09:02.1", "0000:09:02.2", "0000:09:02.3"}) {
    INFO(bdf);
    const auto* s = sys.find(bdf);
    const auto* d = dump.find(bdf);
    REQUIRE((s && d));
    CHECK_FALSE(s->absent);
    CHECK_FALSE(d->absent);
    // 09:02.0/.2 are VFs of 09:00.0 with links; 09:02.1/.3 of 09:00.1 without.
    const bool linked = (s->func % 2) == 0;
    CHECK(s->physfn == (linked ? "0000:09:00.0" : "0000:09:00.1"));
    CHECK(s->physfn_from == (linked ? pci::Device::PhysfnFrom::link : pci::Device::PhysfnFrom::pf_capability));
    CHECK(d->physfn == s->physfn);
    CHECK(d->physfn_from == pci::Device::PhysfnFrom::pf_capability);
    CHECK(s->vf_index == s->func / 2);
    CHECK(d->vf_index == s->vf_index);
    CHECK(s->vendor_id == 0x8086);
    CHECK(s->device_id == 0x154c);
    CHECK_FALSE(s->ids_from_pf);  // sysfs gave them
    CHECK(d->ids_from_pf);
    CHECK(d->vendor_id == s->vendor_id);
    CHECK(d->device_id == s->device_id);
    CHECK(d->name == s->name);
    // BARs: the sysfs rows (virtual) in sysfs; in the dump VF 0's slices start at the PF's
    // VF BARs, the others' addresses need the per-VF size a dump does not have.
    REQUIRE(s->bars.size() == 2);
    REQUIRE(d->bars.size() == 2);
    for (std::size_t k = 0; k < 2; ++k) {
      CHECK(s->bars[k].is_virtual);
      CHECK_FALSE(s->bars[k].from_pf);
      CHECK(d->bars[k].from_pf);
      CHECK(d->bars[k].index == s->bars[k].index);
      if (s->vf_index == 0) {
        CHECK(d->bars[k].bus_address == s->bars[k].cpu_address);  // no host-bridge offset
      } else {
        CHECK_FALSE(d->bars[k].bus_address);
      }
    }
  }
  // Bridges without an I/O, a prefetchable, or either decoder: the kernel has no such window.
  for (const auto& [bdf, io, pref] : std::vector<std::tuple<const char*, bool, bool>>{
         {"0000:02:01.0", true, false}, {"0000:02:02.0", false, true}, {"0000:00:02.0", true, true}}) {
    INFO(bdf);
    const auto* s = sys.find(bdf);
    const auto* d = dump.find(bdf);
    REQUIRE((s && d && s->windows.size() == 3 && d->windows.size() == 3));
    CHECK_FALSE(s->windows[0].enabled);
    CHECK_FALSE(s->windows[2].enabled);
    CHECK(s->windows[0].registers_zero == io);
    CHECK(s->windows[2].registers_zero == pref);
    CHECK(s->windows[0].kernel == pci::KernelWindow::none);
    CHECK(s->windows[2].kernel == pci::KernelWindow::none);
    // The dump keeps lspci -F's decode: 0/0 is a window at 0, marked uncertain.
    CHECK(d->windows[0].enabled == io);
    CHECK(d->windows[0].uncertain() == io);
    CHECK(d->windows[2].uncertain() == pref);
  }
  // The unassigned prefetchable window of 00:03.0 and the GPU BARs behind it.
  const auto* rp = sys.find("0000:00:03.0");
  REQUIRE(rp);
  CHECK(rp->windows.at(2).kernel == pci::KernelWindow::unset);
  CHECK_FALSE(rp->windows.at(2).enabled);
  const auto* gpu = sys.find("0000:08:00.0");
  REQUIRE(gpu);
  for (const auto& b : gpu->bars) {
    if (b.prefetchable) {
      CHECK_FALSE(b.bus_address);
      CHECK_FALSE(b.cpu_address);
      CHECK(b.register_address);
      CHECK(b.unassigned);
    }
  }

  // Every view: bar text and JSON, tree text and JSON never show the stale addresses as live.
  render::Style style;
  std::ostringstream text;
  render::render_bar_text(sys, {rp, gpu}, {}, style, text);
  CHECK(text.str().find("pref  -") != std::string::npos);
  CHECK(text.str().find("unassigned: the kernel could not give it an address (register says "
                        "200006000000-200021ffffff)")
        != std::string::npos);
  CHECK(text.str().find("register says 200010000000") != std::string::npos);
  const auto j = render::bar_to_json(sys, {rp, gpu}, {});
  const auto& wj = j["devices"][0]["bridge_windows"];
  REQUIRE(wj.size() == 3);
  CHECK(wj[2]["state"] == "unassigned");
  CHECK(wj[2]["start"].is_null());
  CHECK(wj[2]["bus_start"].is_null());
  CHECK(wj[2]["size"] == 0x1c000000U);
  CHECK(wj[2]["register_start"] == "0x200006000000");
  CHECK(j["devices"][1]["bars"][1]["bus_address"].is_null());
  CHECK(j["devices"][1]["bars"][1]["register_address"] == "0x200010000000");
  std::ostringstream tree;
  render::render_tree_text(sys, style, tree);
  CHECK(tree.str().find("window pref unassigned") != std::string::npos);
  CHECK(tree.str().find("200006000000-200021ffffff  ") == std::string::npos);
  CHECK(tree.str().find("window io   0000") == std::string::npos);  // no phantom windows
}

TEST_CASE("a bridge whose config was not read keeps its children (secondary_bus_number)",
          "[pci][topology]")
{
  // The generated sysroot's root port 00:04.0 asleep (D3cold): its bus registers are not read.
  namespace fs = std::filesystem;
  const test::TempDir dir("asleep");
  const fs::path tmp = dir.path / "root";
  fs::copy(fixture("sysroot-gen-vfs-windows"), tmp,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  const fs::path rp = fs::canonical(tmp / "sys/bus/pci/devices/0000:00:04.0");
  {
    std::ofstream(rp / "power_state") << "D3cold\n";
  }
  source::PciNames names;
  const auto m = pci::load_sysfs(source::SysRoot(tmp.string()), names);
  const auto* bridge = m.find("0000:00:04.0");
  REQUIRE(bridge);
  CHECK(bridge->asleep);
  CHECK(bridge->config.empty());
  REQUIRE(bridge->buses);
  CHECK(bridge->buses->secondary == 9);
  const auto* pf = m.find("0000:09:00.0");
  REQUIRE(pf);
  CHECK(pf->parent_bdf == "0000:00:04.0");
  // Its windows come from the kernel's rows alone: no bus range, I/O width unknown.
  for (const auto& w : bridge->windows) {
    CHECK_FALSE(w.registers_read);
    CHECK_FALSE(w.bus_range());
    if (w.kind == pci::WindowKind::io) {
      CHECK(w.bits == 0);
    }
  }
}
