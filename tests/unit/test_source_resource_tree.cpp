#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <memmap/error.hpp>
#include <memmap/source/resource_tree.hpp>

#include <fstream>
#include <sstream>

using memmap::InputError;
using memmap::model::RegionKind;
using memmap::model::SpaceKind;
using memmap::source::parse_resource_tree;

namespace {

memmap::model::AddressSpace
parse(const std::string& text, SpaceKind kind = SpaceKind::cpu_physical)
{
  return parse_resource_tree(text, "iomem", kind);
}

std::string
error_of(const std::string& text)
{
  try {
    parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string
slurp(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("a kernel listing nests by indentation and keeps file order", "[iomem]")
{
  const auto sp = parse("00000000-00000fff : Reserved\n"
                        "00100000-bfffffff : System RAM\n"
                        "  01000000-02276507 : Kernel code\n"
                        "c0001000-eebfffff : PCI Bus 0000:00\n"
                        "eec00000-febfffff : Reserved\n"
                        "  eec00000-eecfffff : PCI ECAM 0000 [bus 00-00]\n"
                        "    eec00000-eecfffff : PCI Bus 0000:00\n"
                        "4000000000-7fffffffff : PCI Bus 0000:00\n"
                        "  4000000000-400007ffff : 0000:00:01.0\n"
                        "    4000000000-400007ffff : virtio-pci-modern\n");
  REQUIRE(sp.regions.size() == 5);
  CHECK(sp.line_count == 10);
  CHECK(sp.warnings.empty());
  CHECK_FALSE(sp.addresses_hidden);
  CHECK(sp.regions[1].kind == RegionKind::system_ram);
  CHECK(sp.regions[1].children.at(0).kind == RegionKind::kernel_image);
  CHECK(sp.regions[2].kind == RegionKind::pci_host_bridge);
  const auto& ecam = sp.regions[3].children.at(0);
  CHECK(ecam.kind == RegionKind::pci_ecam);
  CHECK(ecam.children.at(0).name == "PCI Bus 0000:00");
  const auto& dev = sp.regions[4].children.at(0);
  CHECK(dev.kind == RegionKind::pci_device);
  CHECK(dev.owner.bdf == "0000:00:01.0");
  CHECK(dev.start == 0x4000000000ULL);
  CHECK(dev.end == 0x400007ffffULL);
  CHECK(dev.line == 9);
  CHECK(dev.depth == 1);
  const auto& drv = dev.children.at(0);
  CHECK(drv.kind == RegionKind::driver);
  CHECK(drv.owner.bdf == "0000:00:01.0");
}

TEST_CASE("64-bit addresses and mixed widths on one line", "[iomem]")
{
  const auto sp = parse("c0000000-13fffffff : System RAM\n"
                        "100000000-27fffffff : System RAM\n");
  CHECK(sp.regions[0].end == 0x13fffffffULL);
  CHECK(sp.regions[1].size() == 0x180000000ULL);
  CHECK(memmap::model::total_ram(sp) == 0x80000000ULL + 0x180000000ULL);
}

TEST_CASE("outermost_ram: RAM nested below RAM counts once; kmem below Soft Reserved counts",
          "[iomem]")
{
  // dax hotplugged as kmem below Soft Reserved (CXL), and a made-up RAM-in-RAM that must
  // not be counted twice.
  const auto sp = parse("00001000-0009ffff : System RAM\n"
                        "00100000-7fffffff : System RAM\n"
                        "  01000000-01ffffff : System RAM\n"
                        "1050000000-144fffffff : Soft Reserved\n"
                        "  1050000000-144fffffff : dax0.0\n"
                        "    1050000000-144fffffff : System RAM (kmem)\n");
  const auto ram = memmap::model::outermost_ram(sp);
  REQUIRE(ram.size() == 3);
  CHECK(ram[0]->start == 0x1000);
  CHECK(ram[1]->start == 0x100000);
  CHECK(ram[2]->name == "System RAM (kmem)");
  CHECK(memmap::model::total_ram(sp) == 0x9f000ULL + 0x7ff00000ULL + 0x400000000ULL);
}

TEST_CASE("names keep spaces, colons and brackets", "[iomem]")
{
  const auto sp = parse("b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]\n"
                        "  b0000000-bfffffff : Reserved : odd : name\n");
  CHECK(sp.regions[0].name == "PCI MMCONFIG 0000 [bus 00-ff]");
  CHECK(sp.regions[0].children[0].name == "Reserved : odd : name");
}

TEST_CASE("depth saturates at 5: deeper lines are placed by containment", "[iomem]")
{
  // Real shape (industrial-ami-g6x-pex8748-hotplug): a switch tree deeper than 5 levels.
  const auto sp = parse("90000000-dfffffff : PCI Bus 0000:00\n"
                        "  df000000-df2fffff : PCI Bus 0000:01\n"
                        "    df000000-df1fffff : PCI Bus 0000:02\n"
                        "      df000000-df1fffff : PCI Bus 0000:03\n"
                        "        df000000-df0fffff : PCI Bus 0000:04\n"
                        "          df000000-df0fffff : PCI Bus 0000:0c\n"
                        "          df000000-df03ffff : 0000:0c:00.0\n"
                        "          df000000-df03ffff : mrf-pci\n"
                        "          df040000-df04ffff : 0000:0c:00.1\n"
                        "        df100000-df13ffff : 0000:03:00.0\n");
  const auto& bus04 = sp.regions[0].children[0].children[0].children[0].children[0];
  REQUIRE(bus04.name == "PCI Bus 0000:04");
  REQUIRE(bus04.children.size() == 1);
  const auto& bus0c = bus04.children[0];
  CHECK(bus0c.name == "PCI Bus 0000:0c");
  REQUIRE(bus0c.children.size() == 2);
  CHECK(bus0c.children[0].name == "0000:0c:00.0");
  CHECK(bus0c.children[0].depth == 6);
  CHECK(bus0c.children[0].children.at(0).name == "mrf-pci");
  CHECK(bus0c.children[0].children.at(0).depth == 7);
  CHECK(bus0c.children[1].name == "0000:0c:00.1");
  CHECK(sp.regions[0].children[0].children[0].children[0].children.at(1).name
        == "0000:03:00.0");
  CHECK(sp.warnings.empty());
}

TEST_CASE("non-root view: every address 0-0 is detected as hidden", "[iomem]")
{
  const auto sp = parse("00000000-00000000 : Reserved\n"
                        "00000000-00000000 : System RAM\n"
                        "  00000000-00000000 : Kernel code\n");
  CHECK(sp.addresses_hidden);
  CHECK(sp.warnings.empty());  // no overlap noise from the zeroes
  CHECK(sp.regions[1].children[0].kind == RegionKind::kernel_image);
}

TEST_CASE("malformed lines fail with FILE:LINE: reason", "[iomem][errors]")
{
  CHECK(error_of("00000000-00000fff : Reserved\n00001000-0009fbff System RAM\n")
        == "iomem:2: expected 'START-END : NAME', missing ' : ' in '00001000-0009fbff System "
           "RAM'");
  CHECK(error_of("0000g000-00000fff : Reserved\n")
        == "iomem:1: bad hex digit 'g' in start address '0000g000'");
  CHECK(error_of("00000000-0000zfff : Reserved\n")
        == "iomem:1: bad hex digit 'z' in end address '0000zfff'");
  CHECK(error_of("00001000-00000fff : Reserved\n")
        == "iomem:1: start 0x1000 is above end 0xfff (the end is inclusive)");
  CHECK(error_of("00000000-00000fff : Reserved\n      00000000-00000fff : x\n")
        == "iomem:2: indentation jumps from depth 0 to depth 3 (one level at a time)");
  CHECK(error_of("00000000-00000fff : Reserved\n\t00000000-00000fff : x\n")
        == "iomem:2: tab in indentation (the kernel indents with two spaces per level)");
  CHECK(error_of("00000000-00000fff : Reserved\n 00000000-00000fff : x\n")
        .rfind("iomem:2: odd indentation of 1 space ", 0) == 0);
  CHECK(error_of("  00000000-00000fff : x\n")
        == "iomem:1: indented to depth 1 with no parent line above it");
  CHECK(error_of("") == "iomem:1: no resource lines (empty file)");
  CHECK(error_of("\n\n") == "iomem:2: no resource lines (empty file)");
  CHECK(error_of("00000000-00000fff : " + std::string(5000, 'x') + "\n")
        == "iomem:1: line is 5020 bytes long (limit 4096): not a resource listing");
  CHECK(error_of("10000000000000000-1ffffffffffffffff : x\n")
        == "iomem:1: start address '10000000000000000' does not fit in 64 bits");
  CHECK(error_of("-00000fff : x\n") == "iomem:1: missing start address before ' : '");
  CHECK(error_of("00000fff : x\n") == "iomem:1: expected 'START-END' before ' : ', got '00000fff'");
  const char nul_text[] = "00000000-00000fff : ok\n0000\0" "0000-1 : x\n";
  CHECK(error_of(std::string(nul_text, sizeof nul_text - 1))
        == "iomem:2: NUL byte in text: not a resource listing");
  CHECK(error_of("            00000000-00000fff : x\n")
        == "iomem:1: indented 6 levels; the kernel never indents past 5");
}

TEST_CASE("CRLF is accepted with one warning", "[iomem]")
{
  const auto sp = parse("00000000-00000fff : Reserved\r\n00100000-bfffffff : System RAM\r\n");
  CHECK(sp.regions.size() == 2);
  CHECK(sp.regions[1].name == "System RAM");
  REQUIRE(sp.warnings.size() == 1);
  CHECK(sp.warnings[0].id == "input-crlf");
  CHECK(sp.warnings[0].line == 1);
}

TEST_CASE("what the kernel never prints is kept and reported", "[iomem]")
{
  const auto sp = parse("00000000-0009ffff : System RAM\n"
                        "00080000-000fffff : Reserved\n"
                        "00100000-bfffffff : System RAM\n"
                        "  c0000000-c0000fff : Kernel code\n"
                        "00100000-bfffffff : System RAM\n"
                        "00000000-00000fff : Late\n");
  REQUIRE(sp.regions.size() == 5);  // nothing dropped
  CHECK(sp.regions[4].name == "Late");  // nothing reordered
  std::vector<std::string> ids;
  for (const auto& w : sp.warnings) {
    ids.push_back(w.id + "@" + std::to_string(w.line));
  }
  CHECK(ids == std::vector<std::string>{"iomem-overlap@2", "iomem-outside-parent@4",
                                        "iomem-duplicate@5", "iomem-order@6",
                                        "iomem-overlap@6"});
}

TEST_CASE("a very long file parses without trouble", "[iomem]")
{
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%08x-%08x : R%d\n", i * 0x1000, i * 0x1000 + 0xfff, i);
    text += buf;
  }
  const auto sp = parse(text);
  CHECK(sp.regions.size() == 20000);
  CHECK(sp.warnings.empty());
}

TEST_CASE("siblings that all overlap: at most 64 pairs listed, then one summary", "[iomem][hostile]")
{
  // Found by the resource_tree fuzz target (fixtures/fuzz-regressions/resource_tree/
  // overlap-pairs-quadratic): every line overlapping every other gave n^2/2 warnings; 20,000
  // such lines would have been 2e8.
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    text += fmt::format("00000000-{:08x} : R{}\n", 0xffff + i, i);
  }
  const auto sp = parse(text);
  CHECK(sp.regions.size() == 20000);
  std::size_t overlaps = 0;
  bool summary = false;
  for (const auto& w : sp.warnings) {
    overlaps += w.id == "iomem-overlap" ? 1 : 0;
    summary = summary || w.message.find("more than 64 overlapping pairs among the 20000 regions at "
                                        "the top level") != std::string::npos;
  }
  CHECK(summary);
  CHECK(overlaps == 65);  // 64 pairs and the summary
}

TEST_CASE("the seed machine: the GPU's ranges under PCI Bus 0000:04", "[iomem][fixture]")
{
  const auto text = slurp(MEMMAP_SOURCE_DIR "/fixtures/seed-quadro-p1000/proc/iomem");
  const auto sp = parse(text);
  CHECK(sp.line_count == 86);
  CHECK(sp.warnings.empty());
  std::vector<std::pair<std::uint64_t, int>> gpu;  // (start, depth)
  sp.walk([&](const memmap::model::Region& r, const auto& parents) {
    if (r.owner.bdf == "0000:04:00.0" && r.kind == RegionKind::pci_device) {
      REQUIRE_FALSE(parents.empty());
      CHECK(parents.back()->name == "PCI Bus 0000:04");
      CHECK(parents.back()->kind == RegionKind::pci_bridge_window);
      gpu.emplace_back(r.start, r.depth);
    }
  });
  CHECK(gpu == std::vector<std::pair<std::uint64_t, int>>{
                 {0xd0000000, 2}, {0xe0000000, 2}, {0xfb000000, 2}, {0xfc000000, 2}});
  const auto path = sp.lookup(0xfb000010);
  REQUIRE(path.size() == 4);
  CHECK(path[3]->name == "nvidia");
}

TEST_CASE("ioports use the same grammar with 4-digit addresses", "[ioports]")
{
  const auto sp = parse("0000-0cf7 : PCI Bus 0000:00\n"
                        "  0000-001f : dma1\n"
                        "0cf8-0cff : PCI conf1\n",
                        SpaceKind::io_port);
  CHECK(sp.kind == SpaceKind::io_port);
  CHECK(sp.regions[0].children[0].end == 0x1f);
  CHECK(sp.regions[0].kind == RegionKind::pci_host_bridge);
}
