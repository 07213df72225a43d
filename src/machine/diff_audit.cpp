// memmap diff's audit section: findings new in B and resolved since A, matched by their
// fingerprints (stable across runs and machines with the same layout).
#include <memmap/machine/diff.hpp>

#include <memmap/analyze/audit.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace memmap::machine {

namespace {

std::string
subject_text(const analyze::Finding& f)
{
  std::string s = f.subject.bdf.value_or("");
  if (f.subject.bar) {
    s += (s.empty() ? "" : " ") + (*f.subject.bar == 6 ? std::string("ROM")
                                                        : fmt::format("BAR{}", *f.subject.bar));
  }
  if (f.subject.group) {
    s += (s.empty() ? "" : " ") + fmt::format("group {}", *f.subject.group);
  }
  return s.empty() ? f.subject.region : s;
}

using Findings = std::map<std::string, analyze::Finding>;

// The findings by fingerprint; nullopt when the side has nothing to audit at all.
std::optional<Findings>
findings_of(DiffInputs& in)
{
  std::optional<Findings> out;
  in.audit([&](const analyze::AuditSources& src) {
    auto res = analyze::run_audit(src, {}, {});
    if (!src.iomem && !src.ioports && !src.pci && !src.iommu) {
      return;
    }
    out.emplace();
    for (auto& f : res.findings) {
      out->emplace(f.fingerprint, std::move(f));
    }
  });
  return out;
}

model::Change
change_for(const analyze::Finding& f, model::ChangeKind kind)
{
  model::Change c;
  c.kind = kind;
  c.path = {f.id, subject_text(f)};
  const bool added = kind == model::ChangeKind::added;
  (added ? c.after_value : c.before_value) = model::FindingValue{f.severity, f.message};
  c.detail = {std::string(added ? "new finding" : "resolved")};
  return c;
}

// A side read without root sees only part of the machine: its findings would differ from a
// full view's for that reason alone.
bool
truncated(const Findings& fs)
{
  return std::any_of(fs.begin(), fs.end(), [](const auto& e) { return e.second.id == "view-truncated"; });
}

} // namespace

DiffSectionReport
diff_audit(DiffInputs& a, DiffInputs& b)
{
  DiffSectionReport r;
  r.section = *find_diff_section("audit");
  const auto oa = findings_of(a);
  const auto ob = findings_of(b);
  if (!oa || !ob) {
    r.compared = false;
    r.notes.push_back(fmt::format("nothing to audit in {}", !oa && !ob ? "A or B" : !oa ? "A" : "B"));
    return r;
  }
  const bool ta = truncated(*oa);
  const bool tb = truncated(*ob);
  if (ta || tb) {
    r.compared = false;
    r.notes.push_back(fmt::format("the view of {} is truncated (read without root): findings not "
                                  "compared",
                                  ta && tb ? "A and B" : ta ? "A" : "B"));
    return r;
  }
  for (const auto& [fp, f] : *oa) {
    if (!ob->count(fp)) {
      r.changes.push_back(change_for(f, model::ChangeKind::removed));
    }
  }
  for (const auto& [fp, f] : *ob) {
    if (!oa->count(fp)) {
      r.changes.push_back(change_for(f, model::ChangeKind::added));
    }
  }
  std::stable_sort(r.changes.begin(), r.changes.end(),
                   [](const model::Change& x, const model::Change& y) { return x.path < y.path; });
  return r;
}

} // namespace memmap::machine
