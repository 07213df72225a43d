#include <memmap/analyze/audit.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace memmap::analyze {

const std::vector<std::string>&
source_names()
{
  static const std::vector<std::string> k_names = {"iomem", "ioports", "pci", "iommu"};
  return k_names;
}

const std::vector<Check>&
check_registry()
{
  static const std::vector<Check> k_checks = [] {
    std::vector<Check> v;
    add_iomem_checks(v);
    add_pci_checks(v);
    add_iommu_checks(v);
    return v;
  }();
  return k_checks;
}

const Check*
find_check(const std::string& id)
{
  for (const auto& c : check_registry()) {
    if (id == c.id) {
      return &c;
    }
  }
  return nullptr;
}

std::optional<Severity>
parse_severity(const std::string& s)
{
  if (s == "info") {
    return Severity::info;
  }
  if (s == "warning") {
    return Severity::warning;
  }
  if (s == "error") {
    return Severity::error;
  }
  return std::nullopt;
}

std::string
fingerprint(const Finding& f)
{
  // FNV-1a over the id and the subject: stable across runs and across machines that have
  // the same layout.
  std::string key = f.id;
  key += '|' + f.subject.bdf.value_or("");
  key += '|' + (f.subject.bar ? std::to_string(*f.subject.bar) : std::string());
  // Group numbers are handed out at boot and change between boots: a finding about a device
  // is keyed by the device, not by the number of its group.
  if (!f.subject.bdf) {
    key += '|' + (f.subject.group ? std::to_string(*f.subject.group) : std::string());
  }
  key += '|' + (f.subject.start ? fmt::format("{:x}", *f.subject.start) : std::string());
  key += '|' + (f.subject.end ? fmt::format("{:x}", *f.subject.end) : std::string());
  key += '|' + f.subject.region;
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", h);
}

namespace {

const char*
missing_source(const AuditSources& s, Needs n)
{
  const bool iomem = s.iomem != nullptr;
  const bool pci = s.pci != nullptr;
  const bool iommu = s.iommu != nullptr;
  switch (n) {
  case Needs::any:
    return nullptr;
  case Needs::iomem:
    return iomem ? nullptr : "needs /proc/iomem";
  case Needs::ioports:
    return s.ioports ? nullptr : "needs /proc/ioports";
  case Needs::pci:
    return pci ? nullptr : "needs the PCI devices";
  case Needs::iommu:
    return iommu ? nullptr : "needs the IOMMU groups";
  case Needs::pci_and_iomem:
    return !pci ? "needs the PCI devices" : !iomem ? "needs /proc/iomem" : nullptr;
  case Needs::pci_and_iommu:
    return !pci ? "needs the PCI devices" : !iommu ? "needs the IOMMU groups" : nullptr;
  }
  return nullptr;
}

int
rank(Severity s)
{
  return s == Severity::error ? 0 : s == Severity::warning ? 1 : 2;
}

} // namespace

AuditResult
run_audit(const AuditSources& src, const std::set<std::string>& only,
          const std::set<std::string>& skip)
{
  AuditResult res;
  for (const auto& c : check_registry()) {
    if ((!only.empty() && !only.count(c.id)) || skip.count(c.id)) {
      continue;
    }
    if (const char* why = missing_source(src, c.needs)) {
      res.checks_skipped.emplace_back(c.id, why);
      continue;
    }
    c.run(src, res.findings);
    res.checks_run.emplace_back(c.id);
  }
  for (auto& f : res.findings) {
    f.fingerprint = fingerprint(f);
  }
  res.sources = src.status;
  bool asked_any_only = !only.empty();
  for (const auto& id : only) {
    const Check* c = find_check(id);
    asked_any_only = asked_any_only && c && c->needs == Needs::any;
  }
  bool looked = false;
  for (const auto& id : res.checks_run) {
    const Check* c = find_check(id);
    looked = looked || (c && c->needs != Needs::any);
  }
  res.nothing_checked = res.checks_run.empty() || (!looked && !asked_any_only);
  std::stable_sort(res.findings.begin(), res.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     if (rank(a.severity) != rank(b.severity)) {
                       return rank(a.severity) < rank(b.severity);
                     }
                     if (a.id != b.id) {
                       return a.id < b.id;
                     }
                     return a.subject.start.value_or(0) < b.subject.start.value_or(0);
                   });
  return res;
}

AuditVerdict
judge(const AuditResult& res, Severity threshold, const std::vector<std::string>& required)
{
  AuditVerdict v;
  v.nothing_checked = res.nothing_checked;
  for (const auto& name : required) {
    const auto it = std::find_if(res.sources.begin(), res.sources.end(),
                                 [&](const SourceStatus& s) { return s.name == name; });
    if (it == res.sources.end() || !it->read) {
      v.missing.push_back(name);
    }
  }
  for (const auto& f : res.findings) {
    v.reaching_threshold += rank(f.severity) <= rank(threshold) ? 1 : 0;
  }
  return v;
}

} // namespace memmap::analyze
