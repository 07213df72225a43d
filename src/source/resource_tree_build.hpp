// The tree rebuild of a /proc/iomem or /proc/ioports listing, shared by resource_tree.cpp
// (which parses the lines) and resource_tree_build.cpp (which nests them): the parsed line,
// the builder, and the sibling-overlap sweep. Private to src/source.
#pragma once

#include <memmap/model/address_space.hpp>
#include <memmap/source/resource_tree.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace memmap::source::detail {

using model::AddressSpace;
using model::Region;

// NAME with control characters as '?', cut after `max` characters ("...").
std::string printable(std::string_view s, std::size_t max = 60);

// Overlapping sibling pairs listed per sibling set, at most: a hostile listing where every
// line overlaps every other has n^2/2 pairs (a million lines: 5e11). The rest are counted
// as "more" and not listed.
constexpr std::size_t k_max_overlap_pairs = 64;

struct Span {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // inclusive
};

struct SiblingOverlaps {
  std::vector<std::vector<std::size_t>> earlier;  // per sibling: earlier siblings it overlaps
  bool truncated = false;                         // more than k_max_overlap_pairs pairs
};

// For each sibling, the earlier siblings (in file order, ascending) it overlaps. Sort and
// sweep: O(n log n) plus the pairs found, and it stops after k_max_overlap_pairs pairs, so
// the work stays O(n log n) for any input (each step of the sweep either drops a sibling
// from `active` for good or finds a pair).
SiblingOverlaps overlapping_earlier_siblings(const std::vector<Span>& sibs);

std::vector<Span> spans_of(const std::vector<Region>& regions);

// One resource line, parsed, before the tree is built.
struct Line {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // inclusive
  std::string_view name;
  std::size_t line = 0;   // 1-based line number in the file
  int width = 0;          // columns of leading whitespace (a tab goes to the next multiple of 8)
  bool empty = false;     // 0-0: an empty resource (or, when every line is 0-0, a hidden view)

  bool within(const Line& o) const { return start >= o.start && end <= o.end; }
};

// "'NAME' 0xSTART-0xEND" for messages.
std::string describe(const Line& l);

// A tree the rebuild cannot make (or too deep to keep), at `line`: `fact` says what was
// found, without the file name. Thrown by the builders; the caller decides between an
// InputError and, for a flattened listing, reading it as printed.
struct Undecidable {
  std::size_t line = 0;
  std::string fact;
  bool too_deep = false;
};

// Builds the tree in file order. Only the innermost open region (or the top level, when
// none is open) ever gains a child, so the pointers to open regions never dangle: a vector
// that grows holds closed regions only.
class TreeBuilder {
public:
  explicit TreeBuilder(AddressSpace& space) : m_space(space) {}

  bool any_open() const { return !m_open.empty(); }
  const Line& innermost() const { return *m_open.back().line; }
  void close() { m_open.pop_back(); }

  // `l` becomes the last child of the innermost open region (or a top-level region) and
  // the innermost open region itself.
  void add(const Line& l)
  {
    if (m_open.size() >= static_cast<std::size_t>(k_max_resource_nesting)) {
      throw Undecidable{l.line,
                        fmt::format("nested more than {} levels deep", k_max_resource_nesting),
                        true};
    }
    Region region;
    region.start = l.start;
    region.end = l.end;
    region.name = std::string(l.name);
    region.line = static_cast<int>(l.line);
    auto& siblings = m_open.empty() ? m_space.regions : m_open.back().region->children;
    siblings.push_back(std::move(region));
    m_open.push_back({&siblings.back(), &l});
  }

private:
  struct Open {
    Region* region;
    const Line* line;
  };
  AddressSpace& m_space;
  std::vector<Open> m_open;
};

// The kernel's own indentation: two spaces per level, saturating at k_max_iores_level.
void build_by_indentation(const std::vector<Line>& lines, TreeBuilder& tree);

// Indentation that is not the kernel's: rebuild by containment. Each line's parent is the
// nearest open line above it whose range holds it (equal ranges: the earlier line is the
// parent). An empty 0-0 line has no range to go by: it is placed by its indentation
// relative to the open lines above it (its parent is the nearest one indented less); in a
// flattened listing nothing places it. Throws Undecidable where containment cannot decide
// (see the man page, memmap iomem).
void build_by_containment(const std::vector<Line>& lines, bool flattened, TreeBuilder& tree);

// After a rebuild by containment: siblings (empty 0-0 lines aside) must be disjoint. Two
// that overlap came from a listing whose nesting only its indentation could have told
// (the kernel itself prints such pairs, rarely), and that indentation is not usable.
void require_disjoint_siblings(const AddressSpace& space);

} // namespace memmap::source::detail
