// The kernel log as a source (source/kernel_log) and its PCI resource messages
// (pci/kernel_log). The message lines are written from the kernel's format strings; the file
// each comes from is named beside it (see src/pci/kernel_log.cpp for the functions).
#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include <memmap/pci/kernel_log.hpp>
#include <memmap/source/kernel_log.hpp>
#include <memmap/source/sysroot.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace memmap;
using pci::LogEventKind;
using pci::LogForm;
using pci::LogResourceKind;
using pci::LogSpace;

namespace fs = std::filesystem;

namespace {

pci::LogEvent
one(std::string_view line)
{
  auto ev = pci::parse_kernel_log_line(line, 7);
  INFO(line);
  REQUIRE(ev.has_value());
  CHECK(ev->line == 7);
  return *ev;
}

std::string
slurp(const fs::path& p)
{
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path
fixture(std::string_view name)
{
  return fs::path(MEMMAP_SOURCE_DIR) / "fixtures/kernel-log" / name;
}

using memmap::test::TempDir;

} // namespace

TEST_CASE("kernel log: %pR ranges as lib/vsprintf.c resource_string() prints them", "[klog]")
{
  auto r = pci::parse_log_range("[mem 0x4000000000-0x7fffffffff 64bit pref window]");
  REQUIRE(r);
  CHECK(r->space == LogSpace::mem);
  CHECK(r->start == 0x4000000000);
  CHECK(r->end == 0x7fffffffff);
  CHECK(r->size == 0x4000000000);
  CHECK(r->is_64bit);
  CHECK(r->prefetchable);
  CHECK(r->window);
  CHECK_FALSE(r->disabled);

  r = pci::parse_log_range("[mem size 0x400000000 64bit pref]");  // IORESOURCE_UNSET
  REQUIRE(r);
  CHECK(r->size_only);
  CHECK(r->size == 0x400000000);

  r = pci::parse_log_range("[io  0x0d00-0xffff window]");  // "io" and two spaces
  REQUIRE(r);
  CHECK(r->space == LogSpace::io);
  CHECK(r->start == 0xd00);
  CHECK(r->end == 0xffff);

  r = pci::parse_log_range("[bus 02-05]");  // bus numbers: %02llx, no 0x
  REQUIRE(r);
  CHECK(r->space == LogSpace::bus);
  CHECK(r->start == 2);
  CHECK(r->end == 5);
  r = pci::parse_log_range("[bus 00]");  // start == end: no "-END"
  REQUIRE(r);
  CHECK(r->start == 0);
  CHECK(r->end == 0);

  r = pci::parse_log_range("[mem size 0x00000000 64bit pref disabled]");
  REQUIRE(r);
  CHECK(r->disabled);
  CHECK(r->size == 0);

  r = pci::parse_log_range("[??? 0x00000000 flags 0x20000000]");  // no type: raw flags
  REQUIRE(r);
  CHECK(r->space == LogSpace::unknown);
  REQUIRE(r->raw_flags);
  CHECK(*r->raw_flags == 0x20000000);

  CHECK_FALSE(pci::parse_log_range("[mem 0x1000-0x0fff]"));          // end before start
  CHECK_FALSE(pci::parse_log_range("[mem 0xd0000000-0xd1ff"));        // truncated
  CHECK_FALSE(pci::parse_log_range("[mem 0xd0000000-0xd1ffffff 64b"));
  CHECK_FALSE(pci::parse_log_range("[mem 0x11112222333344445-0x1]")); // past 64 bits
  CHECK_FALSE(pci::parse_log_range("[Firmware Bug]"));
}

TEST_CASE("kernel log: 6.8+ setup-res.c messages", "[klog]")
{
  // setup-res.c pci_assign_resource(): "%s %pR: can't assign; no space"
  auto e = one("pci 0000:01:00.0: BAR 1 [mem size 0x400000000 64bit pref]: can't assign; no space");
  CHECK(e.kind == LogEventKind::cant_assign_no_space);
  CHECK(e.form == LogForm::since_6_8);
  CHECK(e.driver == "pci");
  CHECK(e.bdf == "0000:01:00.0");
  CHECK(e.resource.kind == LogResourceKind::bar);
  CHECK(e.resource.index == 1);
  REQUIRE(e.range);
  CHECK(e.range->size_only);
  CHECK(e.range->size == 0x400000000);
  CHECK(e.range->is_64bit);
  CHECK(e.range->prefetchable);

  CHECK(one("pci 0000:01:00.0: BAR 1 [mem size 0x400000000 64bit pref]: failed to assign").kind ==
        LogEventKind::failed_to_assign);
  e = one("pci 0000:01:00.0: BAR 3 [mem 0xd0000000-0xd1ffffff 64bit pref]: assigned");
  CHECK(e.kind == LogEventKind::assigned);
  CHECK(e.range->start == 0xd0000000);
  CHECK(one("pci 0000:01:00.0: ROM [mem size 0x00080000 pref]: can't assign; bogus alignment")
          .resource.kind == LogResourceKind::rom);
  // setup-res.c pci_release_resource() / pci_reassign_resource()
  CHECK(one("pci 0000:00:01.0: bridge window [mem 0xdd000000-0xddffffff]: releasing").kind ==
        LogEventKind::releasing);
  e = one("pci 0000:00:01.0: bridge window [mem 0xdd000000-0xde3fffff]: reassigned; expanded by 0x400000");
  CHECK(e.kind == LogEventKind::reassigned);
  CHECK(e.expand_by == 0x400000u);
  e = one("pci 0000:00:01.0: bridge window [io  0xe000-0xefff]: failed to expand by 0x1000");
  CHECK(e.kind == LogEventKind::failed_to_expand);
  CHECK(e.expand_by == 0x1000u);
  CHECK(e.resource.kind == LogResourceKind::bridge_window);
  CHECK(e.resource.index == -1);

  // setup-res.c pci_claim_resource()
  e = one("pci 0000:00:02.0: BAR 2 [mem 0xc0000000-0xcfffffff 64bit pref]: can't claim; "
          "address conflict with BOOTFB [mem 0xc0000000-0xc07e8fff]");
  CHECK(e.kind == LogEventKind::cant_claim_conflict);
  CHECK(e.conflict_name == "BOOTFB");
  REQUIRE(e.conflict);
  CHECK(e.conflict->start == 0xc0000000);
  CHECK(e.conflict->end == 0xc07e8fff);
  e = one("pci 0000:00:1f.0: BAR 4 [io  size 0x0020]: can't claim; address conflict with "
          "PCI Bus 0000:00 [io  0x0000-0x0cf7 window]");
  CHECK(e.conflict_name == "PCI Bus 0000:00");
  CHECK(e.conflict->window);
  CHECK(one("pci 0000:01:00.0: BAR 1 [mem 0x00000000-0x3ffffffff 64bit pref]: can't claim; no "
            "compatible bridge window").kind == LogEventKind::cant_claim_no_window);
  CHECK(one("pci 0000:01:00.0: ROM [mem 0xfff80000-0xffffffff pref]: can't claim; no address "
            "assigned").kind == LogEventKind::cant_claim_no_address);

  // setup-res.c pci_enable_resources(), printed under the driver's name
  e = one("nvidia 0000:01:00.0: BAR 1 [mem size 0x400000000 64bit pref]: not assigned; can't enable device");
  CHECK(e.kind == LogEventKind::not_assigned_cant_enable);
  CHECK(e.driver == "nvidia");
  e = one("mpt3sas 0001:04:00.0: BAR 1 [mem 0x801110000000-0x80111000ffff 64bit]: not claimed; can't enable device");
  CHECK(e.kind == LogEventKind::not_claimed_cant_enable);
  CHECK(e.bdf == "0001:04:00.0");

  // pci.c pci_resource_name(): VF BAR n and CardBus windows
  e = one("pci 0000:01:00.0: VF BAR 0 [mem size 0x00010000 64bit]: can't assign; no space");
  CHECK(e.resource.kind == LogResourceKind::vf_bar);
  CHECK(e.resource.index == 0);
  e = one("pci 0000:02:00.0: CardBus bridge window 1 [mem size 0x04000000]: can't assign; no space");
  CHECK(e.resource.kind == LogResourceKind::cardbus_window);
  CHECK(e.resource.index == 1);
}

TEST_CASE("kernel log: pre-6.8 setup-res.c and probe.c messages", "[klog]")
{
  // setup-res.c pci_assign_resource() before 6.8: "BAR %d: no space for %pR"
  auto e = one("pci 0000:01:00.0: BAR 1: no space for [mem size 0x400000000 64bit pref]");
  CHECK(e.kind == LogEventKind::cant_assign_no_space);
  CHECK(e.form == LogForm::before_6_8);
  CHECK(e.resource.kind == LogResourceKind::bar);
  CHECK(e.resource.index == 1);
  CHECK(e.resource.old_resno == 1u);
  CHECK(e.range->size == 0x400000000);
  CHECK(one("pci 0000:01:00.0: BAR 1: failed to assign [mem size 0x400000000 64bit pref]").kind ==
        LogEventKind::failed_to_assign);
  CHECK(one("pci 0000:01:00.0: BAR 3: assigned [mem 0xd0000000-0xd1ffffff 64bit pref]").kind ==
        LogEventKind::assigned);
  e = one("pci 0000:01:00.0: BAR 6: can't assign [mem size 0x00000000 pref] (bogus alignment)");
  CHECK(e.kind == LogEventKind::cant_assign_bogus_alignment);
  CHECK(e.resource.kind == LogResourceKind::rom);
  // resource[] indices: 7-12 VF BARs, 13-16 bridge windows (CONFIG_PCI_IOV)
  e = one("pci 0000:00:01.0: BAR 15: no space for [mem size 0x400200000 64bit pref]");
  CHECK(e.resource.kind == LogResourceKind::bridge_window);
  CHECK(e.resource.index == 2);
  CHECK(e.resource.old_resno == 15u);
  e = one("pci 0000:01:00.0: BAR 7: no space for [mem size 0x00100000 64bit]");
  CHECK(e.resource.kind == LogResourceKind::vf_bar);
  CHECK(e.resource.index == 0);
  CHECK(one("pci 0000:00:01.0: BAR 14: releasing [mem 0xdd000000-0xddffffff]").kind ==
        LogEventKind::releasing);
  e = one("pci 0000:00:01.0: BAR 14: reassigned [mem 0xdd000000-0xde3fffff] (expanded by 0x400000)");
  CHECK(e.kind == LogEventKind::reassigned);
  CHECK(e.expand_by == 0x400000u);
  e = one("pci 0000:00:01.0: BAR 13: [io  0xe000-0xefff] (failed to expand by 0x1000)");
  CHECK(e.kind == LogEventKind::failed_to_expand);

  // setup-res.c pci_claim_resource() before 6.8
  e = one("pci 0000:00:02.0: can't claim BAR 0 [mem 0xde000000-0xdeffffff 64bit]: address "
          "conflict with BOOTFB [mem 0xde000000-0xde7e8fff]");
  CHECK(e.kind == LogEventKind::cant_claim_conflict);
  CHECK(e.resource.index == 0);
  CHECK(e.conflict_name == "BOOTFB");
  CHECK(e.conflict->end == 0xde7e8fff);
  CHECK(one("pci 0000:01:00.0: can't claim BAR 1 [mem 0x00000000-0x3ffffffff 64bit pref]: no "
            "compatible bridge window").kind == LogEventKind::cant_claim_no_window);
  CHECK(one("pci 0000:00:1f.0: can't claim BAR 4 [io  0xefa0-0xefbf]: no address assigned").kind ==
        LogEventKind::cant_claim_no_address);
  // setup-res.c pci_enable_resources() before 6.8
  CHECK(one("nvidia 0000:01:00.0: can't enable device: BAR 1 [mem size 0x400000000 64bit pref] "
            "not assigned").kind == LogEventKind::not_assigned_cant_enable);
  CHECK(one("nvidia 0000:01:00.0: can't enable device: BAR 3 [mem 0xd0000000-0xd1ffffff 64bit "
            "pref] not claimed").kind == LogEventKind::not_claimed_cant_enable);

  // probe.c __pci_read_base(): "reg 0x%x: %pR" before 6.8, "%s %pR" since
  e = one("pci 0000:01:00.0: reg 0x14: [mem 0x00000000-0x3ffffffff 64bit pref]");
  CHECK(e.kind == LogEventKind::probed);
  CHECK(e.resource.kind == LogResourceKind::bar);
  CHECK(e.resource.index == 1);
  CHECK(e.resource.reg == 0x14u);
  CHECK(one("pci 0000:01:00.0: reg 0x30: [mem 0xfff80000-0xffffffff pref]").resource.kind ==
        LogResourceKind::rom);
  CHECK(one("pci 0000:03:00.0: reg 0x184: [mem 0x00000000-0x00003fff 64bit]").resource.kind ==
        LogResourceKind::unknown);
  e = one("pci 0000:00:01.0: BAR 0 [mem 0x4000000000-0x400007ffff 64bit]");
  CHECK(e.kind == LogEventKind::probed);
  CHECK(e.form == LogForm::since_6_8);
  CHECK(one("pci 0000:01:00.0: ROM [mem 0xfff80000-0xffffffff pref]").resource.kind ==
        LogResourceKind::rom);

  // quirks.c quirk_io_region()
  e = one("pci 0000:00:1f.0: quirk: [io  0x0400-0x047f] claimed by ICH6 ACPI/GPIO/TCO");
  CHECK(e.kind == LogEventKind::claimed);
  CHECK(e.conflict_name == "ICH6 ACPI/GPIO/TCO");

  // A message of the same start that is something else is skipped, not guessed at.
  CHECK_FALSE(pci::parse_kernel_log_line("pci 0000:00:02.0: BAR 2: assigned to efifb", 1));
  CHECK_FALSE(pci::parse_kernel_log_line("pci 0000:00:01.0: PCI bridge to [bus 01]", 1));
  CHECK_FALSE(pci::parse_kernel_log_line("pci 0000:01:00.0: [10de:1b06] type 00 class 0x030000", 1));
}

TEST_CASE("kernel log: setup-bus.c and probe.c bus messages", "[klog]")
{
  // setup-bus.c pbus_size_mem(): the same in both generations
  auto e = one("pci 0000:00:01.0: bridge window [mem 0x00100000-0x001fffff 64bit pref] to "
               "[bus 02-05] add_size 400000000 add_align 400000000");
  CHECK(e.kind == LogEventKind::bridge_window_add_size);
  CHECK(e.form == LogForm::common);
  CHECK(e.resource.kind == LogResourceKind::bridge_window);
  REQUIRE(e.bus_range);
  CHECK(e.bus_range->start == 2);
  CHECK(e.bus_range->end == 5);
  CHECK(e.add_size == 0x400000000u);
  CHECK(e.add_align == 0x400000000u);
  e = one("pci 0000:00:00.0: bridge window [mem 0x00100000-0x003fffff] to [bus 01-ff] add_size 800000");
  CHECK(e.add_size == 0x800000u);
  CHECK_FALSE(e.add_align);

  // probe.c pci_read_bridge_* / setup-bus.c pci_setup_bridge_*: "  bridge window %pR"
  e = one("pci 0000:00:01.0:   bridge window [mem 0xd0000000-0xd1ffffff 64bit pref]");
  CHECK(e.kind == LogEventKind::bridge_window);
  CHECK(e.range->prefetchable);

  // probe.c pci_register_host_bridge(): "root bus resource %pR%s"
  e = one("pci_bus 0000:00: root bus resource [mem 0xc0001000-0xeebfffff window]");
  CHECK(e.kind == LogEventKind::root_bus_resource);
  CHECK(e.bus == "0000:00");
  CHECK(e.bdf.empty());
  CHECK(e.range->start == 0xc0001000);
  CHECK(e.range->window);
  e = one("pci_bus 0001:00: root bus resource [mem 0x60000000-0x6fffffff window] (bus address "
          "[0x00000000-0x0fffffff])");
  REQUIRE(e.bus_address);
  CHECK(e.bus_address->start == 0);
  CHECK(e.bus_address->end == 0x0fffffff);
  CHECK(one("pci_bus 0000:00: root bus resource [bus 00-ff]").range->space == LogSpace::bus);

  // setup-bus.c pci_assign_unassigned_root_bus_resources()
  CHECK(one("pci_bus 0000:00: Some PCI device resources are unassigned, try booting with "
            "pci=realloc").kind == LogEventKind::realloc_advised);
  CHECK(one("Some PCI device resources are unassigned, try booting with pci=realloc").kind ==
        LogEventKind::realloc_advised);  // printk without a device (3.x)
  CHECK(one("pci_bus 0000:00: Automatically enabled pci realloc, if you have problem, try "
            "booting with pci=realloc=off").kind == LogEventKind::realloc_auto_enabled);
  e = one("pci_bus 0000:00: No. 2 try to assign unassigned res");
  CHECK(e.kind == LogEventKind::retry);
  CHECK(e.attempt == 2u);
  CHECK(one("PCI: No. 3 try to assign unassigned res").attempt == 3u);
}

TEST_CASE("kernel log: the command line and its pci= options", "[klog]")
{
  // arch/x86/kernel/setup.c "Command line: %s"; init/main.c "Kernel command line: %s"
  auto e = one("[    0.000000] Command line: ro pci=realloc,hpmmioprefsize=8G,hpiosize=0x1000 quiet");
  CHECK(e.kind == LogEventKind::cmdline);
  REQUIRE(e.cmdline);
  CHECK(e.cmdline->realloc == true);
  CHECK(e.cmdline->hpmmioprefsize == (std::uint64_t{8} << 30));
  CHECK(e.cmdline->hpiosize == 0x1000u);
  CHECK(e.cmdline->pci_options.size() == 3);

  const auto c = pci::parse_kernel_cmdline(
    "a pci=realloc=off,hpmemsize=64M pci=hpbussize=0x21,nocrs b=\"x y\" -- pci=realloc");
  CHECK(c.realloc == false);                     // "-- pci=realloc" is init's, not the kernel's
  CHECK(c.hpmmiosize == (std::uint64_t{64} << 20));  // hpmemsize= sets both
  CHECK(c.hpmmioprefsize == (std::uint64_t{64} << 20));
  CHECK(c.hpbussize == 0x21u);
  CHECK(c.pci_options == std::vector<std::string>{"realloc=off", "hpmemsize=64M", "hpbussize=0x21", "nocrs"});
  CHECK_FALSE(pci::parse_kernel_cmdline("pci=hpmmiosize=99999999999999999999G").hpmmiosize);
  CHECK(pci::parse_kernel_cmdline("pci=hpiosize=010").hpiosize == 8u);  // base 0: octal
  CHECK(one("Kernel command line: pci=nocrs").cmdline->pci_options.front() == "nocrs");
}

TEST_CASE("kernel log: dmesg, dmesg -T, journalctl and syslog prefixes", "[klog]")
{
  using pci::strip_log_prefix;
  CHECK(strip_log_prefix("[    0.214242] pci 0000:00:01.0: x") == "pci 0000:00:01.0: x");
  CHECK(strip_log_prefix("[Mon Dec  7 09:39:34 2026] pci 0000:00:01.0: x") == "pci 0000:00:01.0: x");
  CHECK(strip_log_prefix("[Firmware Bug]: TSC doesn't count") == "[Firmware Bug]: TSC doesn't count");
  CHECK(strip_log_prefix("Dec 07 17:24:04 host kernel: pci x") == "pci x");
  CHECK(strip_log_prefix("Dec  7 17:24:04 host kernel: [    0.2] pci x") == "pci x");
  CHECK_FALSE(strip_log_prefix("Dec 07 17:24:04 host systemd[1]: pci x"));
  CHECK(strip_log_prefix("<6>[    0.2] pci x") == "pci x");

  const auto log = pci::parse_kernel_log(slurp(fixture("written-prefix-forms.txt")));
  CHECK(log.lines == 8);
  REQUIRE(log.events.size() == 8);  // every prefix form, each line one assignment
  for (const auto& e : log.events) {
    CHECK(e.kind == LogEventKind::assigned);
  }
  CHECK(log.events[0].range->start == 0x4000000000);
  CHECK(log.events[5].resource.old_resno == 13u);
  CHECK(log.events[7].line == 8);
}

TEST_CASE("kernel log: journalctl -k with CRLF and other programs' lines", "[klog]")
{
  const auto log = pci::parse_kernel_log(slurp(fixture("written-6.1-journalctl-k-crlf.txt")));
  CHECK(log.lines == 8);
  // systemd's line quoting a kernel message is not the kernel's, NetworkManager's neither
  REQUIRE(log.events.size() == 5);
  CHECK(log.events[0].kind == LogEventKind::cmdline);
  CHECK(log.events[0].cmdline->realloc == true);
  CHECK(log.events[1].kind == LogEventKind::root_bus_resource);
  CHECK(log.events[2].kind == LogEventKind::cant_assign_no_space);
  CHECK(log.events[2].line == 5);
  CHECK(log.events[2].text.find('\r') == std::string::npos);
  CHECK(log.events[4].kind == LogEventKind::retry);
}

TEST_CASE("kernel log: written 5.15 and 6.8 logs of the same failure", "[klog]")
{
  const auto old_log = pci::parse_kernel_log(slurp(fixture("written-5.15-gpu-no-space.dmesg")));
  const auto new_log = pci::parse_kernel_log(slurp(fixture("written-6.8-gpu-no-space.dmesg")));
  CHECK(old_log.lines == 47);
  CHECK(old_log.events.size() == 39);
  CHECK(new_log.lines == 37);
  CHECK(new_log.events.size() == 36);

  pci::LogResourceId bar1;
  bar1.kind = LogResourceKind::bar;
  bar1.index = 1;
  for (const auto* log : {&old_log, &new_log}) {
    const auto history = log->for_resource("01:00.0", bar1);
    REQUIRE(history.size() == 5);
    CHECK(history[0]->kind == LogEventKind::probed);
    CHECK(history[1]->kind == LogEventKind::cant_claim_no_window);
    CHECK(history[2]->kind == LogEventKind::cant_assign_no_space);
    CHECK(history[3]->kind == LogEventKind::failed_to_assign);
    CHECK(history[4]->kind == LogEventKind::not_assigned_cant_enable);
    CHECK(history[2]->range->size == 0x400000000);
    CHECK(log->of_kind(LogEventKind::cant_claim_conflict).front()->conflict_name == "BOOTFB");
    REQUIRE(log->cmdline);
  }
  CHECK(old_log.cmdline->hpmmioprefsize == 0x2000000u);
  CHECK(new_log.cmdline->realloc == false);
  CHECK(new_log.cmdline->hpbussize == 0x21u);
  CHECK(old_log.of_kind(LogEventKind::realloc_advised).size() == 1);
  CHECK(new_log.of_kind(LogEventKind::realloc_auto_enabled).size() == 1);

  pci::LogResourceId window;
  window.kind = LogResourceKind::bridge_window;
  // every bridge-window message of 00:01.0 (add_size, no space, failed, assigned, ...)
  CHECK(new_log.for_resource("0000:00:01.0", window).size() == 8);
  window.index = 2;  // the old form's BAR 15 (prefetchable) only, plus unnumbered ones
  CHECK(old_log.for_resource("0000:00:01.0", window).size() == 7);
  CHECK(old_log.for_device("0000:00:1f.0").size() == 2);
}

TEST_CASE("kernel log: this machine's own dmesg and /dev/kmsg capture", "[klog]")
{
  // Real: captured on the development VM (Linux 6.18, Firecracker), see PROVENANCE.md.
  const auto text = pci::parse_kernel_log(slurp(fixture("live-firecracker-6.18-dmesg.txt")));
  CHECK(text.of_kind(LogEventKind::root_bus_resource).size() == 6);
  CHECK(text.of_kind(LogEventKind::probed).size() == 5);
  CHECK(text.of_kind(LogEventKind::cmdline).size() == 2);
  REQUIRE(text.cmdline);
  CHECK(text.cmdline->pci_options.empty());
  CHECK(text.for_device("0000:00:01.0").front()->range->start == 0x4000000000);

  const auto ctime = pci::parse_kernel_log(slurp(fixture("live-firecracker-6.18-dmesg-T.txt")));
  CHECK(ctime.events.size() == text.events.size());

  const std::string raw = slurp(fixture("live-firecracker-6.18-kmsg.raw"));
  CHECK(source::looks_like_kmsg(raw));
  std::size_t records = 0;
  const std::string lines = source::kmsg_to_text(raw, &records);
  CHECK(records == 343);
  const auto kmsg = pci::parse_kernel_log(lines);
  CHECK(kmsg.lines == 343);
  CHECK(kmsg.of_kind(LogEventKind::root_bus_resource).size() == 6);
  CHECK(kmsg.of_kind(LogEventKind::probed).size() == 5);
}

TEST_CASE("kernel log: /dev/kmsg record format", "[klog]")
{
  auto r = source::parse_kmsg_record(
    "6,339,214242,-;pci_bus 0000:00: root bus resource [io  0x0000-0x0cf7 window]\n"
    " SUBSYSTEM=pci_bus\n DEVICE=+pci_bus:0000:00\n");
  REQUIRE(r);
  CHECK(r->facility == 0);
  CHECK(r->level == 6);
  CHECK(r->seq == 339);
  CHECK(r->ts_usec == 214242);
  CHECK(r->flag == '-');
  CHECK(r->text == "pci_bus 0000:00: root bus resource [io  0x0000-0x0cf7 window]");
  REQUIRE(r->dict.size() == 2);
  CHECK(r->dict[1].first == "DEVICE");
  CHECK(r->dict[1].second == "+pci_bus:0000:00");

  // caller id field (CONFIG_PRINTK_CALLER), continuation flag, escapes
  r = source::parse_kmsg_record("12,5,100,c,caller=T1;a\\x5cb\\x0ac\\x7f");
  REQUIRE(r);
  CHECK(r->facility == 1);
  CHECK(r->level == 4);
  CHECK(r->flag == 'c');
  CHECK(r->text == "a\\b\\x0ac\\x7f");  // only printable escapes are undone

  CHECK_FALSE(source::parse_kmsg_record("6,339;no timestamp"));
  CHECK_FALSE(source::parse_kmsg_record("6,339,12,-"));  // no ';'
  CHECK_FALSE(source::parse_kmsg_record("[    0.1] dmesg text"));
  CHECK_FALSE(source::parse_kmsg_record("99999999999999999999,1,1,-;x"));

  std::size_t n = 0;
  const std::string text = source::kmsg_to_text(
    "6,1,1500000,-;pci 0000:01:00.0: BAR 1 [mem size 0x400000000 64bit pref]: can't assign; no space\n"
    " SUBSYSTEM=pci\n DEVICE=+pci:0000:01:00.0\ngarbage\n4,2,2000001,-;second\n", &n);
  CHECK(n == 2);
  CHECK(text == "[    1.500000] pci 0000:01:00.0: BAR 1 [mem size 0x400000000 64bit pref]: can't "
                "assign; no space\n[    2.000001] second\n");
  CHECK(pci::parse_kernel_log(text).events.at(0).kind == LogEventKind::cant_assign_no_space);
}

TEST_CASE("kernel log: reading live /dev/kmsg, a file, a snapshot root", "[klog]")
{
  // Live: root here can read it; a reader that cannot gets a reason, not an exception.
  const auto live = source::read_kmsg();
  if (::access("/dev/kmsg", R_OK) == 0) {
    REQUIRE(live.log);
    CHECK(live.log->from_kmsg);
    CHECK(live.log->records > 0);
    CHECK(live.log->text.find("Linux version") != std::string::npos);
    // Not consumed: a second read sees at least as much again.
    const auto again = source::read_kmsg();
    REQUIRE(again.log);
    CHECK(again.log->records >= live.log->records);
  } else {
    REQUIRE(live.unavailable);
    CHECK_FALSE(live.unavailable->reason.empty());
  }

  TempDir dir;
  const auto file = dir.path / "saved.dmesg";
  fs::copy_file(fixture("written-6.8-gpu-no-space.dmesg"), file);
  const auto saved = source::read_kernel_log_file(file.string());
  REQUIRE(saved.log);
  CHECK_FALSE(saved.log->from_kmsg);
  CHECK(pci::parse_kernel_log(saved.log->text).events.size() == 36);

  // A snapshot root keeps raw kmsg records at var/log/memmap-kmsg.
  fs::create_directories(dir.path / "var/log");
  fs::copy_file(fixture("live-firecracker-6.18-kmsg.raw"), dir.path / source::kSnapshotKernelLog);
  const auto snap = source::read_kernel_log(source::SysRoot(dir.path));
  REQUIRE(snap.log);
  CHECK(snap.log->from_kmsg);
  CHECK(snap.log->records == 343);
  CHECK(snap.log->display == source::SysRoot(dir.path).display(source::kSnapshotKernelLog));

  // A root without one: unavailable, naming the file.
  TempDir empty;
  const auto none = source::read_kernel_log(source::SysRoot(empty.path));
  REQUIRE(none.unavailable);
  CHECK_FALSE(none.log);
  CHECK(none.unavailable->error == ENOENT);
  CHECK(none.unavailable->what.find("var/log/memmap-kmsg") != std::string::npos);
}

TEST_CASE("kernel log: permission denied on a temp root is a reason, not an error", "[klog]")
{
  TempDir dir;
  fs::permissions(dir.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  fs::create_directories(dir.path / "var/log");
  fs::permissions(dir.path / "var", fs::perms::all & ~fs::perms::others_write & ~fs::perms::group_write);
  fs::permissions(dir.path / "var/log", fs::perms::all & ~fs::perms::others_write & ~fs::perms::group_write);
  const auto log = dir.path / source::kSnapshotKernelLog;
  fs::copy_file(fixture("live-firecracker-6.18-kmsg.raw"), log);
  fs::permissions(log, fs::perms::owner_read | fs::perms::owner_write);  // 0600, owned by us

  // Read it as someone else: as root, a child that drops to nobody; otherwise chmod 000
  // does it for the owner too.
  const bool root = ::geteuid() == 0;
  if (!root) {
    fs::permissions(log, fs::perms::none);
  }
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (root && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      ::_exit(3);
    }
    const auto r = source::read_kernel_log(source::SysRoot(dir.path));
    const bool ok = !r.log && r.unavailable && r.unavailable->error == EACCES &&
                    r.unavailable->reason.find("Permission denied") != std::string::npos &&
                    r.unavailable->what.find("memmap-kmsg") != std::string::npos;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("kernel log: hostile input never crashes or hangs", "[klog]")
{
  // truncated mid-range, mid-number, mid-verb
  for (const std::string_view s :
       {"pci 0000:01:00.0: BAR 1 [mem size 0x4000", "pci 0000:01:00.0: BAR 1 [mem 0xd0000000-",
        "pci 0000:01:00.0: BAR 1 [mem 0xd0000000-0xd1ffffff 64bit pref]: can't ass",
        "pci 0000:01:00.0: BAR 1: no space for [mem size", "pci 0000:01:00.0: can't claim BAR 1 [mem",
        "pci 0000:01:00.0: BAR 99999999999999999999 [mem 0x0-0x1]: assigned",
        "pci_bus 0000:00: root bus resource [mem 0x0-0x1] (bus address [0x5-0x1])",
        "pci 0000:01:00.0: bridge window [mem 0x0-0x1] to [bus 02-05] add_size zz",
        "pci 0000:01:0", "pci", "", "\r", "[", "[    0.1", "Dec 07 17:24:04", "<6",
        "kern  :info  :"}) {
    INFO(s);
    CHECK_FALSE(pci::parse_kernel_log_line(s, 1));
  }

  // NUL bytes and invalid UTF-8: the event's text is escaped, the rest of the log goes on.
  std::string nul = "pci 0000:01:00.0: BAR 1: assigned [mem 0x0-0xfff]\n";
  nul += "pci 0000:01:00.0: BAR 2: assigned [mem 0x1000-0x1fff]";
  nul += '\0';
  nul += "\xff\xfe";
  nul += "\n\xc3\x28\xa0\xa1 pci 0000:01:00.0: \x80\n";
  nul += "pci 0000:01:00.0: BAR 3: assigned [mem 0x2000-0x2fff]\n";
  const auto log = pci::parse_kernel_log(nul);
  CHECK(log.lines == 4);
  REQUIRE(log.events.size() == 2);
  CHECK(log.events[1].line == 4);
  const auto named = one("pci 0000:00:02.0: can't claim BAR 0 [mem 0x0-0xfff]: address conflict "
                         "with B\xff\x01" "F [mem 0x0-0x7ff]");
  CHECK(named.conflict_name == "B\\xff\\x01F");
  CHECK(named.text.find('\xff') == std::string::npos);

  // a 1 MB line is skipped and counted; the line after it is read
  std::string big(1 << 20, 'A');
  big += "\npci 0000:01:00.0: BAR 0: assigned [mem 0x0-0xfff]\n";
  const auto big_log = pci::parse_kernel_log(big);
  CHECK(big_log.long_lines == 1);
  REQUIRE(big_log.events.size() == 1);
  CHECK(big_log.events[0].line == 2);

  // random bytes
  std::string noise;
  std::uint32_t x = 12345;
  for (int i = 0; i < 200000; ++i) {
    x = x * 1103515245 + 12345;
    noise += static_cast<char>(x >> 24);
  }
  CHECK(pci::parse_kernel_log(noise).events.empty());

  // a million lines completes, with every event in it
  std::string many;
  many.reserve(70u << 20);
  for (int i = 0; i < 1000000; ++i) {
    many += i % 10 == 0 ? "[    0.263004] pci 0000:01:00.0: BAR 1 [mem size 0x400000000 64bit pref]: can't assign; no space\n"
                        : "[    0.263004] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n";
  }
  const auto million = pci::parse_kernel_log(many);
  CHECK(million.lines == 1000000);
  CHECK(million.events.size() == 100000);
  CHECK(million.events.back().line == 999991);
}
