// analyze::fit: the placement what-if on hand-built models. The window choice follows the
// kernel's pbus_select_window_for_type() (drivers/pci/setup-bus.c); free space is what no
// resource-tree region nor sibling BAR covers, at natural alignment; unknown stays unknown.
#include <catch2/catch.hpp>

#include <memmap/error.hpp>
#include <memmap/analyze/fit.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/source/resource_tree.hpp>

using namespace memmap;

namespace {

constexpr std::uint64_t M = 1ULL << 20;
constexpr std::uint64_t G = 1ULL << 30;

pci::Bar
bar(int index, int bits, bool pref, std::optional<std::uint64_t> at, std::uint64_t size)
{
  pci::Bar b;
  b.index = index;
  b.bits = bits;
  b.prefetchable = pref;
  b.cpu_address = at;
  b.bus_address = at;
  b.size = size;
  return b;
}

pci::BridgeWindow
window(pci::WindowKind kind, int bits, std::uint64_t start, std::uint64_t end,
       pci::KernelWindow state = pci::KernelWindow::assigned)
{
  pci::BridgeWindow w;
  w.kind = kind;
  w.bits = bits;
  w.bus_start = start;
  w.bus_end = end;
  w.kernel = state;
  if (state == pci::KernelWindow::assigned) {
    w.cpu_start = start;
    w.cpu_end = end;
    w.enabled = true;
    w.registers_enabled = true;
  }
  return w;
}

pci::Device
device(const std::string& bdf, const std::string& parent)
{
  pci::Device d;
  d.bdf = bdf;
  d.domain = 0;
  d.bus = static_cast<std::uint8_t>(std::stoi(bdf.substr(5, 2), nullptr, 16));
  d.header_type = 0;
  d.parent_bdf = parent;
  return d;
}

// A root port 00:01.0 with a 16M memory window and a 4G 64-bit prefetchable window; below it
// a GPU 01:00.0 (BAR0 16M, BAR1 256M 64-bit pref, BAR3 32M 64-bit pref).
struct Machine {
  pci::PciModel pci;
  std::string iomem_text =
    "a0000000-bfffffff : PCI Bus 0000:00\n"
    "  a0000000-a0ffffff : PCI Bus 0000:01\n"
    "    a0000000-a0ffffff : 0000:01:00.0\n"
    "4000000000-7fffffffff : PCI Bus 0000:00\n"
    "  4000000000-40ffffffff : PCI Bus 0000:01\n"
    "    4000000000-400fffffff : 0000:01:00.0\n"
    "    4010000000-4011ffffff : 0000:01:00.0\n";
  model::AddressSpace iomem;

  Machine()
  {
    auto rp = device("0000:00:01.0", "");
    rp.header_type = 1;
    rp.buses = pci::BusRange{0, 1, 1};
    rp.windows = {window(pci::WindowKind::mem, 32, 0xa0000000, 0xa0ffffff),
                  window(pci::WindowKind::prefetchable, 64, 0x4000000000, 0x40ffffffff)};
    auto gpu = device("0000:01:00.0", "0000:00:01.0");
    gpu.bars = {bar(0, 32, false, 0xa0000000, 16 * M), bar(1, 64, true, 0x4000000000, 256 * M),
                bar(3, 64, true, 0x4010000000, 32 * M)};
    pci.devices = {rp, gpu};
  }
  pci::Device& port() { return pci.devices[0]; }
  pci::Device& gpu() { return pci.devices[1]; }
  analyze::FitReport run(int bar_index, std::uint64_t size)
  {
    iomem = source::parse_resource_tree(iomem_text, "iomem", model::SpaceKind::cpu_physical);
    analyze::FitInputs in;
    in.pci = &pci;
    in.iomem = &iomem;
    return analyze::fit({"0000:01:00.0", bar_index, size}, in);
  }
};

} // namespace

TEST_CASE("fit: a 64-bit prefetchable BAR fits an aligned gap of the prefetchable window",
          "[fit]")
{
  Machine m;
  const auto r = m.run(1, 1 * G);
  REQUIRE(r.fits.has_value());
  CHECK(*r.fits);
  REQUIRE(r.chain.size() == 2);
  CHECK(r.chain[0].bridge == "0000:00:01.0");
  CHECK(r.chain[0].window == "prefetchable");
  CHECK(r.chain[0].bits == 64);
  CHECK(r.chain[0].name == "PCI Bus 0000:01");
  // BAR1's own 256M counts as free; BAR3 at 0x4010000000 is not: the first 1G-aligned slot
  // after it is 0x4040000000.
  REQUIRE_FALSE(r.chain[0].gaps.empty());
  CHECK(r.chain[0].gaps[0].start == 0x4012000000ULL);
  CHECK(r.chain[0].gaps[0].slot == 0x4040000000ULL);
  CHECK(r.changes.empty());
  CHECK(r.chain[1].host);
  CHECK_FALSE(r.chain[1].room.has_value());  // not needed: not evaluated
}

TEST_CASE("fit: free space that is big enough but not naturally aligned does not fit", "[fit]")
{
  Machine m;
  // Siblings leave [0x4008000000, 0x4017ffffff] free: 256M, but no 256M-aligned start in it.
  auto sib = device("0000:01:00.1", "0000:00:01.0");
  sib.bars = {bar(0, 64, true, 0x4000000000, 128 * M), bar(2, 64, true, 0x4018000000, 16 * M)};
  auto sib2 = device("0000:01:00.2", "0000:00:01.0");
  sib2.bars = {bar(0, 64, true, 0x4020000000, 512 * M)};
  m.gpu().bars[1] = bar(1, 64, true, std::nullopt, 256 * M);  // unassigned: takes nothing
  m.gpu().bars.pop_back();                                     // no BAR3
  m.pci.devices.push_back(sib);
  m.pci.devices.push_back(sib2);
  m.iomem_text =
    "4000000000-7fffffffff : PCI Bus 0000:00\n"
    "  4000000000-403fffffff : PCI Bus 0000:01\n"
    "    4000000000-4007ffffff : 0000:01:00.1\n"
    "    4018000000-4018ffffff : 0000:01:00.1\n"
    "    4020000000-403fffffff : 0000:01:00.2\n";
  m.port().windows[1] = window(pci::WindowKind::prefetchable, 64, 0x4000000000, 0x403fffffff);
  const auto r = m.run(1, 256 * M);
  REQUIRE(r.fits.has_value());
  CHECK_FALSE(*r.fits);
  CHECK(r.chain[0].largest_aligned == 128 * M);
  const auto free = analyze::free_ranges(0x4000000000, 0x403fffffff,
                                         {{0x4000000000, 0x4007ffffff},
                                          {0x4018000000, 0x4018ffffff},
                                          {0x4020000000, 0x403fffffff}});
  REQUIRE(free.size() == 2);
  CHECK(free[0] == std::make_pair<std::uint64_t, std::uint64_t>(0x4008000000, 0x4017ffffff));
  CHECK(free[0].second - free[0].first + 1 == 256 * M);  // big enough...
  CHECK_FALSE(analyze::aligned_slot(free[0].first, free[0].second, 256 * M, 256 * M, UINT64_MAX));
  CHECK(analyze::aligned_slot(free[0].first, free[0].second, 128 * M, 128 * M, UINT64_MAX)
        == 0x4008000000ULL);
  // Packed by alignment (512M, the 256M BAR, 128M, 16M) everything takes 912M: the 1G window
  // is big enough, only what it holds must be re-assigned (pci=realloc); it need not grow.
  REQUIRE(r.changes.size() == 1);
  CHECK(r.changes[0].size == 912 * M);
  CHECK(r.changes[0].align == 512 * M);
  CHECK(r.changes[0].current_size == 1 * G);
  CHECK(r.changes[0].parent_has_room == true);
  CHECK(r.changes[0].advice.find("pci=realloc") != std::string::npos);
}

TEST_CASE("fit: the window choice is pbus_select_window_for_type()'s", "[fit]")
{
  SECTION("non-prefetchable goes to the memory window")
  {
    Machine m;
    const auto r = m.run(0, 8 * M);
    CHECK(r.chain[0].window == "mem");
    CHECK(r.fits == true);
  }
  SECTION("32-bit prefetchable with a 64-bit prefetchable window goes to the memory window")
  {
    Machine m;
    m.gpu().bars[0] = bar(0, 32, true, 0xa0000000, 16 * M);
    CHECK(m.run(0, 8 * M).chain[0].window == "mem");
  }
  SECTION("64-bit prefetchable goes to a 32-bit prefetchable window too")
  {
    Machine m;
    m.port().windows[1] = window(pci::WindowKind::prefetchable, 32, 0xb0000000, 0xbfffffff);
    m.iomem_text = "a0000000-bfffffff : PCI Bus 0000:00\n"
                   "  b0000000-bfffffff : PCI Bus 0000:01\n";
    m.gpu().bars[1] = bar(1, 64, true, std::nullopt, 256 * M);
    m.gpu().bars.pop_back();
    const auto r = m.run(1, 256 * M);
    CHECK(r.chain[0].window == "prefetchable");
    CHECK(r.chain[0].bits == 32);
    CHECK(r.fits == true);
  }
  SECTION("a bridge without a prefetchable window: the memory window")
  {
    Machine m;
    m.port().windows[1] = window(pci::WindowKind::prefetchable, 64, 0, 0, pci::KernelWindow::none);
    m.gpu().bars[1] = bar(1, 64, true, std::nullopt, 256 * M);
    m.gpu().bars.pop_back();
    const auto r = m.run(1, 8 * M);
    CHECK(r.chain[0].window == "mem");
    CHECK(r.chain[0].bits == 32);
    // The memory window holds BAR0's 16M and nothing else: 8M does not fit, the window must
    // grow to 24M aligned 16M, and the 32-bit host aperture has room for it below 4G.
    CHECK(r.fits == false);
    REQUIRE(r.changes.size() == 1);
    CHECK(r.changes[0].window == "mem");
    CHECK(r.changes[0].size == 24 * M);
    CHECK(r.changes[0].align == 16 * M);
    CHECK(r.chain[1].need_below_4g);
    CHECK(r.changes[0].parent_has_room == true);
  }
}

TEST_CASE("fit: a window that must grow, with and without room in its parent", "[fit]")
{
  Machine m;
  auto r = m.run(1, 8 * G);
  REQUIRE(r.fits.has_value());
  CHECK_FALSE(*r.fits);
  REQUIRE(r.changes.size() == 1);
  CHECK(r.changes[0].bridge == "0000:00:01.0");
  CHECK(r.changes[0].window == "prefetchable");
  CHECK(r.changes[0].current_size == 4 * G);
  CHECK(r.changes[0].size == 8 * G + 32 * M);  // the 8G BAR and BAR3's 32M
  CHECK(r.changes[0].align == 8 * G);
  CHECK(r.changes[0].parent_has_room == true);  // the old window counts as free
  REQUIRE(r.chain[1].gaps.size() == 1);
  CHECK(r.chain[1].gaps[0].slot == 0x4000000000ULL);

  // The host bridge aperture no bigger than the window: firmware must give more.
  m.iomem_text =
    "4000000000-40ffffffff : PCI Bus 0000:00\n"
    "  4000000000-40ffffffff : PCI Bus 0000:01\n"
    "    4000000000-400fffffff : 0000:01:00.0\n"
    "    4010000000-4011ffffff : 0000:01:00.0\n";
  r = m.run(1, 8 * G);
  CHECK(r.fits == false);
  REQUIRE(r.changes.size() == 2);
  CHECK(r.changes[0].parent_has_room == false);
  CHECK(r.changes[1].bridge.empty());
  CHECK(r.changes[1].window == "aperture");
  CHECK(r.changes[1].advice.find("Above 4G") != std::string::npos);
}

TEST_CASE("fit: Resizable BAR sizes that fit today", "[fit]")
{
  Machine m;
  pci::Rebar rb;
  pci::RebarEntry e;
  e.bar = 1;
  e.supported_sizes = {256 * M, 512 * M, 1 * G, 2 * G, 4 * G, 8 * G};
  e.current_size = 256 * M;
  rb.entries = {e};
  m.gpu().rebars = {rb};
  const auto r = m.run(1, 256 * M);
  CHECK(r.rebar);
  CHECK(r.rebar_known);
  CHECK(r.rebar_sizes.size() == 6);
  // 4G would need the whole window, where BAR3 sits.
  CHECK(r.rebar_sizes_that_fit == std::vector<std::uint64_t>{256 * M, 512 * M, 1 * G, 2 * G});
}

TEST_CASE("fit: unknown stays unknown, never a guessed fit", "[fit]")
{
  SECTION("a window the kernel left unset")
  {
    Machine m;
    m.port().windows[1] = window(pci::WindowKind::prefetchable, 64, 0, 0, pci::KernelWindow::unset);
    const auto r = m.run(1, 16 * M);
    // The window exists but has no address: not a fit today, and it must be placed first.
    REQUIRE(r.fits.has_value());
    CHECK_FALSE(*r.fits);
    CHECK(r.why.find("has no address") != std::string::npos);
    REQUIRE_FALSE(r.chain.empty());
    CHECK(r.chain[0].unplaced);
    CHECK(r.chain[0].room == false);
    REQUIRE_FALSE(r.changes.empty());
    CHECK(r.changes[0].window == "prefetchable");
    CHECK(r.changes[0].size >= 16 * M);
  }
  SECTION("a dump's prefetchable registers that read 0")
  {
    Machine m;
    auto w = window(pci::WindowKind::prefetchable, 64, 0, 0xfffff, pci::KernelWindow::unknown);
    w.registers_zero = true;
    w.registers_enabled = true;
    m.port().windows[1] = w;
    const auto r = m.run(1, 16 * M);
    CHECK_FALSE(r.fits.has_value());
  }
  SECTION("no CPU address map")
  {
    Machine m;
    analyze::FitInputs in;
    in.pci = &m.pci;
    in.iomem_why = "/proc/iomem: Permission denied";
    const auto r = analyze::fit({"0000:01:00.0", 1, 16 * M}, in);
    CHECK_FALSE(r.fits.has_value());
    CHECK(r.why.find("Permission denied") != std::string::npos);
  }
  SECTION("the change above a window the tree does not hold is unknown, the verdict is not")
  {
    Machine m;
    m.iomem_text = "4000000000-7fffffffff : PCI Bus 0000:00\n";  // no PCI Bus 0000:01 node
    const auto r = m.run(1, 8 * G);
    CHECK(r.fits == false);
    CHECK(r.changes.empty());
    REQUIRE_FALSE(r.notes.empty());
  }
}

TEST_CASE("fit: bad requests are usage errors", "[fit]")
{
  Machine m;
  CHECK_THROWS_AS(m.run(1, 3 * M), UsageError);   // not a power of two
  CHECK_THROWS_AS(m.run(2, 16 * M), UsageError);  // the upper half of BAR1
  m.iomem = source::parse_resource_tree(m.iomem_text, "iomem", model::SpaceKind::cpu_physical);
  analyze::FitInputs in;
  in.pci = &m.pci;
  in.iomem = &m.iomem;
  CHECK_THROWS_AS(analyze::fit({"0000:09:00.0", 0, 16 * M}, in), UsageError);
}

TEST_CASE("fit: a device on a root bus is placed in the host bridge apertures", "[fit]")
{
  Machine m;
  auto igpu = device("0000:00:02.0", "");
  igpu.bars = {bar(0, 32, false, 0xa1000000, 16 * M)};
  m.pci.devices.push_back(igpu);
  m.iomem_text += "";
  m.iomem = source::parse_resource_tree(
    "a0000000-bfffffff : PCI Bus 0000:00\n"
    "  a0000000-a0ffffff : PCI Bus 0000:01\n"
    "  a1000000-a1ffffff : 0000:00:02.0\n"
    "4000000000-7fffffffff : PCI Bus 0000:00\n",
    "iomem", model::SpaceKind::cpu_physical);
  analyze::FitInputs in;
  in.pci = &m.pci;
  in.iomem = &m.iomem;
  const auto r = analyze::fit({"0000:00:02.0", 0, 256 * M}, in);
  REQUIRE(r.chain.size() == 1);
  CHECK(r.chain[0].host);
  CHECK(r.chain[0].need_below_4g);  // a 32-bit BAR: only the aperture below 4G
  CHECK(r.chain[0].apertures.size() == 2);
  REQUIRE(r.fits.has_value());
  CHECK(*r.fits);
  CHECK(r.chain[0].gaps[0].slot == 0xb0000000ULL);
}
