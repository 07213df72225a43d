// memmap diff's audit section: findings new in B and resolved since A, matched by their
// fingerprints (stable across runs and machines with the same layout).
#include "command.hpp"
#include "diff.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <map>
#include <optional>

namespace memmap::cli {

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

// The findings by fingerprint; nullopt when the side has nothing to audit at all.
std::optional<std::map<std::string, analyze::Finding>>
findings_of(Context& ctx)
{
  AuditModel m;
  load_audit_model(ctx, m);
  auto res = analyze::run_audit(m.src, {}, {});
  if (!m.src.iomem && !m.src.ioports && !m.src.pci && !m.src.iommu) {
    return std::nullopt;
  }
  std::map<std::string, analyze::Finding> out;
  for (auto& f : res.findings) {
    out.emplace(f.fingerprint, std::move(f));
  }
  return out;
}

model::Change
change_for(const analyze::Finding& f, model::ChangeKind kind)
{
  model::Change c;
  c.kind = kind;
  c.path = {f.id, subject_text(f)};
  const std::string v = fmt::format("{}: {}", model::to_string(f.severity), f.message);
  (kind == model::ChangeKind::added ? c.after_value : c.before_value) = v;
  c.detail = kind == model::ChangeKind::added ? "new finding" : "resolved";
  return c;
}

} // namespace

void
add_audit_diff_sections(DiffSectionList& sections)
{
  sections.push_back({"audit", "Audit findings", [](Context& a, Context& b) {
                        SectionResult r;
                        const auto oa = findings_of(a);
                        const auto ob = findings_of(b);
                        if (!oa || !ob) {
                          r.compared = false;
                          r.notes.push_back(fmt::format("nothing to audit in {}",
                                                        !oa && !ob ? "A or B" : !oa ? "A" : "B"));
                          return r;
                        }
                        const auto& fa = *oa;
                        const auto& fb = *ob;
                        // A side read without root sees only part of the machine: its findings
                        // would differ from a full view's for that reason alone.
                        auto truncated = [](const auto& fs) {
                          for (const auto& [fp, f] : fs) {
                            if (f.id == "view-truncated") {
                              return true;
                            }
                          }
                          return false;
                        };
                        const bool ta = truncated(fa);
                        const bool tb = truncated(fb);
                        if (ta || tb) {
                          r.compared = false;
                          r.notes.push_back(fmt::format(
                            "the view of {} is truncated (read without root): findings not "
                            "compared",
                            ta && tb ? "A and B" : ta ? "A" : "B"));
                          return r;
                        }
                        for (const auto& [fp, f] : fa) {
                          if (!fb.count(fp)) {
                            r.changes.push_back(change_for(f, model::ChangeKind::removed));
                          }
                        }
                        for (const auto& [fp, f] : fb) {
                          if (!fa.count(fp)) {
                            r.changes.push_back(change_for(f, model::ChangeKind::added));
                          }
                        }
                        std::stable_sort(r.changes.begin(), r.changes.end(),
                                         [](const model::Change& x, const model::Change& y) {
                                           return x.path < y.path;
                                         });
                        return r;
                      }});
}

} // namespace memmap::cli
