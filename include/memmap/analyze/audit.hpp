// The diagnostics engine: a registry of checks over the whole model, each producing
// findings with a stable id, severity, subject, evidence, hint and fingerprint.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <memmap/model/address_space.hpp>
#include <memmap/model/diagnostic.hpp>

namespace memmap::pci {
struct PciModel;
}
namespace memmap::iommu {
struct IommuState;
}
namespace memmap::pci {
struct KernelLogEvents;
}

namespace memmap::analyze {

using model::Severity;

struct Subject {
  std::optional<std::string> bdf;
  std::optional<int> bar;              // 0-5, 6 = ROM; VF BARs as 7+
  std::optional<int> group;
  std::optional<std::uint64_t> start;
  std::optional<std::uint64_t> end;
  std::string region;                  // the region's path in a resource tree, if any
};

struct Finding {
  std::string id;
  Severity severity = Severity::warning;
  Subject subject;
  std::string message;                 // one line
  std::vector<std::string> evidence;   // addresses, source lines ("proc/iomem:12: ...")
  std::string hint;
  std::string fingerprint;             // stable: id + subject, no addresses of pointers or time
  // The fingerprint of the finding this one follows from ("" when it is a root cause): a
  // BAR outside its bridge's windows is also unclaimed and may hit a reserved region; a
  // CI report then shows one problem, not three.
  std::string caused_by;
};

// One source of the audit, read or not, and what memmap knows of it.
struct SourceStatus {
  std::string name;    // "iomem", "ioports", "pci", "iommu", "klog" (the names --require takes)
  bool read = false;
  std::string detail;  // read: where from ("fixtures/x/proc/iomem"); not read: why
};

// The sources --require may name, in this order.
const std::vector<std::string>& source_names();

// Everything the checks may look at; a null pointer is a source that could not be read.
struct AuditSources {
  const model::AddressSpace* iomem = nullptr;
  const model::AddressSpace* ioports = nullptr;
  const pci::PciModel* pci = nullptr;
  const iommu::IommuState* iommu = nullptr;
  const pci::KernelLogEvents* klog = nullptr;  // the kernel log's PCI resource events
  std::string klog_display;    // where it came from, for evidence: "/dev/kmsg", "boot.log"
  bool klog_records = false;   // /dev/kmsg records: a line number counts messages, not lines
  std::vector<SourceStatus> status;  // one entry per source_names(), filled by the loader
};

enum class Needs { any, iomem, ioports, pci, iommu, klog, pci_and_iomem, pci_and_iommu, pci_and_klog };
// What a check needs, for people: "/proc/iomem", "PCI devices, IOMMU groups", ...
const char* to_text(Needs n);

struct Check {
  const char* id;
  Severity severity;   // the severity of its findings (a check may lower it per finding)
  Needs needs;
  const char* description;
  void (*run)(const AuditSources&, std::vector<Finding>&);
};

// Every check, in the order they run and are listed.
const std::vector<Check>& check_registry();
const Check* find_check(const std::string& id);

struct AuditResult {
  std::vector<Finding> findings;        // sorted: severity (error first), id, subject
  std::vector<std::string> checks_run;
  std::vector<std::pair<std::string, std::string>> checks_skipped;  // id, why
  std::vector<SourceStatus> sources;    // AuditSources::status
  // True when no check that looks at a source ran (only "whatever is readable" checks, or
  // none), unless the user asked for exactly those: the run verified nothing it was meant to.
  bool nothing_checked = false;
};

// What a CI gate makes of a result (memmap(8), EXIT STATUS of audit).
struct AuditVerdict {
  bool nothing_checked = false;            // exit 3
  std::vector<std::string> missing;        // --require sources not read: exit 3
  int reaching_threshold = 0;              // findings at or above --fail-on: exit 1
};
AuditVerdict judge(const AuditResult& res, Severity threshold,
                   const std::vector<std::string>& required);

// Run the selected checks (`only` empty: all, minus `skip`). Fingerprints are filled in.
AuditResult run_audit(const AuditSources& src, const std::set<std::string>& only,
                      const std::set<std::string>& skip);

// A stable 16-hex-digit fingerprint of a finding's id and subject.
std::string fingerprint(const Finding& f);

// "error" -> Severity::error etc.; nullopt for other words.
std::optional<Severity> parse_severity(const std::string& s);

// The order findings are listed in: error 0, warning 1, info 2 (lower is more severe).
int severity_rank(Severity s);
// True when a finding of severity `s` reaches --fail-on `threshold`.
bool reaches(Severity s, Severity threshold);

// A baseline file (--baseline): one 16-hex-digit fingerprint per line, anything after the
// first blank or tab ignored; empty lines and lines starting with '#' skipped. `name` names
// the file in messages. Throws InputError "NAME:LINE: ..." on any other line.
std::set<std::string> parse_baseline(const std::string& text, const std::string& name);

// Drop the findings whose fingerprint `known` lists; returns how many were dropped.
std::size_t drop_known(AuditResult& res, const std::set<std::string>& known);

// Checks register through these (one function per check family, src/analyze/checks_*.cpp).
void add_iomem_checks(std::vector<Check>& out);
void add_pci_checks(std::vector<Check>& out);
void add_claim_checks(std::vector<Check>& out);
void add_iommu_checks(std::vector<Check>& out);
void add_klog_checks(std::vector<Check>& out);

} // namespace memmap::analyze
