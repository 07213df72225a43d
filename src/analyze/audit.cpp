#include <memmap/analyze/audit.hpp>

#include <memmap/error.hpp>
#include <memmap/pci/device.hpp>

#include <algorithm>
#include <map>
#include <string_view>
#include <tuple>
#include <fmt/format.h>

namespace memmap::analyze {

const std::vector<std::string>&
source_names()
{
  static const std::vector<std::string> k_names = {"iomem", "ioports", "pci", "iommu", "klog"};
  return k_names;
}

const std::vector<Check>&
check_registry()
{
  static const std::vector<Check> k_checks = [] {
    std::vector<Check> v;
    add_iomem_checks(v);
    add_pci_checks(v);
    add_claim_checks(v);
    add_iommu_checks(v);
    add_klog_checks(v);
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
  case Needs::klog:
    return s.klog ? nullptr : "needs the kernel log";
  case Needs::pci_and_klog:
    return !pci ? "needs the PCI devices" : !s.klog ? "needs the kernel log" : nullptr;
  }
  return nullptr;
}


// Which findings follow from which, about the same BAR (or ROM): the effect is named first,
// then the causes it can have, most fundamental first.
struct CauseRule {
  const char* effect;
  std::vector<const char*> causes;
};
const std::vector<CauseRule>&
cause_rules()
{
  static const std::vector<CauseRule> k_rules = {
    // A BAR placed outside its bridge's windows is not forwarded there: the kernel cannot
    // claim it, and its address may land on anything else.
    // The kernel log says why a BAR has no address.
    {"bar-unassigned", {"bar-assign-failed"}},
    {"bar-not-claimed", {"bar-outside-window", "bar-overlap", "bar-overlaps-ram", "bar-misaligned"}},
    {"reserved-region-overlap", {"bar-outside-window", "bar-overlaps-ram"}},
    {"bar-overlap", {"bar-outside-window"}},
    {"bar-overlaps-ram", {"bar-outside-window"}},
    {"rom-overlap", {"bar-outside-window"}},
  };
  return k_rules;
}

// Link each finding to its root cause (Finding::caused_by): the same BAR's more fundamental
// finding by cause_rules(), or for an unassigned BAR the unassigned window of the bridge it
// sits behind. Causes are followed to their own root.
void
link_causes(const AuditSources& src, std::vector<Finding>& findings)
{
  std::map<std::tuple<std::string, std::string, int>, const Finding*> by_subject;
  for (const auto& f : findings) {
    if (f.subject.bdf) {
      by_subject.emplace(std::make_tuple(f.id, *f.subject.bdf, f.subject.bar.value_or(-1)), &f);
    }
  }
  std::map<std::string, std::string> cause_of;  // fingerprint -> cause fingerprint
  for (const auto& f : findings) {
    if (!f.subject.bdf) {
      continue;
    }
    const int bar = f.subject.bar.value_or(-1);
    for (const auto& rule : cause_rules()) {
      if (f.id != rule.effect) {
        continue;
      }
      for (const char* c : rule.causes) {
        if (auto it = by_subject.find({c, *f.subject.bdf, bar}); it != by_subject.end()) {
          cause_of[f.fingerprint] = it->second->fingerprint;
          break;
        }
      }
    }
    if (f.id == "bar-unassigned" && src.pci && !cause_of.count(f.fingerprint)) {
      // An unassigned window upstream (nearest first) leaves nothing to assign from.
      for (const auto* up : src.pci->upstream_path(*f.subject.bdf)) {
        if (auto it = by_subject.find({"window-unassigned", up->bdf, -1}); it != by_subject.end()) {
          cause_of[f.fingerprint] = it->second->fingerprint;
          break;
        }
      }
    }
  }
  for (auto& f : findings) {
    auto it = cause_of.find(f.fingerprint);
    // Follow the chain to its root (bounded: the rules above have no cycle).
    for (int steps = 0; it != cause_of.end() && steps < 8; ++steps) {
      f.caused_by = it->second;
      it = cause_of.find(it->second);
    }
  }
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
  link_causes(src, res.findings);
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
                     if (severity_rank(a.severity) != severity_rank(b.severity)) {
                       return severity_rank(a.severity) < severity_rank(b.severity);
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
    v.reaching_threshold += reaches(f.severity, threshold) ? 1 : 0;
  }
  return v;
}

int
severity_rank(Severity s)
{
  return s == Severity::error ? 0 : s == Severity::warning ? 1 : 2;
}

bool
reaches(Severity s, Severity threshold)
{
  return severity_rank(s) <= severity_rank(threshold);
}

const char*
to_text(Needs n)
{
  switch (n) {
  case Needs::any: return "whatever is readable";
  case Needs::iomem: return "/proc/iomem";
  case Needs::ioports: return "/proc/ioports";
  case Needs::pci: return "PCI devices";
  case Needs::iommu: return "IOMMU groups";
  case Needs::pci_and_iomem: return "PCI devices, /proc/iomem";
  case Needs::pci_and_iommu: return "PCI devices, IOMMU groups";
  case Needs::klog: return "the kernel log";
  case Needs::pci_and_klog: return "PCI devices, the kernel log";
  }
  return "";
}

std::set<std::string>
parse_baseline(const std::string& text, const std::string& name)
{
  std::set<std::string> fps;
  std::size_t pos = 0;
  int n = 0;
  while (pos < text.size()) {
    const std::size_t eol = std::min(text.find('\n', pos), text.size());
    const std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    ++n;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const std::string tok(line.substr(0, line.find_first_of(" \t")));
    if (tok.size() != 16 || tok.find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw InputError(fmt::format("{}:{}: expected a 16-digit fingerprint, got '{}'", name, n,
                                   tok.substr(0, 40)));
    }
    fps.insert(tok);
  }
  return fps;
}

std::size_t
drop_known(AuditResult& res, const std::set<std::string>& known)
{
  return std::erase_if(res.findings,
                       [&](const Finding& f) { return known.count(f.fingerprint) > 0; });
}

} // namespace memmap::analyze
