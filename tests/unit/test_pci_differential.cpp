// Differential tests: memmap's decode of every device equals what lspci prints, for every
// dump in ../shared/corpus/lspci/ (`lspci -F DUMP -vvv`) and live on this machine
// (`lspci -vvv` for CPU addresses, `lspci -b -vvv` for bus addresses).
#include <catch2/catch.hpp>

#include "lspci_output.hpp"

#include <memmap/pci/loader.hpp>
#include <memmap/source/pci_names.hpp>
#include <memmap/source/sysroot.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace fs = std::filesystem;
using namespace memmap;

namespace {

bool
have_lspci()
{
  return std::system("lspci --version >/dev/null 2>&1") == 0;
}

// lspci's capability wording -> the ids it may stand for.
std::set<int>
ids_for(const lspci_out::Cap& c)
{
  struct Entry {
    const char* prefix;
    bool ext;
    std::set<int> ids;
  };
  static const std::vector<Entry> k_table = {
    {"Power Management version", false, {0x01}}, {"AGP version", false, {0x02}},
    {"Vital Product Data", false, {0x03}},       {"Slot ID", false, {0x04}},
    {"MSI:", false, {0x05}},                     {"CompactPCI hot-swap", false, {0x06}},
    {"PCI-X", false, {0x07}},                    {"HyperTransport", false, {0x08}},
    {"Vendor Specific Information", false, {0x09}}, {"Debug port", false, {0x0a}},
    {"Hot-plug capable", false, {0x0c}},         {"Subsystem:", false, {0x0d}},
    {"AGP3", false, {0x0e}},                     {"Express", false, {0x10}},
    {"MSI-X", false, {0x11}},                    {"SATA HBA", false, {0x12}},
    {"PCI Advanced Features", false, {0x13}},    {"Enhanced Allocation", false, {0x14}},
    {"Advanced Error Reporting", true, {0x01}},  {"Virtual Channel", true, {0x02, 0x09}},
    {"Device Serial Number", true, {0x03}},      {"Power Budgeting", true, {0x04}},
    {"Root Complex Link", true, {0x05}},         {"Root Complex Internal Link", true, {0x06}},
    {"Root Complex Event Collector", true, {0x07}},
    {"Multi-Function Virtual Channel", true, {0x08}},
    {"Vendor Specific Information", true, {0x0b}}, {"Access Control Services", true, {0x0d}},
    {"Alternative Routing-ID Interpretation", true, {0x0e}},
    {"Address Translation Service", true, {0x0f}},
    {"Single Root I/O Virtualization", true, {0x10}}, {"Multicast", true, {0x12}},
    {"Page Request Interface", true, {0x13}},     {"Physical Resizable BAR", true, {0x15}},
    {"Latency Tolerance Reporting", true, {0x18}}, {"Secondary PCI Express", true, {0x19}},
    {"Process Address Space ID", true, {0x1b}},   {"Downstream Port Containment", true, {0x1d}},
    {"L1 PM Substates", true, {0x1e}},            {"Precision Time Measurement", true, {0x1f}},
    {"Designated Vendor-Specific", true, {0x23}}, {"Data Link Feature", true, {0x25}},
    {"Physical Layer 16.0 GT/s", true, {0x26}},   {"Lane Margining at the Receiver", true, {0x27}},
    {"Physical Layer 32.0 GT/s", true, {0x2a}},   {"Data Object Exchange", true, {0x2e}},
  };
  for (const auto& e : k_table) {
    if (e.ext == c.extended && lspci_out::starts(c.text, e.prefix)) {
      return e.ids;
    }
  }
  if (lspci_out::starts(c.text, "Extended Capability ID 0x")) {
    return {static_cast<int>(std::stoul(c.text.substr(25), nullptr, 16))};
  }
  if (!c.extended && lspci_out::starts(c.text, "#")) {
    return {static_cast<int>(std::stoul(c.text.substr(1, 2), nullptr, 16))};
  }
  return {};  // a name this table does not know: the offset is still compared
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

TEST_CASE("pci differential: every corpus dump decodes as lspci -F -vvv prints it", "[pci][differential]")
{
  const fs::path corpus = fs::path(MEMMAP_SHARED_DIR) / "corpus" / "lspci";
  if (!fs::is_directory(corpus) || !have_lspci()) {
    WARN("skipped: " << corpus << " or lspci is missing");
    return;
  }
  source::PciNames names;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(corpus)) {
    if (e.path().extension() == ".txt") {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 40);
  int devices = 0;
  int checks = 0;
  for (const auto& f : files) {
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
          "[pci][differential][live]")
{
  if (!fs::is_directory("/sys/bus/pci/devices") || !have_lspci()) {
    WARN("skipped: no /sys/bus/pci or no lspci");
    return;
  }
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
          "[pci][differential][sriov][windows]")
{
  REQUIRE(have_lspci());  // pciutils: libpci is a build dependency, lspci comes with it
  const fs::path root = fs::path(MEMMAP_SOURCE_DIR) / "fixtures" / "sysroot-gen-vfs-windows";
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
