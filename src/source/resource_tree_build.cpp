// Nesting the parsed lines of a resource listing: by the kernel's indentation, or by
// containment where the indentation is not the kernel's; and the sibling-overlap sweep.
#include "resource_tree_build.hpp"

#include <algorithm>

namespace memmap::source::detail {

std::string
describe(const Line& l)
{
  return fmt::format("'{}' {:#x}-{:#x}", printable(l.name), l.start, l.end);
}

std::string
printable(std::string_view s, std::size_t max)
{
  std::string out;
  for (char c : s.substr(0, max)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  if (s.size() > max) {
    out += "...";
  }
  return out;
}

// For each sibling, the earlier siblings (in file order, ascending) it overlaps. Sort and
// sweep: O(n log n) plus the pairs found, and it stops after k_max_overlap_pairs pairs, so
// the work stays O(n log n) for any input (each step of the sweep either drops a sibling
// from `active` for good or finds a pair).
SiblingOverlaps
overlapping_earlier_siblings(const std::vector<Span>& sibs)
{
  SiblingOverlaps res;
  res.earlier.resize(sibs.size());
  std::vector<std::size_t> order(sibs.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return sibs[a].start < sibs[b].start;
  });
  std::vector<std::size_t> active;  // siblings whose range may still reach the next start
  std::size_t pairs = 0;
  for (const std::size_t k : order) {
    std::erase_if(active, [&](std::size_t a) { return sibs[a].end < sibs[k].start; });
    for (const std::size_t a : active) {
      if (++pairs > k_max_overlap_pairs) {
        res.truncated = true;
        break;
      }
      res.earlier[std::max(a, k)].push_back(std::min(a, k));
    }
    if (res.truncated) {
      break;
    }
    active.push_back(k);
  }
  for (auto& v : res.earlier) {
    std::sort(v.begin(), v.end());
  }
  return res;
}

std::vector<Span>
spans_of(const std::vector<Region>& regions)
{
  std::vector<Span> out;
  out.reserve(regions.size());
  for (const Region& r : regions) {
    out.push_back({r.start, r.end});
  }
  return out;
}

// The kernel's own indentation: two spaces per level, saturating at k_max_iores_level.
void
build_by_indentation(const std::vector<Line>& lines, TreeBuilder& tree)
{
  auto depth_of = [](const Line& l) { return l.width / 2; };
  for (const Line& l : lines) {
    const int depth = depth_of(l);
    // Close regions at or below this printed depth.
    while (tree.any_open() && depth_of(tree.innermost()) >= depth && depth < k_max_iores_level) {
      tree.close();
    }
    if (depth >= k_max_iores_level) {
      // Saturated indentation: the parent is the deepest open region printed at the
      // saturated depth that contains this line; failing that, the open depth-4 region.
      while (tree.any_open() && depth_of(tree.innermost()) >= k_max_iores_level
             && !l.within(tree.innermost())) {
        tree.close();
      }
    }
    tree.add(l);
  }
}

// Indentation that is not the kernel's: rebuild by containment. Each line's parent is the
// nearest open line above it whose range holds it (equal ranges: the earlier line is the
// parent). An empty 0-0 line has no range to go by: it is placed by its indentation
// relative to the open lines above it (its parent is the nearest one indented less); in a
// flattened listing nothing places it. Throws Undecidable where containment cannot decide
// (see the man page, memmap iomem).
void
build_by_containment(const std::vector<Line>& lines, bool flattened, TreeBuilder& tree)
{
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Line& l = lines[i];
    if (l.empty && flattened) {
      throw Undecidable{l.line, describe(l) + " is an empty resource, which only indentation "
                                              "could place"};
    }
    if (l.empty) {
      while (tree.any_open() && tree.innermost().width >= l.width) {
        tree.close();
      }
    } else {
      const Line* prev = i > 0 ? &lines[i - 1] : nullptr;
      if (prev && !prev->empty && l.width < prev->width && l.within(*prev)) {
        throw Undecidable{l.line,
                          fmt::format("{} is indented less than line {} above it, {}, yet lies "
                                      "within it",
                                      describe(l), prev->line, describe(*prev))};
      }
      while (tree.any_open() && (tree.innermost().empty || !l.within(tree.innermost()))) {
        tree.close();
      }
    }
    tree.add(l);
  }
}

// After a rebuild by containment: siblings (empty 0-0 lines aside) must be disjoint. Two
// that overlap came from a listing whose nesting only its indentation could have told
// (the kernel itself prints such pairs, rarely), and that indentation is not usable.
void
require_disjoint_siblings(const AddressSpace& space)
{
  const Region* first_a = nullptr;  // the earlier of the overlapping pair with the lowest
  const Region* first_b = nullptr;  // later line
  auto visit = [&](auto& self, const std::vector<Region>& siblings) -> void {
    std::vector<Span> spans;
    std::vector<const Region*> regions;
    for (const Region& r : siblings) {
      if (r.start != 0 || r.end != 0) {
        spans.push_back({r.start, r.end});
        regions.push_back(&r);
      }
    }
    const auto overlaps = overlapping_earlier_siblings(spans);
    for (std::size_t i = 0; i < regions.size(); ++i) {
      if (!overlaps.earlier[i].empty()
          && (first_b == nullptr || regions[i]->line < first_b->line)) {
        first_b = regions[i];
        first_a = regions[overlaps.earlier[i].front()];
        break;
      }
    }
    for (const Region& r : siblings) {
      self(self, r.children);
    }
  };
  visit(visit, space.regions);
  if (first_b != nullptr) {
    throw Undecidable{static_cast<std::size_t>(first_b->line),
                      fmt::format("'{}' {:#x}-{:#x} overlaps '{}' {:#x}-{:#x} (line {}) "
                                  "without nesting in it",
                                  printable(first_b->name), first_b->start, first_b->end,
                                  printable(first_a->name), first_a->start, first_a->end,
                                  first_a->line)};
  }
}

} // namespace memmap::source::detail
