// The audit pieces that used to live in cli/cmd_audit.cpp: the baseline parser (on hostile
// input), severity ranking against --fail-on, what a check needs, dropping known findings,
// and loading the audit model from a machine.
#include <catch2/catch.hpp>

#include <memmap/analyze/audit.hpp>
#include <memmap/error.hpp>
#include <memmap/machine/audit.hpp>
#include <memmap/machine/machine.hpp>

#include <string>
#include <vector>

using namespace memmap;
using analyze::Severity;

TEST_CASE("parse_baseline: fingerprints, comments, trailing text", "[machine][audit]")
{
  const auto fps = analyze::parse_baseline("# memmap audit baseline\n"
                                           "\n"
                                           "0123456789abcdef  pci-bar-overlap  0000:01:00.0\n"
                                           "fedcba9876543210\tiomem-overlap\n"
                                           "0123456789abcdef\n"
                                           "aaaaaaaaaaaaaaaa",  // no final newline
                                           "base.txt");
  CHECK(fps == std::set<std::string>{"0123456789abcdef", "fedcba9876543210", "aaaaaaaaaaaaaaaa"});
  CHECK(analyze::parse_baseline("", "empty").empty());
  CHECK(analyze::parse_baseline("#only a comment", "c").empty());
}

TEST_CASE("parse_baseline: hostile lines name file and line", "[machine][audit]")
{
  const auto message = [](const std::string& text) {
    try {
      analyze::parse_baseline(text, "base.txt");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK(message("0123456789abcdef\nnot-a-fingerprint\n")
        == "base.txt:2: expected a 16-digit fingerprint, got 'not-a-fingerprint'");
  CHECK(message("0123456789ABCDEF\n") .find("base.txt:1:") == 0);       // upper case: no
  CHECK(message("0123456789abcde\n").find("base.txt:1:") == 0);         // 15 digits
  CHECK(message("0123456789abcdef0\n").find("base.txt:1:") == 0);       // 17 digits
  CHECK(message(" 0123456789abcdef\n").find("base.txt:1:") == 0);       // leading blank
  CHECK(message("0123456789abcdef\r\n").find("base.txt:1:") == 0);      // CRLF is not ours
  CHECK(message(std::string("0123456789abcde\0", 16)).find("base.txt:1:") == 0);  // a NUL
  // A very long line is quoted cut to 40 characters.
  const std::string m = message(std::string(5000, 'x'));
  CHECK(m == "base.txt:1: expected a 16-digit fingerprint, got '" + std::string(40, 'x') + "'");
  // Binary junk after valid lines: the line number counts every line, blank ones too.
  CHECK(message("\n\n#\n0123456789abcdef\n\xff\xfe").find("base.txt:5:") == 0);
}

TEST_CASE("severity ranking: error first; reaches --fail-on", "[machine][audit]")
{
  CHECK(analyze::severity_rank(Severity::error) < analyze::severity_rank(Severity::warning));
  CHECK(analyze::severity_rank(Severity::warning) < analyze::severity_rank(Severity::info));
  CHECK(analyze::reaches(Severity::error, Severity::error));
  CHECK_FALSE(analyze::reaches(Severity::warning, Severity::error));
  CHECK(analyze::reaches(Severity::warning, Severity::warning));
  CHECK(analyze::reaches(Severity::error, Severity::info));
  CHECK_FALSE(analyze::reaches(Severity::info, Severity::warning));
  CHECK(analyze::reaches(Severity::info, Severity::info));

  analyze::AuditResult res;
  analyze::Finding e, w, i;
  e.severity = Severity::error;
  w.severity = Severity::warning;
  i.severity = Severity::info;
  res.findings = {e, w, i};
  CHECK(analyze::judge(res, Severity::error, {}).reaching_threshold == 1);
  CHECK(analyze::judge(res, Severity::warning, {}).reaching_threshold == 2);
  CHECK(analyze::judge(res, Severity::info, {}).reaching_threshold == 3);
}

TEST_CASE("to_text(Needs) names every source a check can need", "[machine][audit]")
{
  CHECK(std::string(analyze::to_text(analyze::Needs::any)) == "whatever is readable");
  CHECK(std::string(analyze::to_text(analyze::Needs::pci_and_iommu))
        == "PCI devices, IOMMU groups");
  for (const auto& c : analyze::check_registry()) {
    CHECK_FALSE(std::string(analyze::to_text(c.needs)).empty());
  }
}

TEST_CASE("drop_known removes exactly the baseline's findings", "[machine][audit]")
{
  analyze::AuditResult res;
  analyze::Finding a, b;
  a.fingerprint = "0000000000000001";
  b.fingerprint = "0000000000000002";
  res.findings = {a, b, a};
  CHECK(analyze::drop_known(res, {"0000000000000001", "ffffffffffffffff"}) == 2);
  REQUIRE(res.findings.size() == 1);
  CHECK(res.findings[0].fingerprint == "0000000000000002");
  CHECK(analyze::drop_known(res, {}) == 0);
}

TEST_CASE("read_baseline: an unreadable file is a SourceError naming it", "[machine][audit]")
{
  const std::string path = std::string(MEMMAP_SOURCE_DIR) + "/no/such/baseline.txt";
  try {
    machine::read_baseline(path);
    FAIL("no error");
  } catch (const SourceError& e) {
    CHECK(std::string(e.what()).find(path) == 0);
  }
}

TEST_CASE("load_audit_model: files only, the rest is said once and not read", "[machine][audit]")
{
  std::vector<std::string> notices;
  machine::MachineArgs args;
  args.sources.iomem_file = std::string(MEMMAP_SOURCE_DIR) + "/fixtures/seed-quadro-p1000/proc/iomem";
  machine::Machine m(args, [&](const std::string& s) { notices.push_back(s); });
  machine::AuditModel am;
  machine::load_audit_model(m, am);
  CHECK(am.src.iomem != nullptr);
  CHECK(am.src.ioports == nullptr);  // live root beside a file: never this machine's
  CHECK(am.src.pci == nullptr);
  CHECK(am.src.iommu == nullptr);
  CHECK(am.src.klog == nullptr);     // nor this machine's kernel log
  REQUIRE(am.src.status.size() == 5);
  CHECK(am.src.status[0].name == "iomem");
  CHECK(am.src.status[0].read);
  for (std::size_t i = 1; i < 5; ++i) {
    CHECK_FALSE(am.src.status[i].read);
    CHECK_FALSE(am.src.status[i].detail.empty());
  }
  CHECK(am.src.status[3].name == "klog");
  CHECK(am.src.status[3].detail.find("--dmesg FILE") != std::string::npos);
  CHECK(notices.size() == 4);
}
