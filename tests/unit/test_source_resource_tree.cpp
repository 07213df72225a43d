#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <memmap/error.hpp>
#include <memmap/source/resource_tree.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/fixtures.hpp"

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

using memmap::test::slurp;

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
  const auto text = slurp(memmap::test::fixture("seed-quadro-p1000/proc/iomem"));
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

// --- Indentation that is not the kernel's: the tree is rebuilt by containment ------------

namespace {

memmap::model::AddressSpace
parse_strict(const std::string& text, SpaceKind kind = SpaceKind::cpu_physical)
{
  return parse_resource_tree(text, "iomem", kind, true);
}

std::string
strict_error_of(const std::string& text)
{
  try {
    parse_strict(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// The tree node by node, pre-order: everything a renderer or check reads from a region.
std::vector<std::string>
nodes(const memmap::model::AddressSpace& sp)
{
  std::vector<std::string> out;
  sp.walk([&](const memmap::model::Region& r, const auto& parents) {
    out.push_back(fmt::format("line {} depth {} parent {} {:#x}-{:#x} '{}' kind {} owner {} "
                              "bar {} children {}",
                              r.line, r.depth, parents.empty() ? 0 : parents.back()->line,
                              r.start, r.end, r.name, memmap::model::to_string(r.kind),
                              r.owner.bdf, r.owner.bar, r.children.size()));
  });
  return out;
}

// The warnings other than the ones about the text's form (CRLF, indentation).
std::vector<std::string>
structural_warnings(const memmap::model::AddressSpace& sp)
{
  std::vector<std::string> out;
  for (const auto& w : sp.warnings) {
    if (w.id != "input-crlf" && w.id != "input-indentation") {
      out.push_back(fmt::format("{}@{}: {}", w.id, w.line, w.message));
    }
  }
  return out;
}

std::vector<std::string>
warning_ids(const memmap::model::AddressSpace& sp)
{
  std::vector<std::string> ids;
  for (const auto& w : sp.warnings) {
    ids.push_back(w.id + "@" + std::to_string(w.line));
  }
  return ids;
}

struct SourceLine {
  int width = 0;            // leading spaces
  std::string rest;         // the line after them
  bool leaf = false;        // no children in the kernel's tree
  std::size_t top = 0;      // which top-level region's block it belongs to
};

// The lines of a correctly indented listing, with the facts the manglers need.
std::vector<SourceLine>
source_lines(const std::string& text, const memmap::model::AddressSpace& sp)
{
  std::set<int> leaves;
  sp.walk([&](const memmap::model::Region& r, const auto&) {
    if (r.children.empty()) {
      leaves.insert(r.line);
    }
  });
  std::vector<SourceLine> out;
  std::istringstream in(text);
  std::string s;
  int line = 0;
  std::size_t top = 0;
  while (std::getline(in, s)) {
    ++line;
    SourceLine l;
    const auto first = s.find_first_not_of(' ');
    REQUIRE(first != std::string::npos);  // the fixtures have no blank lines
    l.width = static_cast<int>(first);
    l.rest = s.substr(first);
    l.leaf = leaves.count(line) > 0;
    top += l.width == 0 ? 1 : 0;
    l.top = top;
    out.push_back(l);
  }
  return out;
}

// Each way a listing's indentation gets mangled on its way from a machine to a file.
enum class Mangle { flowed, tabs, flattened, mixed_2_4, deeper_leaves, code_block, flowed_crlf };

const char*
mangle_name(Mangle m)
{
  switch (m) {
  case Mangle::flowed: return "format=flowed (one space lost per indented line)";
  case Mangle::tabs: return "a tab for every two spaces";
  case Mangle::flattened: return "all indentation stripped";
  case Mangle::mixed_2_4: return "every other top-level block indented 4 spaces per level";
  case Mangle::deeper_leaves: return "leaves indented three levels deeper than printed";
  case Mangle::code_block: return "every line indented 4 more (a Markdown code block)";
  case Mangle::flowed_crlf: return "format=flowed and CRLF line ends";
  }
  return "?";
}

std::string
mangle(const std::vector<SourceLine>& lines, Mangle m)
{
  std::string out;
  for (const auto& l : lines) {
    int w = l.width;
    std::string indent;
    switch (m) {
    case Mangle::flowed:
    case Mangle::flowed_crlf: w = w > 0 ? w - 1 : 0; break;
    case Mangle::tabs: indent = std::string(static_cast<std::size_t>(w / 2), '\t'); w = 0; break;
    case Mangle::flattened: w = 0; break;
    case Mangle::mixed_2_4: w = l.top % 2 == 0 ? 2 * w : w; break;
    case Mangle::deeper_leaves: w = l.leaf && w > 0 ? w + 6 : w; break;
    case Mangle::code_block: w += 4; break;
    }
    out += indent + std::string(static_cast<std::size_t>(w), ' ') + l.rest
           + (m == Mangle::flowed_crlf ? "\r\n" : "\n");
  }
  return out;
}

} // namespace

TEST_CASE("the format=flowed e6550 mail listing is rebuilt with one warning", "[iomem][indent]")
{
  // shared/corpus/iomem/desktop-intel-core2-e6550 (a 2010 mail to linux-media): every
  // indented line lost one space to the mail client.
  const auto text = slurp(memmap::test::fixture("malformed/format-flowed-mangled.iomem"));
  const auto sp = parse(text);
  CHECK(sp.line_count == 70);
  REQUIRE(sp.warnings.size() == 1);
  CHECK(sp.warnings[0].id == "input-indentation");
  CHECK(sp.warnings[0].line == 6);
  CHECK(sp.warnings[0].message
        == "odd indentation of 1 space (the kernel indents two per level; a mail client's "
           "format=flowed decoding can strip one); the tree was rebuilt by address "
           "containment (--strict rejects such a listing)");
  const auto path = sp.lookup(0x92000010);
  REQUIRE(path.size() == 3);
  CHECK(path[0]->name == "PCI Bus 0000:01");
  CHECK(path[1]->name == "0000:01:00.0");
  CHECK(path[2]->name == "nvidia");
  CHECK(path[2]->kind == RegionKind::driver);
  const auto mmcfg = sp.lookup(0xf0000000);
  REQUIRE(mmcfg.size() == 3);  // equal ranges nest in file order
  CHECK(mmcfg[0]->name == "PCI MMCONFIG 0 [00-7f]");
  CHECK(mmcfg[1]->name == "reserved");
  CHECK(mmcfg[2]->name == "pnp 00:01");

  // The oracle: the same listing with the lost space put back, read by its indentation.
  std::string fixed;
  std::istringstream in(text);
  for (std::string s; std::getline(in, s);) {
    fixed += (s.starts_with(" ") ? " " : "") + s + "\n";
  }
  const auto good = parse_strict(fixed);
  CHECK(good.warnings.empty());
  CHECK(nodes(sp) == nodes(good));

  CHECK(strict_error_of(text).rfind("iomem:6: odd indentation of 1 space ", 0) == 0);
}

TEST_CASE("every real listing, mangled each way, rebuilds to the tree its kernel printed",
          "[iomem][indent][fixture]")
{
  namespace fs = std::filesystem;
  // Real listings whose tree containment cannot rebuild, and why: an error (exit 2), or,
  // flattened, the listing read as printed with a warning saying why (checked below).
  const std::map<std::string, std::string> k_undecidable = {
    // The kernel printed overlapping siblings (a resized BAR): 'PCI Bus 0030:02' holds its
    // earlier sibling 0030:01:00.0, so containment would nest them the other way round.
    {"ppc64-bar-resize-good/proc/iomem",
     "line 44: 'PCI Bus 0030:02' 0x6200000000000-0x6203fbff0ffff overlaps '0030:01:00.0' "
     "0x6200020000000-0x62000207fffff (line 43) without nesting in it"},
  };
  // Flattened, an empty 0-0 line has nothing to place it by.
  const std::map<std::string, std::string> k_flattened_empty = {
    {"laptop-intel-ucsi-ioremap/proc/iomem",
     "line 6: 'PCI Bus 0000:00' 0x0-0x0 is an empty resource, which only indentation could "
     "place"},
    {"pc-x86-64bit-ram-above-4g/proc/iomem",
     "line 2: 'Crash kernel' 0x0-0x0 is an empty resource, which only indentation could place"},
  };
  std::vector<fs::path> files;
  for (const auto& d : fs::directory_iterator(fs::path(MEMMAP_SOURCE_DIR) / "fixtures")) {
    for (const char* f : {"proc/iomem", "proc/ioports"}) {
      if (fs::is_regular_file(d.path() / f)) {
        files.push_back(d.path() / f);
      }
    }
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 30);
  int rebuilt = 0;
  for (const auto& path : files) {
    const std::string rel = fs::relative(path, fs::path(MEMMAP_SOURCE_DIR) / "fixtures").string();
    const auto kind = path.filename() == "ioports" ? SpaceKind::io_port : SpaceKind::cpu_physical;
    const auto text = slurp(path.string());
    const auto good = parse_strict(text, kind);
    if (good.addresses_hidden) {
      continue;  // no fixture is a hidden view; tested on its own below
    }
    const auto lines = source_lines(text, good);
    for (const Mangle m : {Mangle::flowed, Mangle::tabs, Mangle::flattened, Mangle::mixed_2_4,
                           Mangle::deeper_leaves, Mangle::code_block, Mangle::flowed_crlf}) {
      INFO(rel << ": " << mangle_name(m));
      const std::string bad = mangle(lines, m);
      std::string want_error;
      if (k_undecidable.count(rel)) {
        want_error = k_undecidable.at(rel);
      } else if (m == Mangle::flattened && k_flattened_empty.count(rel)) {
        want_error = k_flattened_empty.at(rel);
      }
      // Whether the indentation changed (flowed_crlf also changes the line ends).
      const bool changed = (m == Mangle::flowed_crlf ? mangle(lines, Mangle::flowed) : bad) != text;
      if (!want_error.empty() && changed && m != Mangle::flattened) {
        std::string got = "(no error)";
        try {
          (void)parse_resource_tree(bad, "iomem", kind);
        } catch (const InputError& e) {
          got = e.what();
        }
        // "iomem:44: FACT: the indentation is not the kernel's (see line N), ..."
        const auto colon = want_error.find(':');
        CHECK(got.starts_with("iomem:" + want_error.substr(5, colon - 5) + want_error.substr(colon)
                              + ": the indentation is not the kernel's (see line "));
        continue;
      }
      if (!want_error.empty() && changed) {
        // Flattened and not rebuildable: read as printed, as --strict reads it.
        const auto sp = parse_resource_tree(bad, "iomem", kind);
        CHECK(nodes(sp) == nodes(parse_strict(bad, kind)));
        REQUIRE_FALSE(sp.warnings.empty());
        CHECK(sp.warnings[0].id == "input-indentation");
        CHECK(sp.warnings[0].message.find("; containment cannot rebuild it (" + want_error
                                          + "), so it is read as printed")
              != std::string::npos);
        continue;
      }
      const auto sp = parse_resource_tree(bad, "iomem", kind);
      CHECK(nodes(sp) == nodes(good));
      CHECK(structural_warnings(sp) == structural_warnings(good));
      const auto ids = warning_ids(sp);
      const auto n_indent =
        std::count_if(sp.warnings.begin(), sp.warnings.end(),
                      [](const auto& w) { return w.id == "input-indentation"; });
      CHECK(n_indent == (changed ? 1 : 0));
      CHECK((m == Mangle::flowed_crlf) == (!ids.empty() && ids.front() == "input-crlf@1"));
      if (n_indent == 1 && m != Mangle::flattened) {
        CHECK_THROWS_AS(parse_resource_tree(bad, "iomem", kind, true), InputError);
      }
      rebuilt += n_indent == 1 ? 1 : 0;
    }
  }
  CHECK(rebuilt > 150);
}

TEST_CASE("the rebuild warning names the first odd line and why", "[iomem][indent]")
{
  auto first_warning = [](const std::string& text) {
    const auto sp = parse(text);
    REQUIRE_FALSE(sp.warnings.empty());
    return sp.warnings.front().located();
  };
  const std::string head = "00000000-00000fff : Reserved\n00100000-bfffffff : System RAM\n";
  CHECK(first_warning(head + "\t01000000-02209987 : Kernel code\n")
        == "iomem:3: tab in indentation (the kernel indents with two spaces per level); the "
           "tree was rebuilt by address containment (--strict rejects such a listing)");
  CHECK(first_warning(head + "      01000000-02209987 : Kernel code\n")
        .starts_with("iomem:3: indentation jumps from depth 0 to depth 3 (one level at a "
                     "time); the tree was rebuilt"));
  CHECK(first_warning("  00000000-00000fff : Reserved\n")
        .starts_with("iomem:1: indented to depth 1 with no parent line above it; the tree"));
  CHECK(first_warning("            00000000-00000fff : x\n")
        .starts_with("iomem:1: indented 6 levels; the kernel never indents past 5; the tree"));
  CHECK(first_warning(head + "01000000-02209987 : Kernel code\n")
        .starts_with("iomem:3: no line is indented, yet this one lies within line 2 above it, "
                     "'System RAM' 0x100000-0xbfffffff: a flattened listing; the tree was "
                     "rebuilt by address containment (--strict reads it as printed, flat)"));
  // Only the first odd line is named, however many follow.
  const auto sp = parse(head + " 01000000-02209987 : Kernel code\n\t02209988-0240ffff : Kernel "
                               "data\n");
  CHECK(warning_ids(sp) == std::vector<std::string>{"input-indentation@3"});
  CHECK(sp.regions[1].children.size() == 2);
}

TEST_CASE("strict mode (--strict): indentation the kernel would not print is an error",
          "[iomem][indent][errors]")
{
  const std::string head = "00000000-00000fff : Reserved\n00100000-bfffffff : System RAM\n";
  CHECK(strict_error_of(head + "      01000000-02209987 : Kernel code\n")
        == "iomem:3: indentation jumps from depth 0 to depth 3 (one level at a time)");
  CHECK(strict_error_of(head + "\t01000000-02209987 : Kernel code\n")
        == "iomem:3: tab in indentation (the kernel indents with two spaces per level)");
  CHECK(strict_error_of("00000000-00000fff : Reserved\n 00001000-0009fbff : System RAM\n")
        == "iomem:2: odd indentation of 1 space (the kernel indents two per level; a mail "
           "client's format=flowed decoding can strip one)");
  CHECK(strict_error_of("  00000000-00000fff : x\n")
        == "iomem:1: indented to depth 1 with no parent line above it");
  CHECK(strict_error_of("            00000000-00000fff : x\n")
        == "iomem:1: indented 6 levels; the kernel never indents past 5");
  // A listing without indentation is read as printed: a flat listing.
  const auto flat = parse_strict(head + "01000000-02209987 : Kernel code\n");
  CHECK(flat.regions.size() == 3);
  CHECK(flat.warnings.size() == 1);
  CHECK(flat.warnings[0].id == "iomem-overlap");
  // An error in the text comes first when it is on an earlier line, as before.
  CHECK(strict_error_of("0000g000-00000fff : Reserved\n 00001000-0009fbff : x\n")
        == "iomem:1: bad hex digit 'g' in start address '0000g000'");
}

TEST_CASE("indentation deeper than containment allows: the ranges decide", "[iomem][indent]")
{
  // fixtures/malformed/odd-indent: one space says "child of Reserved", the ranges say not.
  const auto sp = parse("00000000-00000fff : Reserved\n 00001000-0009fbff : System RAM\n");
  REQUIRE(sp.regions.size() == 2);
  CHECK(sp.regions[1].name == "System RAM");
  CHECK(sp.regions[1].kind == RegionKind::system_ram);
  CHECK(warning_ids(sp) == std::vector<std::string>{"input-indentation@2"});
  // Kernel-style indentation is the kernel's word: it is read as printed, and what
  // contradicts the ranges is a warning (the listing is not rebuilt).
  const auto kernel = parse("00000000-00000fff : Reserved\n  00001000-0009fbff : System RAM\n");
  CHECK(warning_ids(kernel) == std::vector<std::string>{"iomem-outside-parent@2"});
}

TEST_CASE("equal ranges flattened: file order decides, the earlier line is the parent",
          "[iomem][indent]")
{
  // A BAR and its driver's claim (e6550: 0000:01:00.0 and nvidia), and a chain of three.
  const auto sp = parse("90000000-92ffffff : PCI Bus 0000:01\n"
                        "90000000-91ffffff : 0000:01:00.0\n"
                        "92000000-92ffffff : 0000:01:00.0\n"
                        "92000000-92ffffff : nvidia\n"
                        "f0000000-f7ffffff : PCI MMCONFIG 0 [00-7f]\n"
                        "f0000000-f7ffffff : reserved\n"
                        "f0000000-f7ffffff : pnp 00:01\n");
  REQUIRE(sp.regions.size() == 2);
  const auto& bus = sp.regions[0];
  REQUIRE(bus.children.size() == 2);
  CHECK(bus.children[1].children.at(0).name == "nvidia");
  CHECK(bus.children[1].children.at(0).kind == RegionKind::driver);
  CHECK(bus.children[1].children.at(0).owner.bdf == "0000:01:00.0");
  CHECK(sp.regions[1].children.at(0).children.at(0).name == "pnp 00:01");
  CHECK(sp.regions[1].children.at(0).children.at(0).depth == 2);
  CHECK(warning_ids(sp) == std::vector<std::string>{"input-indentation@2"});
}

TEST_CASE("where containment cannot decide, the listing is rejected", "[iomem][indent][errors]")
{
  // Overlapping ranges (the kernel printed such siblings on ppc64-bar-resize-good): only
  // the indentation could have said how they nest, and it is not the kernel's.
  CHECK(error_of("6200000000000-6203fbff0ffff : PCI Bus 0030:01\n"
                 " 6200020000000-62000207fffff : 0030:01:00.0\n"
                 " 6200000000000-6203fbff0ffff : PCI Bus 0030:02\n")
        == "iomem:3: 'PCI Bus 0030:02' 0x6200000000000-0x6203fbff0ffff overlaps "
           "'0030:01:00.0' 0x6200020000000-0x62000207fffff (line 2) without nesting in it: "
           "the indentation is not the kernel's (see line 2), and containment cannot decide "
           "where this line belongs");
  // Partial overlap, format=flowed.
  CHECK(error_of("00000000-00000fff : a\n 00000000-000000ff : a1\n00000800-00001fff : b\n")
        == "iomem:3: 'b' 0x800-0x1fff overlaps 'a' 0x0-0xfff (line 1) without nesting in it: "
           "the indentation is not the kernel's (see line 2), and containment cannot decide "
           "where this line belongs");
  // Indented less than the line above, yet within it: the indentation contradicts the
  // ranges (no mangling turns a child into a shallower line).
  CHECK(error_of("00000000-0000ffff : a\n"
                 "   00001000-00001fff : b\n"
                 " 00001100-000011ff : c\n")
        == "iomem:3: 'c' 0x1100-0x11ff is indented less than line 2 above it, 'b' "
           "0x1000-0x1fff, yet lies within it: the indentation is not the kernel's (see line "
           "2), and containment cannot decide where this line belongs");
  // A hostile listing of nested ranges would build a tree as deep as it is long; the cap
  // holds for the kernel's saturated indentation too.
  std::string deep;
  std::string saturated;
  for (int i = 0; i < 200; ++i) {
    deep += fmt::format("{:08x}-{:08x} : R{}\n", i, 0xffffff - i, i);
    saturated += fmt::format("{}{:08x}-{:08x} : R{}\n", std::string(2 * std::min(i, 5), ' '),
                             i, 0xffffff - i, i);
  }
  deep += "\t01000000-01ffffff : tabbed\n";  // not flattened: a tab
  CHECK(error_of(deep) == "iomem:129: nested more than 128 levels deep: not a resource listing");
  CHECK(strict_error_of(saturated)
        == "iomem:129: nested more than 128 levels deep: not a resource listing");
  CHECK(error_of(saturated) == strict_error_of(saturated));
}

TEST_CASE("a flattened listing containment cannot rebuild is read as printed",
          "[iomem][indent]")
{
  // Without indentation a listing is also what the kernel prints for a flat tree: where
  // containment cannot decide it is read as --strict reads it, and the warning says why.
  const auto overlap =
    parse("00000000-00000fff : a\n00000000-000000ff : a1\n00000800-00001fff : b\n");
  REQUIRE(overlap.regions.size() == 3);
  REQUIRE_FALSE(overlap.warnings.empty());
  CHECK(overlap.warnings[0].located()
        == "iomem:2: no line is indented, yet this one lies within line 1 above it, 'a' "
           "0x0-0xfff: a flattened listing; containment cannot rebuild it (line 3: 'b' "
           "0x800-0x1fff overlaps 'a' 0x0-0xfff (line 1) without nesting in it), so it is read "
           "as printed");
  CHECK(warning_ids(overlap)
        == std::vector<std::string>{"input-indentation@2", "iomem-overlap@2",
                                    "iomem-overlap@3"});
  // An empty 0-0 line in a flattened listing: nothing says where it nests.
  const auto empty = parse("000a0000-000fffff : Reserved\n"
                           "00000000-00000000 : PCI Bus 0000:00\n"
                           "000a0000-000dffff : PCI Bus 0000:00\n");
  CHECK(empty.regions.size() == 3);
  CHECK(empty.warnings.at(0).message.find("(line 2: 'PCI Bus 0000:00' 0x0-0x0 is an empty "
                                          "resource, which only indentation could place)")
        != std::string::npos);
  // Nested too deep to keep: flat.
  std::string deep;
  for (int i = 0; i < 200; ++i) {
    deep += fmt::format("{:08x}-{:08x} : R{}\n", i, 0xffffff - i, i);
  }
  const auto flat = parse(deep);
  CHECK(flat.regions.size() == 200);
  CHECK(flat.warnings.at(0).message.find("(line 129: nested more than 128 levels deep)")
        != std::string::npos);
}

TEST_CASE("empty 0-0 lines of a mangled listing go by their relative indentation",
          "[iomem][indent]")
{
  // laptop-intel-ucsi-ioremap's empty windows below Reserved, format=flowed.
  const auto sp = parse("00000000-00000fff : Reserved\n"
                        "000a0000-000fffff : Reserved\n"
                        " 00000000-00000000 : PCI Bus 0000:00\n"
                        " 00000000-00000000 : PCI Bus 0000:00\n"
                        " 000a0000-000dffff : PCI Bus 0000:00\n"
                        "   000c0000-000dffff : 0000:00:02.0\n"
                        " 000f0000-000fffff : System ROM\n");
  REQUIRE(sp.regions.size() == 2);
  const auto& res = sp.regions[1];
  REQUIRE(res.children.size() == 4);
  CHECK(res.children[0].line == 3);
  CHECK(res.children[1].line == 4);
  CHECK(res.children[2].children.at(0).name == "0000:00:02.0");
  CHECK(res.children[3].name == "System ROM");
  CHECK(warning_ids(sp)
        == std::vector<std::string>{"input-indentation@3", "iomem-outside-parent@3",
                                    "iomem-outside-parent@4", "iomem-duplicate@4"});
}

TEST_CASE("a hidden view with mangled indentation is rebuilt from relative indentation",
          "[iomem][indent]")
{
  const auto sp = parse("00000000-00000000 : Reserved\n"
                        "00000000-00000000 : System RAM\n"
                        " 00000000-00000000 : Kernel code\n"
                        " 00000000-00000000 : Kernel data\n"
                        "00000000-00000000 : PCI Bus 0000:00\n"
                        " 00000000-00000000 : 0000:00:02.0\n"
                        "   00000000-00000000 : i915\n");
  CHECK(sp.addresses_hidden);
  REQUIRE(sp.regions.size() == 3);
  CHECK(sp.regions[1].children.size() == 2);
  CHECK(sp.regions[1].children[0].kind == RegionKind::kernel_image);
  CHECK(sp.regions[2].children.at(0).children.at(0).name == "i915");
  REQUIRE(sp.warnings.size() == 1);
  CHECK(sp.warnings[0].located()
        == "iomem:3: odd indentation of 1 space (the kernel indents two per level; a mail "
           "client's format=flowed decoding can strip one); every address reads 0-0, so the "
           "tree was rebuilt from each line's indentation relative to the lines above it "
           "(--strict rejects such a listing)");
  // Flattened, a hidden view says nothing about nesting: it is read as printed.
  const auto flat = parse("00000000-00000000 : System RAM\n00000000-00000000 : Kernel code\n");
  CHECK(flat.regions.size() == 2);
  CHECK(flat.warnings.empty());
}

TEST_CASE("ioports: the same rebuild", "[ioports][indent]")
{
  const std::string good = "0000-0cf7 : PCI Bus 0000:00\n"
                           "  0000-001f : dma1\n"
                           "  0020-0021 : pic1\n"
                           "  0060-0060 : keyboard\n"
                           "0cf8-0cff : PCI conf1\n"
                           "0d00-ffff : PCI Bus 0000:00\n"
                           "  e000-efff : PCI Bus 0000:01\n"
                           "    e000-e07f : 0000:01:00.0\n"
                           "      e000-e07f : r8169\n";
  const auto want = parse_strict(good, SpaceKind::io_port);
  for (const std::string& bad :
       {std::string("0000-0cf7 : PCI Bus 0000:00\n 0000-001f : dma1\n 0020-0021 : pic1\n"
                    " 0060-0060 : keyboard\n0cf8-0cff : PCI conf1\n0d00-ffff : PCI Bus 0000:00\n"
                    " e000-efff : PCI Bus 0000:01\n   e000-e07f : 0000:01:00.0\n"
                    "     e000-e07f : r8169\n"),
        std::string("0000-0cf7 : PCI Bus 0000:00\n0000-001f : dma1\n0020-0021 : pic1\n"
                    "0060-0060 : keyboard\n0cf8-0cff : PCI conf1\n0d00-ffff : PCI Bus 0000:00\n"
                    "e000-efff : PCI Bus 0000:01\ne000-e07f : 0000:01:00.0\n"
                    "e000-e07f : r8169\n")}) {
    const auto sp = parse_resource_tree(bad, "iomem", SpaceKind::io_port);
    CHECK(sp.kind == SpaceKind::io_port);
    CHECK(nodes(sp) == nodes(want));
    CHECK(warning_ids(sp) == std::vector<std::string>{"input-indentation@2"});
    CHECK(sp.regions[2].children.at(0).children.at(0).children.at(0).kind == RegionKind::driver);
    if (bad.find("\n ") != std::string::npos) {
      CHECK_THROWS_AS(parse_resource_tree(bad, "iomem", SpaceKind::io_port, true), InputError);
    } else {
      CHECK(parse_resource_tree(bad, "iomem", SpaceKind::io_port, true).regions.size() == 9);
    }
  }
}
