#include <catch2/catch.hpp>

#include <memmap/analyze/audit.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/pci/kernel_log.hpp>
#include <memmap/pci/loader.hpp>

#include <fmt/format.h>
#include <memmap/render/audit.hpp>
#include <memmap/source/resource_tree.hpp>

#include <random>
#include <sstream>

using namespace memmap;
using analyze::Finding;

namespace {

model::AddressSpace
parse(const std::string& text)
{
  return source::parse_resource_tree(text, "iomem", model::SpaceKind::cpu_physical);
}

std::vector<Finding>
audit(const model::AddressSpace& sp, const std::string& only)
{
  analyze::AuditSources src;
  src.iomem = &sp;
  return analyze::run_audit(src, {only}, {}).findings;
}

} // namespace

TEST_CASE("iomem-overlap finds overlapping siblings by sort and sweep", "[audit]")
{
  const auto sp = parse("00000000-0009ffff : System RAM\n"
                        "00080000-000fffff : Reserved\n"
                        "00100000-bfffffff : System RAM\n"
                        "  00100000-001fffff : Kernel code\n"
                        "  00180000-002fffff : Kernel data\n");
  const auto f = audit(sp, "iomem-overlap");
  REQUIRE(f.size() == 2);
  CHECK(f[0].subject.start == 0x80000u);
  CHECK(f[0].subject.end == 0x9ffffu);
  CHECK(f[0].message == "'Reserved' (line 2) overlaps its sibling 'System RAM' (line 1)");
  CHECK(f[0].evidence.at(0) == "iomem:1: 0-9ffff : System RAM");
  CHECK(f[1].subject.region == "System RAM > Kernel data");
  CHECK(f[0].fingerprint.size() == 16);
  CHECK(f[0].fingerprint != f[1].fingerprint);
}

TEST_CASE("the sweep agrees with a pairwise check on random trees", "[audit]")
{
  std::mt19937_64 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::string text;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> rs;
    for (int i = 0; i < 40; ++i) {
      const std::uint64_t s = rng() % 1000;
      const std::uint64_t e = s + rng() % 50;
      rs.emplace_back(s, e);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%08llx-%08llx : r%d\n", static_cast<unsigned long long>(s),
                    static_cast<unsigned long long>(e), i);
      text += buf;
    }
    // Pairwise: regions that overlap some earlier-starting (or equal, earlier) region.
    std::set<int> expect;
    for (int i = 0; i < 40; ++i) {
      for (int j = 0; j < 40; ++j) {
        if (i != j && rs[i].first <= rs[j].second && rs[j].first <= rs[i].second) {
          expect.insert(i);
        }
      }
    }
    std::set<int> got;
    for (const auto& f : audit(parse(text), "iomem-overlap")) {
      // Both regions of each reported pair overlap something.
      for (const auto& ev : f.evidence) {
        got.insert(std::stoi(ev.substr(ev.rfind(" : r") + 4)));
      }
    }
    CHECK(got == expect);
  }
}

TEST_CASE("fingerprints are stable and independent of file position", "[audit]")
{
  const auto a = parse("00000000-0009ffff : System RAM\n00080000-000fffff : Reserved\n");
  const auto b = parse("ffff0000-ffffffff : Extra\n00000000-0009ffff : System RAM\n"
                       "00080000-000fffff : Reserved\n");
  CHECK(audit(a, "iomem-overlap").at(0).fingerprint
        == audit(b, "iomem-overlap").at(0).fingerprint);
}

TEST_CASE("audit JSON follows the contract", "[audit]")
{
  const auto sp = parse("00000000-0009ffff : System RAM\n00080000-000fffff : Reserved\n");
  analyze::AuditSources src;
  src.iomem = &sp;
  const auto res = analyze::run_audit(src, {}, {});
  const auto j = render::audit_to_json(res);
  REQUIRE(j["findings"].size() == 1);
  const auto& f = j["findings"][0];
  CHECK(f["id"] == "iomem-overlap");
  CHECK(f["severity"] == "warning");
  CHECK(f["subject"]["bdf"].is_null());
  CHECK(f["subject"]["bar"].is_null());
  CHECK(f["subject"]["group"].is_null());
  CHECK(f["subject"]["start"] == "0x80000");
  CHECK(f["subject"]["end"] == "0x9ffff");
  CHECK(f["evidence"].size() == 2);
  CHECK(f["hint"].get<std::string>().size() > 10);
  CHECK(j["summary"]["warning"] == 1);
  CHECK(j["summary"]["error"] == 0);
  CHECK(j["checks_run"].size() == res.checks_run.size());
}

TEST_CASE("JUnit: one test case per check, failures at the threshold", "[audit]")
{
  const auto sp = parse("00000000-0009ffff : System RAM\n00080000-000fffff : Reserved\n");
  analyze::AuditSources src;
  src.iomem = &sp;
  const auto res = analyze::run_audit(src, {}, {});
  std::ostringstream warn;
  render::render_audit_junit(res, analyze::Severity::warning, warn);
  CHECK(warn.str().find("failures=\"1\"") != std::string::npos);
  CHECK(warn.str().find("<testcase classname=\"memmap.audit\" name=\"iomem-overlap\">")
        != std::string::npos);
  std::ostringstream err;
  render::render_audit_junit(res, analyze::Severity::error, err);
  CHECK(err.str().find("failures=\"0\"") != std::string::npos);
  CHECK(render::xml_escape("<a & \"b\">") == "&lt;a &amp; &quot;b&quot;&gt;");
}

TEST_CASE("hidden addresses: view-truncated, and no address checks", "[audit]")
{
  const auto sp = parse("00000000-00000000 : System RAM\n00000000-00000000 : Reserved\n");
  analyze::AuditSources src;
  src.iomem = &sp;
  const auto res = analyze::run_audit(src, {}, {});
  REQUIRE(res.findings.size() == 1);
  CHECK(res.findings[0].id == "view-truncated");
}

TEST_CASE("checks whose source is missing are skipped, with why", "[audit]")
{
  analyze::AuditSources src;
  const auto res = analyze::run_audit(src, {}, {});
  CHECK(res.checks_run == std::vector<std::string>{"view-truncated"});  // needs nothing
  CHECK(res.findings.empty());
  CHECK_FALSE(res.checks_skipped.empty());
  CHECK(res.checks_skipped[0].second == "needs /proc/iomem");
}

TEST_CASE("overlap findings grow with the machine, not its square", "[audit][scale]")
{
  // k siblings on one range: one finding listing k members (was k-1 or k(k-1)/2).
  std::string text = "00000000-0fffffff : PCI Bus 0000:00\n";
  for (int i = 0; i < 50; ++i) {
    text += "  00100000-001fffff : dev" + std::to_string(i) + "\n";
  }
  text += "  00300000-003fffff : alone\n";
  const auto f = audit(parse(text), "iomem-overlap");
  REQUIRE(f.size() == 1);
  CHECK(f[0].evidence.size() == 50);
  CHECK(f[0].message == "50 siblings overlap in 0x100000-0x1fffff, from 'dev0' (line 2)");

  // k devices whose BAR0 decodes one range, and a ROM over them: one finding each.
  pci::PciModel m;
  for (int i = 0; i < 40; ++i) {
    pci::Device d;
    d.bdf = fmt::format("0000:{:02x}:00.0", i + 1);
    pci::Bar b;
    b.index = 0;
    b.cpu_address = 0xf0000000;
    b.size = 0x100000;
    d.bars.push_back(b);
    m.devices.push_back(std::move(d));
  }
  pci::Device r;
  r.bdf = "0000:80:00.0";
  r.rom = pci::Rom{};
  r.rom->cpu_address = 0xf0080000;
  r.rom->size = 0x80000;
  m.devices.push_back(std::move(r));
  analyze::AuditSources src;
  src.pci = &m;
  const auto bars = analyze::run_audit(src, {"bar-overlap"}, {}).findings;
  REQUIRE(bars.size() == 1);
  CHECK(bars[0].evidence.size() == 40);
  CHECK(bars[0].message == "40 BARs of 40 devices decode overlapping addresses in 0xf0000000-0xf00fffff");
  const auto roms = analyze::run_audit(src, {"rom-overlap"}, {}).findings;
  REQUIRE(roms.size() == 1);
  CHECK(roms[0].subject.bdf == "0000:80:00.0");
  CHECK(roms[0].evidence.size() == 41);  // the ROM and the 40 BARs it overlaps
}

TEST_CASE("reserved regions: msi/reserved on the bus side, direct on the CPU side", "[audit][iommu]")
{
  // One BAR behind a host bridge with an offset: bus 0xfee00000, CPU 0x80fee00000.
  for (const bool offset : {false, true}) {
    const std::uint64_t cpu = offset ? 0x80fee00000ULL : 0xfee00000ULL;
    pci::PciModel m;
    pci::Device d;
    d.bdf = "0000:01:00.0";
    pci::Bar b;
    b.index = 0;
    b.bus_address = 0xfee00000;
    b.cpu_address = cpu;
    b.size = 0x10000;
    d.bars.push_back(b);
    pci::Device no_bus = d;  // a BAR whose register was not read: its bus side is unknown
    no_bus.bdf = "0000:02:00.0";
    no_bus.bars[0].bus_address.reset();
    m.devices = {d, no_bus};
    struct Case {
      const char* type;
      std::uint64_t start;
      bool hit_01;
      bool error;
    };
    const Case cases[] = {
      {"msi", 0xfee00000, true, false},            // bus side
      {"reserved", 0xfee00000, true, false},       // bus side
      {"direct", 0xfee00000, !offset, true},       // CPU side: hits only without an offset
      {"direct-relaxable", cpu, true, true},       // CPU side
      {"msi", cpu, !offset, false},                // the CPU range is not what msi compares
      {"direct", 0x10000000, false, true},         // no overlap at all
    };
    for (const auto& c : cases) {
      INFO("offset " << offset << " type " << c.type << " at " << std::hex << c.start);
      iommu::IommuState st;
      iommu::Group g;
      g.id = 3;
      g.reserved.push_back({c.start, c.start + 0xfffff, c.type, 1});
      st.groups.push_back(g);
      iommu::Group empty;  // a group with no reserved region at all
      empty.id = 4;
      st.groups.push_back(empty);
      analyze::AuditSources src;
      src.pci = &m;
      src.iommu = &st;
      const auto f = analyze::run_audit(src, {"reserved-region-overlap"}, {}).findings;
      std::set<std::string> devs;
      for (const auto& x : f) {
        devs.insert(*x.subject.bdf);
        CHECK((x.severity == analyze::Severity::error) == c.error);
        CHECK(x.subject.group == 3);
      }
      CHECK(devs.count("0000:01:00.0") == (c.hit_01 ? 1u : 0u));
      // 02:00.0's bus address is unknown: compared only on the CPU side (direct regions).
      const bool cpu_side = std::string(c.type).rfind("direct", 0) == 0;
      CHECK(devs.count("0000:02:00.0") == (cpu_side && c.hit_01 ? 1u : 0u));
    }
  }
}

TEST_CASE("bar-not-claimed: an assigned BAR no line claims, decode on, off or unknown", "[audit]")
{
  // The kernel claims what it assigned whether or not a driver turned decoding on.
  const auto sp = parse("e0000000-efffffff : PCI Bus 0000:00\n"
                        "  e0000000-e0ffffff : 0000:00:02.0\n");
  for (const std::optional<bool> decode : {std::optional<bool>(true), std::optional<bool>(false),
                                           std::optional<bool>()}) {
    INFO("decode " << (decode ? (*decode ? "on" : "off") : "unknown"));
    pci::PciModel m;
    pci::Device claimed;
    claimed.bdf = "0000:00:02.0";
    pci::Bar b;
    b.bus_address = 0xe0000000;
    b.cpu_address = 0xe0000000;
    b.size = 0x1000000;
    b.raw_low = 0xe0000000;
    b.decode_enabled = decode;
    claimed.bars.push_back(b);
    pci::Device lost = claimed;
    lost.bdf = "0000:00:03.0";
    lost.bars[0].bus_address = lost.bars[0].cpu_address = 0xe1000000;
    m.devices = {claimed, lost};
    pci::cross_reference(m, &sp, nullptr);
    analyze::AuditSources src;
    src.iomem = &sp;
    src.pci = &m;
    const auto f = analyze::run_audit(src, {"bar-not-claimed"}, {}).findings;
    REQUIRE(f.size() == 1);
    CHECK(*f[0].subject.bdf == "0000:00:03.0");
  }
}

TEST_CASE("kernel-log checks: the kernel's view now outranks an old failure", "[audit][klog]")
{
  // One function whose BAR 1 failed and was placed by a later pass, whose BAR 3 failed and
  // still has no address, and a claim conflict with a boot framebuffer.
  const auto log = pci::parse_kernel_log(
    "[    0.2] pci 0000:01:00.0: BAR 1 [mem size 0x10000000 64bit pref]: can't assign; no space\n"
    "[    0.2] pci 0000:01:00.0: BAR 1 [mem size 0x10000000 64bit pref]: failed to assign\n"
    "[    0.3] pci 0000:01:00.0: BAR 1 [mem 0xd0000000-0xdfffffff 64bit pref]: assigned\n"
    "[    0.2] pci 0000:01:00.0: BAR 3 [mem size 0x02000000 64bit pref]: can't assign; no space\n"
    "[    0.1] pci 0000:01:00.0: BAR 0 [mem 0xe0000000-0xe0ffffff]: can't claim; address "
    "conflict with BOOTFB [mem 0xe0000000-0xe07e8fff]\n");
  pci::PciModel model;
  pci::Device d;
  d.bdf = "0000:01:00.0";
  pci::Bar b1;
  b1.index = 1;
  b1.bits = 64;
  b1.cpu_address = 0xd0000000;
  b1.size = 0x10000000;
  pci::Bar b3;
  b3.index = 3;
  b3.bits = 64;
  b3.unassigned = true;
  d.bars = {b1, b3};
  model.devices.push_back(d);
  analyze::AuditSources src;
  src.pci = &model;
  src.klog = &log;
  src.klog_display = "boot.log";
  const auto res = analyze::run_audit(
    src, {"bar-assign-failed", "bar-claim-conflict", "realloc-advised", "bridge-window-short"}, {});
  CHECK(res.checks_skipped.empty());
  std::vector<std::string> got;
  for (const auto& f : res.findings) {
    got.push_back(f.id + " " + f.subject.bdf.value_or("?") + " "
                  + (f.subject.bar ? std::to_string(*f.subject.bar) : std::string("-")));
  }
  // BAR 1 has an address in sysfs now: not failed. No realloc line, no window failure.
  CHECK(got == std::vector<std::string>{"bar-assign-failed 0000:01:00.0 3",
                                        "bar-claim-conflict 0000:01:00.0 0"});
  REQUIRE(res.findings.size() == 2);
  CHECK(res.findings[0].evidence.front() == "boot.log:4: [    0.2] pci 0000:01:00.0: BAR 3 [mem "
                                            "size 0x02000000 64bit pref]: can't assign; no space");
  CHECK(res.findings[1].hint.find("initcall_blacklist=sysfb_init") != std::string::npos);
  // Without the log the same checks are skipped and say why.
  analyze::AuditSources none;
  none.pci = &model;
  const auto skipped = analyze::run_audit(none, {"bar-assign-failed", "realloc-advised"}, {});
  REQUIRE(skipped.checks_skipped.size() == 2);
  CHECK(skipped.checks_skipped[0].second == "needs the kernel log");
}
