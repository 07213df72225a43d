// machine::Machine and the reports built on it: notices go to the sink once, the
// same-machine rule for sysfs, the PCI limit notices, the summary's exit rule, the
// iommu-groups --device selection and exit status.
#include <catch2/catch.hpp>

#include <memmap/error.hpp>
#include <memmap/machine/iommu_report.hpp>
#include <memmap/machine/machine.hpp>
#include <memmap/machine/summary.hpp>
#include <memmap/pci/device.hpp>

#include <string>
#include <vector>

using namespace memmap;

namespace {

std::string
fixture(const std::string& rel)
{
  return std::string(MEMMAP_SOURCE_DIR) + "/fixtures/" + rel;
}

} // namespace

TEST_CASE("Machine: a notice reaches the sink once per text", "[machine]")
{
  std::vector<std::string> got;
  machine::Machine m({}, [&](const std::string& s) { got.push_back(s); });
  m.notice("a");
  m.notice("b");
  m.notice("a");
  CHECK(got == std::vector<std::string>{"a", "b"});
  machine::Machine quiet({}, nullptr);  // no sink: nothing to call
  quiet.notice("x");
}

TEST_CASE("Machine: files without --root are another machine", "[machine]")
{
  machine::MachineArgs args;
  args.sources.iomem_file = fixture("seed-quadro-p1000/proc/iomem");
  machine::Machine m(args, nullptr);
  CHECK_THROWS_AS(m.sysfs(), SourceError);
  CHECK_THROWS_AS(m.ioports(), SourceError);
  CHECK_THROWS_AS(m.pci(), SourceError);
  CHECK(m.pci_for_labels() == nullptr);
  CHECK(m.device_briefs().empty());
  const auto& a = m.iomem();
  CHECK(&a == &m.iomem());  // loaded once
  CHECK_FALSE(a.regions.empty());
}

TEST_CASE("Machine: --root gives every part from the root", "[machine]")
{
  machine::MachineArgs args;
  args.sources.root = fixture("seed-quadro-p1000");
  machine::Machine m(args, nullptr);
  CHECK(&m.sysfs() == &m.root());
  CHECK_FALSE(m.iomem().regions.empty());
  CHECK_THROWS_AS(m.ioports(), SourceError);  // the capture has no proc/ioports
}

TEST_CASE("pci_limit_notices: what the model could not see", "[machine]")
{
  pci::PciModel m;
  m.source = "/sys/bus/pci";
  CHECK(machine::pci_limit_notices(m, false).empty());
  m.config_truncated = true;
  m.asleep_count = 2;
  model::Diagnostic gone;
  gone.id = "pci-function-vanished";
  gone.file = "/sys/bus/pci/devices/0000:01:00.0";
  gone.message = "vanished while read";
  model::Diagnostic other;
  other.id = "something-else";
  m.problems = {gone, other};
  auto n = machine::pci_limit_notices(m, false);
  REQUIRE(n.size() == 3);
  CHECK(n[0].find("only the first 64 bytes") != std::string::npos);
  CHECK(n[1] == gone.located());
  CHECK(n[2].find("2 PCI function(s) in D3cold") == 0);
  CHECK(machine::pci_limit_notices(m, true)[0].find("as root") != std::string::npos);
  m.origin = pci::Origin::dump;
  CHECK(machine::pci_limit_notices(m, true)[0].find("an lspci -x dump") != std::string::npos);
}

TEST_CASE("summary_exit: malformed wins, unreadable only when nothing was read", "[machine]")
{
  model::AddressSpace sp;
  machine::TreeSection read{&sp, "", 0};
  machine::TreeSection missing{nullptr, "gone", k_exit_unreadable};
  machine::TreeSection bad{nullptr, "x:1: bad", k_exit_bad_input};
  CHECK(machine::summary_exit(read, read) == k_exit_ok);
  CHECK(machine::summary_exit(read, missing) == k_exit_ok);
  CHECK(machine::summary_exit(missing, read) == k_exit_ok);
  CHECK(machine::summary_exit(missing, missing) == k_exit_unreadable);
  CHECK(machine::summary_exit(read, bad) == k_exit_bad_input);
  CHECK(machine::summary_exit(bad, missing) == k_exit_bad_input);
}

TEST_CASE("summarize: a sysroot with only proc/iomem", "[machine]")
{
  std::vector<std::string> notices;
  machine::MachineArgs args;
  args.sources.root = fixture("seed-quadro-p1000");
  machine::Machine m(args, [&](const std::string& s) { notices.push_back(s); });
  const auto r = machine::summarize(m);
  CHECK(r.exit_code == k_exit_ok);
  CHECK_FALSE(r.live);
  CHECK(r.iomem.space != nullptr);
  CHECK(r.ioports.space == nullptr);
  CHECK(r.ioports.exit_code == k_exit_unreadable);
  CHECK_FALSE(r.pci.functions);
  REQUIRE(r.unavailable.size() == 2);  // ioports, then PCI
  CHECK(r.unavailable[0] == r.ioports.error);
  CHECK(r.unavailable[1].find("sys/bus/pci/devices: not in this source") != std::string::npos);
  CHECK(notices == std::vector<std::string>{r.ioports.error});
}

TEST_CASE("select_function: lspci -s among the known, full address otherwise", "[machine]")
{
  const std::vector<std::string> known = {"0000:00:01.0", "0000:04:00.0", "0000:04:00.1"};
  CHECK(machine::select_function(known, "04:00.1") == "0000:04:00.1");
  CHECK(machine::select_function(known, "0000:00:01.0") == "0000:00:01.0");
  CHECK_THROWS_AS(machine::select_function(known, "04:00"), UsageError);  // two functions
  CHECK_THROWS_AS(machine::select_function(known, "05:00.0"), UsageError);
  CHECK(machine::select_function({}, "0000:05:00.0") == "0000:05:00.0");
  // A bus:dev.fn without its domain is a full address too (model::parse_bdf): domain 0000.
  CHECK(machine::select_function({}, "05:00.0") == "0000:05:00.0");
  CHECK_THROWS_AS(machine::select_function({}, "05:00"), UsageError);  // a slot, not a function
  CHECK_THROWS_AS(machine::select_function({}, "zz:zz"), UsageError);
}

TEST_CASE("preflight_exit: the verdict's exit status and the exit-3 notice", "[machine]")
{
  machine::PreflightReport r;
  std::string notice;
  r.verdict = machine::Verdict::passable;
  CHECK(machine::preflight_exit(r, "0000:04:00.0", false, notice) == k_exit_ok);
  CHECK(machine::preflight_exit(r, "0000:04:00.0", true, notice) == k_exit_bad_input);
  for (auto v : {machine::Verdict::blocked, machine::Verdict::bridge, machine::Verdict::no_group}) {
    r.verdict = v;
    CHECK(machine::preflight_exit(r, "0000:04:00.0", true, notice) == k_exit_findings);
  }
  CHECK(notice.empty());
  r.verdict = machine::Verdict::not_captured;
  CHECK(machine::preflight_exit(r, "0000:04:00.0", true, notice) == k_exit_bad_input);
  CHECK(notice.empty());
  CHECK(machine::preflight_exit(r, "0000:04:00.0", false, notice) == k_exit_unreadable);
  CHECK(notice == "iommu-groups --device 0000:04:00.0: the IOMMU groups are not in this "
                  "source (exit 3)");
  notice.clear();
  r.verdict = machine::Verdict::as_far_as_checked;
  CHECK(machine::preflight_exit(r, "0000:04:00.0", false, notice) == k_exit_unreadable);
  CHECK(notice.find("passable only as far as checked (exit 3)") != std::string::npos);
}
