// Checks on the resource trees themselves (/proc/iomem, /proc/ioports).
#include <memmap/analyze/audit.hpp>

#include "overlap_runs.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <numeric>

namespace memmap::analyze {

using model::AddressSpace;
using model::Region;

namespace {

std::string
line_evidence(const AddressSpace& sp, const Region& r)
{
  return fmt::format("{}:{}: {:x}-{:x} : {}", sp.source, r.line, r.start, r.end, r.name);
}

std::string
path_of(const std::vector<const Region*>& parents, const Region& r)
{
  std::string s;
  for (const auto* p : parents) {
    s += p->name + " > ";
  }
  return s + r.name;
}

// One sweep over one sibling list (detail::overlap_runs): one finding per stretch of
// overlapping siblings, listing every member, so k siblings on one range are one finding.
void
sweep_siblings(const AddressSpace& sp, const std::vector<Region>& sibs,
               const std::vector<const Region*>& parents, std::vector<Finding>& out)
{
  std::vector<const Region*> sorted;
  sorted.reserve(sibs.size());
  for (const auto& r : sibs) {
    if (r.start == 0 && r.end == 0 && !parents.empty() && !parents.back()->contains(r)) {
      continue;  // an empty resource some kernels print as 0-0 (outside-parent reports it)
    }
    sorted.push_back(&r);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Region* a, const Region* b) { return a->start < b->start; });
  detail::overlap_runs(
    sorted, [](const Region* r) { return r->start; }, [](const Region* r) { return r->end; },
    [](const Region*, const Region*) { return true; },
    [&](std::size_t first, std::size_t count) {
      Finding f;
      f.id = "iomem-overlap";
      f.severity = Severity::warning;
      std::uint64_t last = 0;
      for (std::size_t i = first; i < first + count; ++i) {
        last = std::max(last, sorted[i]->end);
      }
      if (count == 2) {
        const Region& a = sorted[first]->line < sorted[first + 1]->line ? *sorted[first] : *sorted[first + 1];
        const Region& b = sorted[first]->line < sorted[first + 1]->line ? *sorted[first + 1] : *sorted[first];
        f.subject.start = std::max(a.start, b.start);
        f.subject.end = std::min(a.end, b.end);
        f.subject.region = path_of(parents, b);
        f.message = fmt::format("'{}' (line {}) overlaps its sibling '{}' (line {})", b.name,
                                b.line, a.name, a.line);
        f.evidence = {line_evidence(sp, a), line_evidence(sp, b)};
      } else {
        const Region& a = *sorted[first];
        f.subject.start = a.start;
        f.subject.end = last;
        f.subject.region = path_of(parents, a);
        f.message = fmt::format("{} siblings overlap in {:#x}-{:#x}, from '{}' (line {})", count,
                                a.start, last, a.name, a.line);
        for (std::size_t i = first; i < first + count; ++i) {
          f.evidence.push_back(line_evidence(sp, *sorted[i]));
        }
      }
      f.hint = "The kernel's resource tree never holds overlapping siblings: if this file "
               "was edited, recapture it (`cat /proc/iomem` as root); if it came straight "
               "from the kernel, it is a resource-management bug worth reporting.";
      out.push_back(std::move(f));
    });
}

void
walk(const AddressSpace& sp, const std::vector<Region>& rs, std::vector<const Region*>& parents,
     bool overlaps, std::vector<Finding>& out)
{
  if (overlaps) {
    sweep_siblings(sp, rs, parents, out);
  } else if (!parents.empty()) {
    const Region& p = *parents.back();
    for (const auto& r : rs) {
      if (!p.contains(r)) {
        Finding f;
        f.id = "iomem-outside-parent";
        f.severity = Severity::warning;
        f.subject.start = r.start;
        f.subject.end = r.end;
        f.subject.region = path_of(parents, r);
        f.message = fmt::format("'{}' {:#x}-{:#x} lies outside its parent '{}' {:#x}-{:#x}",
                                r.name, r.start, r.end, p.name, p.start, p.end);
        f.evidence = {line_evidence(sp, p), line_evidence(sp, r)};
        f.hint = "A child must lie inside its parent; the listing is damaged or edited "
                 "(0-0 children are empty resources some kernels print: harmless).";
        if (r.start == 0 && r.end == 0) {
          f.severity = Severity::info;
        }
        out.push_back(std::move(f));
      }
    }
  }
  for (const auto& r : rs) {
    parents.push_back(&r);
    walk(sp, r.children, parents, overlaps, out);
    parents.pop_back();
  }
}

void
run_tree_check(const AuditSources& s, std::vector<Finding>& out, bool overlaps)
{
  for (const auto* sp : {s.iomem, s.ioports}) {
    if (!sp || sp->addresses_hidden) {
      continue;
    }
    std::vector<const Region*> parents;
    walk(*sp, sp->regions, parents, overlaps, out);
  }
}

void
check_overlap(const AuditSources& s, std::vector<Finding>& out)
{
  run_tree_check(s, out, true);
}

void
check_outside_parent(const AuditSources& s, std::vector<Finding>& out)
{
  run_tree_check(s, out, false);
}

} // namespace

void
add_iomem_checks(std::vector<Check>& out)
{
  out.push_back({"iomem-overlap", Severity::warning, Needs::iomem,
                 "Sibling regions of /proc/iomem or /proc/ioports overlap (the kernel never "
                 "prints this: the listing was edited or is foreign)",
                 check_overlap});
  out.push_back({"iomem-outside-parent", Severity::warning, Needs::iomem,
                 "A region lies outside the region it is nested in", check_outside_parent});
}

} // namespace memmap::analyze
