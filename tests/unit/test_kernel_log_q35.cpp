// The kernel log of a real failed BAR assignment: fixtures/qemu-q35-bar-fail, one boot of the
// tests/vm barfail machine (Debian's 6.12 kernel on QEMU q35, an ivshmem-plain with a 64 GiB
// BAR 2 on a CPU with phys-bits=36; see the fixture's README.md). The expected events were read
// by hand off the captured records (var/log/memmap-kmsg): a record's line in the flattened log
// is its sequence number + 1, since the log starts at seq 0 and every record is one line.
#include <catch2/catch.hpp>

#include <memmap/pci/kernel_log.hpp>
#include <memmap/pci/sysfs_resource.hpp>
#include <memmap/source/kernel_log.hpp>
#include <memmap/source/sysroot.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace memmap;
using pci::LogEventKind;
using pci::LogForm;
using pci::LogResourceKind;
using pci::LogSpace;

namespace fs = std::filesystem;

namespace {

const fs::path&
fixture_root()
{
  static const fs::path root = fs::path(MEMMAP_SOURCE_DIR) / "fixtures/qemu-q35-bar-fail";
  return root;
}

std::string
slurp(const fs::path& p)
{
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fixture's log as memmap --root reads it, parsed.
struct Q35Log {
  source::KernelLog log;
  pci::KernelLogEvents events;
};

const Q35Log&
q35_log()
{
  static const Q35Log parsed = [] {
    auto read = source::read_kernel_log(source::SysRoot(fixture_root()));
    REQUIRE(read.log.has_value());
    Q35Log q;
    q.log = *read.log;
    q.events = pci::parse_kernel_log(q.log.text);
    return q;
  }();
  return parsed;
}

// "[mem size 0x1000000000 64bit pref]": the 64 GiB resource before it has an address.
void
check_unset_64g(const pci::LogEvent& ev)
{
  REQUIRE(ev.range.has_value());
  CHECK(ev.range->space == LogSpace::mem);
  CHECK(ev.range->size_only);
  CHECK(ev.range->size == 0x1000000000ULL);
  CHECK(ev.range->is_64bit);
  CHECK(ev.range->prefetchable);
}

// "[mem 0x1000000000-0x1fffffffff 64bit pref]": where SeaBIOS put it, above what the CPU
// addresses.
void
check_at_64g(const pci::LogEvent& ev)
{
  REQUIRE(ev.range.has_value());
  CHECK(ev.range->space == LogSpace::mem);
  CHECK_FALSE(ev.range->size_only);
  CHECK(ev.range->start == 0x1000000000ULL);
  CHECK(ev.range->end == 0x1fffffffffULL);
  CHECK(ev.range->size == 0x1000000000ULL);
  CHECK(ev.range->is_64bit);
  CHECK(ev.range->prefetchable);
}

// The line of the flattened log, for messages that name the event's text.
std::string
line_of(const std::string& text, std::size_t n)
{
  std::size_t pos = 0;
  for (std::size_t i = 1; i < n; ++i) {
    pos = text.find('\n', pos);
    REQUIRE(pos != std::string::npos);
    ++pos;
  }
  return text.substr(pos, text.find('\n', pos) - pos);
}

} // namespace

TEST_CASE("q35 bar-fail: the snapshot's kernel log is read as /dev/kmsg records", "[klog]")
{
  const auto& q = q35_log();
  CHECK(q.log.from_kmsg);
  CHECK(q.log.records == 426);  // seq 0-425: the whole boot up to the sysroot capture
  CHECK(q.log.lost == 0);
  CHECK_FALSE(q.log.truncated);
  CHECK(q.log.display.size() >= source::kSnapshotKernelLog.size());
  CHECK(q.log.display.substr(q.log.display.size() - source::kSnapshotKernelLog.size()) ==
        source::kSnapshotKernelLog);
  CHECK(q.events.lines == 426);
  // The first and the failing records, as dmesg prints them (timestamps from ts_usec).
  CHECK(line_of(q.log.text, 1).find("] Linux version 6.12.118+deb12-amd64 ") != std::string::npos);
  CHECK(line_of(q.log.text, 309) ==
        "[    1.854466] pci 0000:02:00.0: BAR 2 [mem 0x1000000000-0x1fffffffff 64bit pref]: "
        "failed to assign");
  REQUIRE(q.events.cmdline.has_value());
  CHECK(q.events.cmdline->text == "console=ttyS0 intel_iommu=on iommu=nopt panic=-1");
  CHECK(q.events.cmdline->pci_options.empty());
}

TEST_CASE("q35 bar-fail: the ivshmem's BAR 2 from probe to failed assignment", "[klog]")
{
  const auto& q = q35_log();
  pci::LogResourceId bar2;
  bar2.kind = LogResourceKind::bar;
  bar2.index = 2;
  const auto evs = q.events.for_resource("0000:02:00.0", bar2);
  REQUIRE(evs.size() == 4);
  // line 234 (seq 233): "pci 0000:02:00.0: BAR 2 [mem 0x1000000000-0x1fffffffff 64bit pref]"
  CHECK(evs[0]->line == 234);
  CHECK(evs[0]->kind == LogEventKind::probed);
  check_at_64g(*evs[0]);
  // line 266: "...: can't claim; no compatible bridge window" (the window it sits in was dropped)
  CHECK(evs[1]->line == 266);
  CHECK(evs[1]->kind == LogEventKind::cant_claim_no_window);
  check_at_64g(*evs[1]);
  // line 308: "pci 0000:02:00.0: BAR 2 [mem size 0x1000000000 64bit pref]: can't assign; no space"
  CHECK(evs[2]->line == 308);
  CHECK(evs[2]->kind == LogEventKind::cant_assign_no_space);
  CHECK(evs[2]->form == LogForm::since_6_8);
  check_unset_64g(*evs[2]);
  // line 309: "...BAR 2 [mem 0x1000000000-0x1fffffffff 64bit pref]: failed to assign" (the
  // range printed after the failure is the one the kernel tried to keep)
  CHECK(evs[3]->line == 309);
  CHECK(evs[3]->kind == LogEventKind::failed_to_assign);
  CHECK(evs[3]->form == LogForm::since_6_8);
  check_at_64g(*evs[3]);
  for (const auto* ev : evs) {
    CHECK(ev->driver == "pci");
    CHECK(ev->bdf == "0000:02:00.0");
    CHECK(ev->resource.kind == LogResourceKind::bar);
    CHECK(ev->resource.index == 2);
  }
  // "02:00.0" means domain 0; BAR 0 was assigned by firmware and claimed, never failed.
  CHECK(q.events.for_resource("02:00.0", bar2).size() == 4);
  pci::LogResourceId bar0 = bar2;
  bar0.index = 0;
  const auto b0 = q.events.for_resource("0000:02:00.0", bar0);
  REQUIRE(b0.size() == 1);
  CHECK(b0[0]->kind == LogEventKind::probed);
  CHECK(b0[0]->line == 233);
}

TEST_CASE("q35 bar-fail: the root port's prefetchable window fails with it", "[klog]")
{
  const auto& q = q35_log();
  pci::LogResourceId win;
  win.kind = LogResourceKind::bridge_window;
  std::vector<const pci::LogEvent*> pref;
  for (const auto* ev : q.events.for_resource("0000:00:03.0", win)) {
    if (ev->range && ev->range->prefetchable) {
      pref.push_back(ev);
    }
  }
  // 219: probed at 0x1000000000; 265: can't claim; then two rounds of can't assign + failed
  // (296/297 and 301/302: pbus_assign_resources_sorted for the window, then again).
  REQUIRE(pref.size() == 6);
  CHECK(pref[0]->line == 219);
  CHECK(pref[0]->kind == LogEventKind::bridge_window);
  check_at_64g(*pref[0]);
  CHECK(pref[1]->line == 265);
  CHECK(pref[1]->kind == LogEventKind::cant_claim_no_window);
  const std::size_t lines[] = {296, 297, 301, 302};
  for (std::size_t i = 0; i < 4; ++i) {
    INFO("event " << i + 2);
    CHECK(pref[i + 2]->line == lines[i]);
    CHECK(pref[i + 2]->kind ==
          (i % 2 == 0 ? LogEventKind::cant_assign_no_space : LogEventKind::failed_to_assign));
    check_unset_64g(*pref[i + 2]);
  }
  // Nothing else in this boot failed: the ivshmem's BAR 2 and its root port's window only.
  for (const auto kind : {LogEventKind::cant_assign_no_space, LogEventKind::failed_to_assign}) {
    for (const auto* ev : q.events.of_kind(kind)) {
      INFO(ev->text);
      CHECK((ev->bdf == "0000:02:00.0" || ev->bdf == "0000:00:03.0"));
    }
  }
  CHECK(q.events.of_kind(LogEventKind::cant_assign_no_space).size() == 3);
  CHECK(q.events.of_kind(LogEventKind::failed_to_assign).size() == 3);
  const auto advised = q.events.of_kind(LogEventKind::realloc_advised);
  REQUIRE(advised.size() == 1);
  CHECK(advised[0]->line == 313);
  CHECK(advised[0]->bus == "0000:00");
}

TEST_CASE("q35 bar-fail: the root bus windows left after the kernel dropped the one above "
          "64 GiB", "[klog]")
{
  const auto& q = q35_log();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> mem;
  for (const auto* ev : q.events.of_kind(LogEventKind::root_bus_resource)) {
    REQUIRE(ev->range.has_value());
    if (ev->range->space == LogSpace::mem) {
      mem.emplace_back(ev->range->start, ev->range->end);
    }
  }
  // _CRS offered [mem 0x1000000000-0x20001fffff window] as well; line 201 says it was
  // "(ignored, not CPU addressable)", so no root bus resource reaches 64 GiB.
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> want = {
    {0xa0000, 0xbffff}, {0x20000000, 0xafffffff}, {0xc0000000, 0xfebfffff}};
  CHECK(mem == want);
  CHECK(line_of(q.log.text, 201).find("acpi PNP0A08:00: host bridge window [mem "
                                      "0x1000000000-0x20001fffff window] (ignored, not CPU "
                                      "addressable)") != std::string::npos);
  // ... and that line is an event of its own: the aperture the 64-bit BAR needed.
  const auto ignored = q.events.of_kind(LogEventKind::host_window_ignored);
  REQUIRE(ignored.size() == 1);
  CHECK(ignored[0]->line == 201);
  CHECK(ignored[0]->driver == "acpi");
  CHECK(ignored[0]->bus == "PNP0A08:00");
  REQUIRE(ignored[0]->range.has_value());
  CHECK(ignored[0]->range->start == 0x1000000000ULL);
  CHECK(ignored[0]->range->end == 0x20001fffffULL);
  CHECK(ignored[0]->range->window);
}

TEST_CASE("q35 bar-fail: the sysroot of the same boot agrees with the log", "[klog]")
{
  const fs::path dev = fixture_root() / "sys/bus/pci/devices/0000:02:00.0";
  const auto res = pci::parse_sysfs_resource(slurp(dev / "resource"), "resource");
  REQUIRE(res.problems.empty());
  REQUIRE(res.bar(0) != nullptr);
  REQUIRE(res.bar(2) != nullptr);
  // BAR 0 as firmware placed it and the kernel claimed it (log line 233).
  CHECK(res.bar(0)->assigned());
  CHECK(res.bar(0)->start == 0xfe600000);
  CHECK(res.bar(0)->size() == 0x100);
  // BAR 2: the failed assignment reset it, so the kernel's row is all zero (no address, no size,
  // no flags), though the register still holds SeaBIOS's 0x1000000000 (config 0x18/0x1c).
  CHECK(res.bar(2)->empty());
  CHECK_FALSE(res.bar(2)->assigned());
  const std::string config = slurp(dev / "config");
  REQUIRE(config.size() == 256);  // "conventional PCI endpoint" (log line 232): no extended space
  const auto dword = [&](std::size_t off) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(config[off])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(config[off + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(config[off + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(config[off + 3])) << 24;
  };
  CHECK(dword(0x18) == 0x0000000c);  // 64-bit, prefetchable, address bits 31:4 zero
  CHECK(dword(0x1c) == 0x00000010);  // high half: 0x10 << 32 = 0x1000000000

  // The root port: no prefetchable window (row 15 zero), its 32-bit window as the log printed.
  const auto port = pci::parse_sysfs_resource(
    slurp(fixture_root() / "sys/bus/pci/devices/0000:00:03.0/resource"), "resource");
  REQUIRE(port.problems.empty());
  REQUIRE(port.bridge);
  REQUIRE(port.bridge_window(2) != nullptr);
  CHECK(port.bridge_window(2)->empty());
  REQUIRE(port.bridge_window(1) != nullptr);
  CHECK(port.bridge_window(1)->start == 0xfe600000);
  CHECK(port.bridge_window(1)->end == 0xfe7fffff);

  // And nothing of it in /proc/iomem: no range there reaches 0x1000000000.
  const std::string iomem = slurp(fixture_root() / "proc/iomem");
  CHECK(iomem.find("1000000000") == std::string::npos);
  CHECK(iomem.find("0000:02:00.0") != std::string::npos);  // BAR 0 is there
}
