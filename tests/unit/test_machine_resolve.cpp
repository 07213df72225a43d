// machine::resolve: an address is looked up in its own space only, bus addresses are
// translated to CPU addresses where both are known, and nothing is assumed.
#include <catch2/catch.hpp>

#include <memmap/iommu/groups.hpp>
#include <memmap/machine/resolve.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/source/resource_tree.hpp>

using namespace memmap;
using machine::Space;

namespace {

pci::PciModel
sample_model()
{
  pci::PciModel m;
  pci::Device d;
  d.bdf = "0000:01:00.0";
  d.name = "NIC";
  d.driver = "e1000e";
  pci::Bar mem;
  mem.index = 0;
  mem.bus_address = 0x2000;       // a memory BAR whose bus address equals a port number
  mem.cpu_address = 0x80002000;   // host-bridge offset 0x80000000
  mem.size = 0x1000;
  pci::Bar io;
  io.index = 2;
  io.kind = pci::BarKind::io;
  io.bus_address = 0x2000;
  io.cpu_address = 0x2000;
  io.size = 0x20;
  d.bars = {mem, io};
  pci::Sriov s;
  pci::Bar vf;
  vf.index = 0;
  vf.bus_address = 0x90000000;
  vf.cpu_address = 0x90000000;
  vf.size = 0x4000;  // per VF
  s.vf_bars = {vf};
  s.vf_apertures = {0x4000 * 8};
  d.sriov = s;
  pci::BridgeWindow w;
  w.kind = pci::WindowKind::mem;
  w.bus_start = 0x0;
  w.bus_end = 0xfffff;
  w.enabled = true;  // no CPU row: its CPU range is unknown
  w.registers_enabled = true;
  pci::Device br;
  br.bdf = "0000:00:01.0";
  br.windows = {w};
  m.devices = {br, d};
  return m;
}

} // namespace

TEST_CASE("resolve: a memory address never matches I/O BARs or windows", "[machine][resolve]")
{
  const auto m = sample_model();
  machine::ResolveInputs in;
  in.pci = &m;
  in.iomem_why = "not given";
  const auto cpu = machine::resolve(0x2010, Space::cpu_physical, in);
  CHECK(cpu.bars.empty());                     // the I/O BAR at port 0x2000 is another space
  CHECK(cpu.windows.empty());                  // the window's CPU range was never read
  CHECK_FALSE(cpu.found);
  CHECK(cpu.inconclusive);                     // iomem was not searched
  CHECK(cpu.hint.find("did you mean --bus?") != std::string::npos);  // BAR0's bus address
  const auto io = machine::resolve(0x2010, Space::io_port, in);
  REQUIRE(io.bars.size() == 1);
  CHECK(io.bars[0].what == "BAR2");
  CHECK(io.bars[0].kind == "io");
  CHECK(io.bars[0].offset == 0x10);
}

TEST_CASE("resolve: a bus address shows its CPU address and iomem path", "[machine][resolve]")
{
  const auto m = sample_model();
  const auto iomem = source::parse_resource_tree(
    "80000000-8fffffff : PCI Bus 0000:00\n  80002000-80002fff : 0000:01:00.0\n", "iomem",
    model::SpaceKind::cpu_physical);
  machine::ResolveInputs in;
  in.pci = &m;
  in.iomem = &iomem;
  const auto r = machine::resolve(0x2010, Space::pci_bus, in);
  REQUIRE(r.bars.size() == 1);
  CHECK(r.bars[0].what == "BAR0");
  CHECK(r.bars[0].cpu_address == 0x80002010u);
  REQUIRE(r.bars[0].cpu_path.size() == 2);
  CHECK(r.bars[0].cpu_path.back().name == "0000:01:00.0");
  REQUIRE(r.windows.size() == 1);              // the window's bus range is known
  CHECK_FALSE(r.windows[0].cpu_address);       // but not where it lands in CPU space
  CHECK(r.found);
  // As a CPU address the same BAR is at 0x80002010, and iomem holds it.
  const auto c = machine::resolve(0x80002010, Space::cpu_physical, in);
  CHECK(c.tree->path.size() == 2);
  REQUIRE(c.bars.size() == 1);
  CHECK(c.bars[0].offset == 0x10);
  CHECK(c.hint.empty());
}

TEST_CASE("resolve: VF BARs name the VF whose slice holds the address", "[machine][resolve]")
{
  const auto m = sample_model();
  machine::ResolveInputs in;
  in.pci = &m;
  const auto r = machine::resolve(0x90000000 + 3 * 0x4000 + 0x10, Space::cpu_physical, in);
  REQUIRE(r.bars.size() == 1);
  CHECK(r.bars[0].what == "VF BAR0");
  CHECK(r.bars[0].vf == 3);
}

TEST_CASE("resolve: hidden addresses and IOVAs", "[machine][resolve]")
{
  const auto hidden = source::parse_resource_tree("00000000-00000000 : System RAM\n", "iomem",
                                                  model::SpaceKind::cpu_physical);
  machine::ResolveInputs in;
  in.iomem = &hidden;
  const auto r = machine::resolve(0x1000, Space::cpu_physical, in);
  REQUIRE(r.tree);
  CHECK_FALSE(r.tree->searched);
  CHECK(r.inconclusive);
  iommu::Group g;
  g.id = 7;
  g.reserved.push_back({0xfee00000, 0xfeefffff, "msi", 1});
  machine::ResolveInputs gi;
  gi.group = &g;
  const auto v = machine::resolve(0xfee01000, Space::iova, gi);
  REQUIRE(v.reserved.size() == 1);
  CHECK(v.reserved[0].type == "msi");
  CHECK(v.found);
}
