// Differential tests: memmap's decode of every device equals what lspci prints, for every
// dump in ../shared/corpus/lspci/ (`lspci -F DUMP -vvv`) and live on this machine
// (`lspci -vvv` for CPU addresses, `lspci -b -vvv` for bus addresses).
#include <catch2/catch.hpp>

#include "lspci_output.hpp"
#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

#include <memmap/pci/loader.hpp>
#include <memmap/pci/lspci_text.hpp>
#include <memmap/source/pci_names.hpp>
#include <memmap/source/sysroot.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace fs = std::filesystem;
using namespace memmap;

namespace {

// The corpus's lspci dumps, and lspci to read them; either missing fails, saying which.
std::vector<fs::path>
corpus_dumps()
{
  auto files = test::corpus_files("lspci");
  REQUIRE(files.size() >= 40);
  test::require_lspci();
  return files;
}

// lspci's capability wording -> the ids it may stand for (the library's table, which the
// dump loader uses to read capabilities from the text).
std::set<int>
ids_for(const lspci_out::Cap& c)
{
  const auto ids = pci::lspci_capability_ids(c.text, c.extended);
  return std::set<int>(ids.begin(), ids.end());  // empty: a name the table does not know; the offset is still compared
}

void
compare_caps(const pci::CapabilityList& mine, const std::vector<lspci_out::Cap>& theirs, bool extended,
             int& checks)
{
  std::vector<lspci_out::Cap> lst;
  for (const auto& c : theirs) {
    if (c.extended == extended) {
      lst.push_back(c);
    }
  }
  // memmap stops at pointers into the header (the kernel's rule) where lspci walks on; it
  // says so in `problems`. Up to there both lists agree.
  if (mine.problems.empty()) {
    CHECK(mine.entries.size() == lst.size());
  } else {
    CHECK(mine.entries.size() <= lst.size());
  }
  for (std::size_t i = 0; i < std::min(mine.entries.size(), lst.size()); ++i) {
    INFO("capability " << i << ": lspci says [" << std::hex << lst[i].offset << "] " << lst[i].text);
    CHECK(mine.entries[i].offset == lst[i].offset);
    const auto ids = ids_for(lst[i]);
    if (!ids.empty()) {
      CHECK(ids.count(mine.entries[i].id) == 1);
    }
    ++checks;
  }
}

// Compare one device. `cpu`: lspci printed CPU addresses (live, sysfs); else bus addresses.
// `window_bits`: compare the windows' widths; lspci 3.9 takes them for sysfs from the low
// nibble of the row's start, which is always 0 (every window reads 16/32-bit), so sysroot
// comparisons leave them out.
void
compare_device(const pci::Device& d, const lspci_out::Device& l, bool cpu, bool with_caps, int& checks,
               bool window_bits = true)
{
  INFO("device " << d.bdf);
  // lspci 3.9 prints the upper half of a 64-bit BAR as a BAR of its own when it reads from
  // config space (dumps, -b) and the upper dword is not 0; memmap does not. Drop those.
  std::vector<lspci_out::Region> regions;
  for (const auto& r : l.regions) {
    const bool upper_half = std::any_of(d.bars.begin(), d.bars.end(), [&](const pci::Bar& b) {
      return b.bits == 64 && !b.broken_64 && b.index + 1 == r.index;
    });
    if (!upper_half) {
      regions.push_back(r);
    }
  }
  // A VF's BARs placed from its PF (a dump) are not in its own registers, which lspci -F
  // reads: they are compared with lspci's sysfs view of the same machine instead. Bus-centric
  // lspci (-F, -b) shows no virtual BAR (its register reads 0).
  std::vector<const pci::Bar*> bars;
  for (const auto& b : d.bars) {
    if (!b.from_pf && (cpu || !b.is_virtual)) {
      bars.push_back(&b);
    }
  }
  REQUIRE(bars.size() == regions.size());
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = *bars[i];
    const auto& r = regions[i];
    INFO("BAR " << b.index << " (lspci: Region " << r.index << r.words << ")");
    CHECK(b.index == r.index);
    CHECK((b.kind == pci::BarKind::io) == r.io);
    if (!r.io) {
      CHECK(b.bits == r.bits);
      CHECK(b.prefetchable == r.prefetchable);
    }
    CHECK(b.broken_64 == r.broken);
    // Bus-centric lspci (-b, -F) prints the register, also where the kernel disowns it.
    const auto mine = cpu ? b.cpu_address : b.bus_address ? b.bus_address : b.register_address;
    if (r.address && *r.address != 0) {
      CHECK(mine == r.address);
    } else if (!r.address) {
      CHECK(!mine);
    }
    ++checks;
  }
  CHECK(d.rom.has_value() == l.rom);
  if (d.rom && l.rom) {
    const auto mine = cpu ? d.rom->cpu_address : d.rom->bus_address;
    CHECK(mine == l.rom_address);
    CHECK(d.rom->enabled == l.rom_enabled);
    ++checks;
  }
  // Windows lspci prints as live. With the kernel's rows (sysfs, `cpu`): the windows memmap
  // calls enabled, and those the kernel could not assign, which lspci shows at the row's
  // start 0 with the row's size where memmap says unassigned, with no address. Bus-centric
  // (-F, -b): what the registers enable, whatever the kernel says.
  auto live_in_lspci = [&](const pci::BridgeWindow& w) {
    return cpu ? w.enabled || w.kernel == pci::KernelWindow::unset : w.registers_enabled;
  };
  std::vector<const pci::BridgeWindow*> wins;
  for (const auto& w : d.windows) {
    if (live_in_lspci(w)) {
      wins.push_back(&w);
    }
  }
  REQUIRE(wins.size() == l.windows.size());
  for (std::size_t i = 0; i < wins.size(); ++i) {
    INFO("window " << l.windows[i].kind);
    const auto& w = *wins[i];
    CHECK(pci::to_string(w.kind) == l.windows[i].kind);
    if (cpu && w.kernel == pci::KernelWindow::unset) {
      CHECK_FALSE(w.enabled);
      CHECK_FALSE(w.cpu_start);
      CHECK(l.windows[i].start == 0);
      CHECK(w.kernel_size == l.windows[i].end + 1);
    } else {
      CHECK((cpu ? w.start() : w.bus_start) == l.windows[i].start);
      CHECK((cpu ? w.end() : w.bus_end) == l.windows[i].end);
    }
    if (l.windows[i].bits > 0 && window_bits) {
      CHECK(w.bits == l.windows[i].bits);
    }
    ++checks;
  }
  // The rest of a PCI-to-PCI bridge's windows: lspci says "[disabled]", or nothing where the
  // kernel has no window and the registers read 0 (no such decoder: lspci's rule too).
  for (const auto& w : d.windows) {
    if (live_in_lspci(w) || w.cardbus_index >= 0) {
      continue;
    }
    INFO("window " << pci::to_string(w.kind) << " not live: kernel says " << pci::to_string(w.kernel));
    const auto n = std::count_if(l.disabled_windows.begin(), l.disabled_windows.end(),
                                 [&](const lspci_out::Window& x) { return x.kind == pci::to_string(w.kind); });
    const bool unsupported = cpu && w.registers_zero && w.kind != pci::WindowKind::mem
                             && w.kernel != pci::KernelWindow::unknown;
    CHECK(n == (unsupported ? 0 : 1));
    ++checks;
  }
  if (with_caps) {
    CHECK(d.capabilities.access_denied == l.caps_denied);
    compare_caps(d.capabilities, l.caps, false, checks);
    compare_caps(d.extended_capabilities, l.caps, true, checks);
  }
  // Resizable BAR.
  std::vector<const pci::RebarEntry*> rebar;
  bool rebar_problem = false;
  for (const auto& rb : d.rebars) {
    if (!rb.vf) {
      for (const auto& e : rb.entries) {
        rebar.push_back(&e);
      }
      rebar_problem = rebar_problem || rb.declared_entries == 0;
    }
  }
  CHECK(rebar_problem == l.rebar_error);
  REQUIRE(rebar.size() == l.rebar.size());
  for (std::size_t i = 0; i < rebar.size(); ++i) {
    CHECK(rebar[i]->bar == l.rebar[i].bar);
    CHECK(rebar[i]->current_size == l.rebar[i].current);
    CHECK(rebar[i]->supported_sizes == l.rebar[i].supported);
    ++checks;
  }
  // SR-IOV.
  CHECK(d.sriov.has_value() == l.sriov);
  if (d.sriov && l.sriov) {
    CHECK(d.sriov->total_vfs == l.total_vfs);
    CHECK(d.sriov->num_vfs == l.num_vfs);
    std::vector<const pci::Bar*> vfs;
    for (const auto& b : d.sriov->vf_bars) {
      if (b.bus_address || b.register_address) {
        vfs.push_back(&b);  // lspci lists the VF BARs whose register is not 0
      }
    }
    REQUIRE(vfs.size() == l.vf_regions.size());
    for (std::size_t i = 0; i < vfs.size(); ++i) {
      CHECK(vfs[i]->index == l.vf_regions[i].index);
      CHECK((vfs[i]->bus_address ? vfs[i]->bus_address : vfs[i]->register_address) == l.vf_regions[i].address);
      CHECK(vfs[i]->bits == l.vf_regions[i].bits);
      CHECK(vfs[i]->prefetchable == l.vf_regions[i].prefetchable);
      ++checks;
    }
  }
}

} // namespace

TEST_CASE("pci differential: every corpus dump decodes as lspci -F -vvv prints it",
          "[pci][differential][corpus][lspci]")
{
  source::PciNames names;
  int devices = 0;
  int checks = 0;
  for (const auto& f : corpus_dumps()) {
    INFO("dump " << f.filename().string());
    const auto model = pci::load_dump(f.string(), names, false);
    const auto theirs =
      lspci_out::parse(lspci_out::run("lspci -F '" + f.string() + "' -vvv 2>/dev/null"));
    REQUIRE(model.devices.size() == theirs.size());
    for (std::size_t i = 0; i < theirs.size(); ++i) {
      REQUIRE(model.devices[i].bdf == theirs[i].bdf);
      compare_device(model.devices[i], theirs[i], false, true, checks);
      ++devices;
    }
  }
  CHECK(devices > 600);
  CHECK(checks > 2500);
}

TEST_CASE("pci differential: live sysfs decodes as lspci -vvv and lspci -b -vvv print it",
          "[pci][differential][live][lspci]")
{
  test::require_path("/sys/bus/pci/devices");  // ctest skips unit.live.sysfs without it or lspci
  test::require_lspci();
  source::PciNames names;
  const auto model = pci::load_sysfs(source::SysRoot("/"), names);
  const auto cpu = lspci_out::parse(lspci_out::run("lspci -D -vvv 2>/dev/null"));
  const auto bus = lspci_out::parse(lspci_out::run("lspci -D -b -vvv 2>/dev/null"));
  REQUIRE(model.devices.size() == cpu.size());
  REQUIRE(model.devices.size() == bus.size());
  REQUIRE(!model.devices.empty());
  int checks = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    REQUIRE(model.devices[i].bdf == cpu[i].bdf);
    if (model.devices[i].asleep) {
      continue;
    }
    compare_device(model.devices[i], cpu[i], true, true, checks);
    compare_device(model.devices[i], bus[i], false, false, checks);
  }
  CHECK(checks > 0);
}

namespace {

// "0000:09:02.1 0200: 8086:154c (rev 02)" lines of `lspci -D -n` -> BDF -> "8086:154c".
std::map<std::string, std::string>
lspci_ids(const std::string& text)
{
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string bdf, cls, ids;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    if (l >> bdf >> cls >> ids) {
      out[bdf] = ids;
    }
  }
  return out;
}

} // namespace

// bench/gen-sysroot 24 DIR --vfs 2 --vf-links some --bare-bridges --unset-window --pci-only
// --dump DIR/lspci-xxxx.txt: VFs (IDs ffff) with and without physfn links, bridges without an
// I/O, a prefetchable or either decoder, an unassigned prefetchable window with unassigned
// BARs behind it; the same machine as sysfs and as an lspci -xxxx dump.
TEST_CASE("pci differential: generated VFs, bare bridges and unset windows as lspci prints them",
          "[pci][differential][sriov][windows][lspci]")
{
  test::require_lspci();  // pciutils: libpci is a build dependency, lspci comes with it
  const fs::path root = test::fixture("sysroot-gen-vfs-windows");
  const std::string sysfs = (root / "sys" / "bus" / "pci").string();
  const std::string dump = (root / "lspci-xxxx.txt").string();
  source::PciNames names;
  const auto sys = pci::load_sysfs(source::SysRoot(root.string()), names);
  const auto dm = pci::load_dump(dump, names, false);
  const std::string opt = "lspci -A linux-sysfs -O sysfs.path='" + sysfs + "' -D ";
  const auto cpu = lspci_out::parse(lspci_out::run(opt + "-vvv 2>/dev/null"));
  const auto bus = lspci_out::parse(lspci_out::run(opt + "-b -vvv 2>/dev/null"));
  const auto fdump = lspci_out::parse(lspci_out::run("lspci -F '" + dump + "' -D -vvv 2>/dev/null"));
  REQUIRE(sys.devices.size() == cpu.size());
  REQUIRE(sys.devices.size() == bus.size());
  REQUIRE(dm.devices.size() == fdump.size());
  REQUIRE(sys.devices.size() == dm.devices.size());
  int checks = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    REQUIRE(sys.devices[i].bdf == cpu[i].bdf);
    REQUIRE(dm.devices[i].bdf == fdump[i].bdf);
    compare_device(sys.devices[i], cpu[i], true, true, checks, false);
    compare_device(sys.devices[i], bus[i], false, false, checks);
    compare_device(dm.devices[i], fdump[i], false, true, checks);
  }

  // The VFs: the IDs lspci shows for sysfs (the kernel's), in both models; in the dump,
  // where derived from the PF, the same. BARs placed from the PF where the per-VF size
  // allows are the ones lspci shows for sysfs ([virtual]).
  const auto ids = lspci_ids(lspci_out::run(opt + "-n 2>/dev/null"));
  int vfs = 0;
  for (std::size_t i = 0; i < dm.devices.size(); ++i) {
    const auto& d = dm.devices[i];
    const auto& s = sys.devices[i];
    if (s.physfn.empty()) {
      CHECK(d.physfn.empty());
      continue;
    }
    INFO("VF " << d.bdf);
    ++vfs;
    CHECK(d.physfn == s.physfn);
    REQUIRE(ids.count(d.bdf) == 1);
    CHECK(fmt::format("{:04x}:{:04x}", *s.vendor_id, *s.device_id) == ids.at(d.bdf));
    CHECK(fmt::format("{:04x}:{:04x}", *d.vendor_id, *d.device_id) == ids.at(d.bdf));
    REQUIRE(d.bars.size() == cpu[i].regions.size());
    for (std::size_t k = 0; k < d.bars.size(); ++k) {
      CHECK(d.bars[k].index == cpu[i].regions[k].index);
      CHECK(d.bars[k].bits == cpu[i].regions[k].bits);
      CHECK(d.bars[k].prefetchable == cpu[i].regions[k].prefetchable);
      CHECK(cpu[i].regions[k].words.find("[virtual]") != std::string::npos);
      CHECK(d.bars[k].is_virtual);
      if (d.bars[k].bus_address) {
        CHECK(d.bars[k].bus_address == cpu[i].regions[k].address);
        ++checks;
      }
    }
  }
  CHECK(vfs == 4);
  CHECK(checks > 150);
}

// ---------------------------------------------------------------------------------------
// Generated cases: every corpus dump turned into what real files also look like (text with
// no hex, `lspci -v -x` with 64 bytes, a dump cut at a line boundary), read by memmap and by
// lspci, compared on what both can know.

namespace {

using test::slurp;

bool
is_hex_line(const std::string& l, std::size_t& offset)
{
  std::size_t n = 0;
  while (n < l.size() && std::isxdigit(static_cast<unsigned char>(l[n]))) {
    ++n;
  }
  if (n < 2 || n > 8 || n + 1 >= l.size() || l[n] != ':' || l[n + 1] != ' ') {
    return false;
  }
  offset = std::stoul(l.substr(0, n), nullptr, 16);
  return true;
}

// The file with every hex line at or past `cut` left out (0: every hex line). `cardbus`:
// the cut for a CardBus bridge (header type 2), which lspci -x dumps with 128 bytes.
std::string
cut_hex(const std::string& text, std::size_t cut, std::size_t cardbus = 0)
{
  std::string out;
  std::istringstream in(text);
  std::string line;
  std::size_t limit = cut;
  while (std::getline(in, line)) {
    std::size_t off = 0;
    if (!is_hex_line(line, off)) {
      out += line + '\n';
      continue;
    }
    if (off == 0) {
      // "00: vv vv dd dd cc cc ss ss rr pp ss cc ll lt ht bb": header type at byte 0x0e.
      const bool cb = line.size() >= 4 + 3 * 15 && (std::stoul(line.substr(4 + 3 * 14, 2), nullptr, 16) & 0x7f) == 2;
      limit = cb && cardbus ? cardbus : cut;
    }
    if (off < limit) {
      out += line + '\n';
    }
  }
  return out;
}

struct GenDir {
  test::TempDir dir{"differential"};
  std::string write(const fs::path& from, const std::string& what, const std::string& text) const
  {
    return dir.write(from.stem().string() + "." + what + ".txt", text).string();
  }
};

const pci::TextDevice*
text_of(const pci::LspciText& t, const std::string& bdf)
{
  for (const auto& d : t.devices) {
    if (d.bdf == bdf) {
      return &d;
    }
  }
  return nullptr;
}

// The capability lists memmap took (partly) from the text, against lspci's walk of the
// whole original hex: both came from the config space lspci read live.
void
compare_text_caps(const pci::Device& d, const pci::TextDevice& td, const lspci_out::Device& full, int& checks)
{
  if (td.caps.empty()) {
    return;  // no capability lines (lspci -x alone, or <access denied>): nothing to compare
  }
  if (td.hex_bytes >= 256 && !full.caps_denied) {
    compare_caps(d.capabilities, full.caps, false, checks);
  }
  if (td.hex_bytes >= 4096) {
    compare_caps(d.extended_capabilities, full.caps, true, checks);
  }
}

} // namespace

TEST_CASE("pci differential, generated: functions with text and no hex read as lspci read the whole dump",
          "[pci][differential][lspci-text][corpus][lspci]")
{
  const GenDir gen;
  source::PciNames names;
  int devices = 0;
  int ids = 0;
  int bars = 0;
  int checks = 0;
  for (const auto& f : corpus_dumps()) {
    INFO("dump " << f.filename().string());
    const std::string text = slurp(f);
    const auto scanned = pci::scan_lspci_text(text, f.string());
    const std::string file = gen.write(f, "text-only", cut_hex(text, 0));
    const auto mine = pci::load_dump(file, names);
    const auto whole = pci::load_dump(f.string(), names);  // hex and text: for the translation offsets
    const auto theirs = lspci_out::parse(lspci_out::run("lspci -F '" + f.string() + "' -vvv 2>/dev/null"));
    const auto ident = lspci_out::parse_vmmn(lspci_out::run("lspci -F '" + f.string() + "' -vmmn 2>/dev/null"));
    REQUIRE(mine.devices.size() == theirs.size());
    REQUIRE(ident.size() == theirs.size());
    CHECK(mine.problems.empty());  // no hex is not a cut
    CHECK_FALSE(mine.config_truncated);
    for (std::size_t i = 0; i < theirs.size(); ++i) {
      const auto& d = mine.devices[i];
      INFO("device " << d.bdf);
      REQUIRE(d.bdf == theirs[i].bdf);
      REQUIRE(ident[i].bdf == d.bdf);
      const auto* td = text_of(scanned, d.bdf);
      REQUIRE(td);
      CHECK_FALSE(d.absent);      // no hex is not "reads all ones"
      CHECK(d.config.empty());
      CHECK(d.vendor_id != std::optional<std::uint16_t>(0xffff));
      if (td->hex_bytes == 0 || whole.devices[i].absent) {
        continue;  // lspci -F had no hex for it either (or all ones): nothing to compare with
      }
      ++devices;
      // Identity: from a -nn header, equal to lspci's decode of the hex; otherwise unknown.
      if (td->vendor_id) {
        CHECK(d.ids_from_text);
        CHECK(d.vendor_id == ident[i].vendor);
        CHECK(d.device_id == ident[i].device);
        if (td->prog_if || td->verbose) {
          REQUIRE(d.class_code);
          CHECK(static_cast<int>(*d.class_code >> 8) == ident[i].cls);
          CHECK(static_cast<int>(*d.class_code & 0xff) == ident[i].prog_if);
        } else {
          CHECK_FALSE(d.class_code);  // without -v lspci prints no prog-if: the low byte is unknown
        }
        CHECK(d.revision == ident[i].rev);
        ++ids;
      } else {
        CHECK_FALSE(d.vendor_id);
        CHECK_FALSE(d.device_id);
      }
      compare_text_caps(d, *td, theirs[i], checks);
      // BARs from "Region N:" lines (-vv); lspci -v gives no BAR numbers and memmap takes none.
      const bool numbered =
        std::all_of(td->regions.begin(), td->regions.end(), [](const pci::TextRegion& r) { return r.index >= 0; });
      if (!numbered) {
        CHECK(d.bars.empty());
        continue;
      }
      for (const auto& r : theirs[i].regions) {
        const auto& wb = whole.devices[i].bars;
        const bool upper_half = std::any_of(wb.begin(), wb.end(), [&](const pci::Bar& b) {
          return b.bits == 64 && !b.broken_64 && b.index + 1 == r.index;
        });
        if (upper_half) {
          continue;
        }
        INFO("BAR " << r.index << " (lspci: Region " << r.index << r.words << ")");
        const pci::Bar* b = nullptr;
        for (const auto& x : d.bars) {
          b = x.index == r.index ? &x : b;
        }
        if (!b) {
          // The register holds an address, the kernel gave the BAR no resource and lspci's
          // live text has no line for it: memmap, reading the text, has none either.
          CHECK(std::none_of(td->regions.begin(), td->regions.end(),
                             [&](const pci::TextRegion& t) { return t.index == r.index; }));
          continue;
        }
        CHECK(b->from_text);
        CHECK((b->kind == pci::BarKind::io) == r.io);
        if (!r.io) {
          CHECK(b->bits == r.bits);
          CHECK(b->prefetchable == r.prefetchable);
        }
        // The text has CPU addresses, lspci -F bus addresses: equal where the host bridge
        // does not translate.
        const pci::Bar* w = nullptr;
        for (const auto& x : wb) {
          w = x.index == r.index ? &x : w;
        }
        if (w && w->cpu_address && w->bus_address == w->cpu_address && r.address && *r.address != 0) {
          CHECK(b->cpu_address == r.address);
        }
        ++bars;
      }
      // A BAR the text has and lspci -F does not is one the kernel reports and the register
      // does not hold ([virtual]).
      for (const auto& b : d.bars) {
        const bool listed = std::any_of(theirs[i].regions.begin(), theirs[i].regions.end(),
                                        [&](const lspci_out::Region& r) { return r.index == b.index; });
        if (!listed) {
          CHECK(b.is_virtual);
        }
      }
    }
  }
  CHECK(devices > 500);
  CHECK(ids > 300);
  CHECK(bars > 450);
  CHECK(checks > 1400);
}

TEST_CASE("pci differential, generated: 64-byte dumps with text capability lines (lspci -v -x)",
          "[pci][differential][lspci-text][corpus][lspci]")
{
  const GenDir gen;
  source::PciNames names;
  int files = 0;
  int checks = 0;
  for (const auto& f : corpus_dumps()) {
    INFO("dump " << f.filename().string());
    const std::string text = slurp(f);
    const auto scanned = pci::scan_lspci_text(text, f.string());
    const std::string file = gen.write(f, "x64", cut_hex(text, 0x40, 0x80));
    const auto mine = pci::load_dump(file, names);
    const auto bare = pci::load_dump(file, names, false);
    const auto full = lspci_out::parse(lspci_out::run("lspci -F '" + f.string() + "' -vvv 2>/dev/null"));
    const auto cut = lspci_out::parse(lspci_out::run("lspci -F '" + file + "' -vvv 2>/dev/null"));
    REQUIRE(mine.devices.size() == full.size());
    REQUIRE(bare.devices.size() == cut.size());
    // 64 bytes everywhere is lspci -x: one notice, no warning per function.
    CHECK(mine.problems.empty());
    const bool any_hex = std::any_of(scanned.devices.begin(), scanned.devices.end(),
                                     [](const pci::TextDevice& td) { return td.hex_bytes > 0; });
    CHECK(mine.config_truncated == any_hex);
    for (std::size_t i = 0; i < full.size(); ++i) {
      INFO("device " << mine.devices[i].bdf);
      REQUIRE(bare.devices[i].bdf == cut[i].bdf);
      compare_device(bare.devices[i], cut[i], false, true, checks);  // the hex alone, as lspci reads it
      const auto* td = text_of(scanned, mine.devices[i].bdf);
      REQUIRE(td);
      if (!bare.devices[i].absent && td->hex_bytes > 0) {
        compare_text_caps(mine.devices[i], *td, full[i], checks);
      }
    }
    ++files;
  }
  CHECK(files >= 40);
  CHECK(checks > 2000);
}

TEST_CASE("pci differential, generated: dumps cut at 0x800 and at 0xc0 warn and decode as lspci reads them",
          "[pci][differential][lspci-text][corpus][lspci]")
{
  const GenDir gen;
  source::PciNames names;
  int warned = 0;
  int checks = 0;
  for (const auto& f : corpus_dumps()) {
    INFO("dump " << f.filename().string());
    const std::string text = slurp(f);
    const auto scanned = pci::scan_lspci_text(text, f.string());
    const auto full = lspci_out::parse(lspci_out::run("lspci -F '" + f.string() + "' -vvv 2>/dev/null"));
    for (const std::size_t at : {std::size_t{0x800}, std::size_t{0xc0}}) {
      INFO("cut at " << std::hex << at);
      const bool cuts = std::any_of(scanned.devices.begin(), scanned.devices.end(),
                                    [&](const pci::TextDevice& td) { return td.hex_bytes > at; });
      if (!cuts) {
        continue;
      }
      const std::string file = gen.write(f, at == 0x800 ? "cut800" : "cutc0", cut_hex(text, at));
      const auto gen_scanned = pci::scan_lspci_text(slurp(file), file);
      const auto bare = pci::load_dump(file, names, false);
      const auto mine = pci::load_dump(file, names);
      const auto theirs = lspci_out::parse(lspci_out::run("lspci -F '" + file + "' -vvv 2>/dev/null"));
      REQUIRE(bare.devices.size() == theirs.size());
      for (std::size_t i = 0; i < theirs.size(); ++i) {
        const auto& d = bare.devices[i];
        INFO("device " << d.bdf);
        REQUIRE(d.bdf == theirs[i].bdf);
        compare_device(d, theirs[i], false, true, checks);
        const auto* td = text_of(scanned, d.bdf);
        const auto* gd = text_of(gen_scanned, d.bdf);
        REQUIRE(td);
        REQUIRE(gd);
        // Each function cut gets one warning naming the file and its last hex line; the
        // others none.
        int n = 0;
        for (const auto& p : bare.problems) {
          if (p.id == "lspci-dump-short" && p.message.rfind(d.bdf + ":", 0) == 0) {
            ++n;
            CHECK(p.file == file);
            CHECK(p.line == gd->hex_last_line);
            CHECK(p.message.find(fmt::format("{:#x}", at)) != std::string::npos);
          }
        }
        CHECK(n == (td->hex_bytes > at ? 1 : 0));
        warned += n;
        // With the text, the capabilities past the cut are those lspci found in the whole dump.
        if (!d.absent && td->hex_bytes > at) {
          compare_text_caps(mine.devices[i], *td, full[i], checks);
        }
      }
      CHECK_FALSE(bare.config_truncated);  // a cut is not lspci -x
      CHECK(mine.problems.size() == bare.problems.size());
    }
  }
  CHECK(warned > 400);
  CHECK(checks > 3000);
}
