#include <memmap/source/resource_tree.hpp>

#include <memmap/error.hpp>
#include <memmap/util/hex.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace memmap::source {

using model::AddressSpace;
using model::Diagnostic;
using model::Region;
using model::Severity;

namespace {

[[noreturn]] void
fail(const std::string& file, std::size_t line, const std::string& why)
{
  throw InputError(fmt::format("{}:{}: {}", file, line, why));
}

std::uint64_t
parse_hex(std::string_view s, const char* what, const std::string& file, std::size_t line)
{
  if (s.empty()) {
    fail(file, line, fmt::format("missing {} address before ' : '", what));
  }
  // Leading zeros are padding; count significant digits for the 64-bit check.
  const std::string_view digits = util::hex_significant(s);
  if (digits.size() > 16) {
    fail(file, line, fmt::format("{} address '{}' does not fit in 64 bits", what, s));
  }
  std::uint64_t v = 0;
  for (const char c : digits) {
    const int d = util::hex_digit(c);
    if (d < 0) {
      fail(file, line, fmt::format("bad hex digit '{}' in {} address '{}'", c, what, s));
    }
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

std::string
printable(std::string_view s, std::size_t max = 60)
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

// Overlapping sibling pairs listed per sibling set, at most: a hostile listing where every
// line overlaps every other has n^2/2 pairs (a million lines: 5e11). The rest are counted
// as "more" and not listed.
constexpr std::size_t k_max_overlap_pairs = 64;

struct SiblingOverlaps {
  std::vector<std::vector<std::size_t>> earlier;  // per sibling: earlier siblings it overlaps
  bool truncated = false;                         // more than k_max_overlap_pairs pairs
};

// For each sibling, the earlier siblings (in file order, ascending) it overlaps. Sort and
// sweep: O(n log n) plus the pairs found, and it stops after k_max_overlap_pairs pairs, so
// the work stays O(n log n) for any input (each step of the sweep either drops a sibling
// from `active` for good or finds a pair).
SiblingOverlaps
overlapping_earlier_siblings(const std::vector<Region>& sibs)
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

} // namespace

AddressSpace
parse_resource_tree(std::string_view text, const std::string& file, model::SpaceKind kind)
{
  AddressSpace space;
  space.kind = kind;
  space.source = file;

  if (text.find('\0') != std::string_view::npos) {
    // Count the line of the first NUL for the message.
    const auto pos = text.find('\0');
    std::size_t line = 1;
    for (std::size_t i = 0; i < pos; ++i) {
      line += text[i] == '\n';
    }
    fail(file, line, "NUL byte in text: not a resource listing");
  }

  // Open regions from the top level down to the last line's region. They form a chain (each
  // a child of the one before), kept as the index of each in its parent's children (pointers
  // into growing vectors would dangle).
  std::vector<std::size_t> open_index;  // index of each open region among its siblings
  std::vector<int> open_depths;         // printed depth of each open region
  auto innermost = [&]() -> Region& {
    Region* r = &space.regions[open_index[0]];
    for (std::size_t k = 1; k < open_index.size(); ++k) {
      r = &r->children[open_index[k]];
    }
    return *r;
  };

  bool crlf_reported = false;
  bool all_zero = true;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;

    if (raw.size() > k_max_resource_line) {
      fail(file, line_no,
           fmt::format("line is {} bytes long (limit {}): not a resource listing", raw.size(),
                       k_max_resource_line));
    }
    if (!raw.empty() && raw.back() == '\r') {
      raw.remove_suffix(1);
      if (!crlf_reported) {
        crlf_reported = true;
        space.warnings.push_back({Severity::warning, "input-crlf", file,
                                  static_cast<int>(line_no),
                                  "CRLF line endings (the kernel writes LF); carriage returns "
                                  "ignored"});
      }
    }
    if (raw.find_first_not_of(' ') == std::string_view::npos) {
      continue;  // blank line (hand-edited files)
    }

    std::size_t indent = 0;
    while (indent < raw.size() && raw[indent] == ' ') {
      ++indent;
    }
    if (raw[indent] == '\t') {
      fail(file, line_no, "tab in indentation (the kernel indents with two spaces per level)");
    }
    if (indent % 2 != 0) {
      fail(file, line_no,
           fmt::format("odd indentation of {} space{} (the kernel indents two per level; a "
                       "mail client's format=flowed decoding can strip one)",
                       indent, indent == 1 ? "" : "s"));
    }
    const int depth = static_cast<int>(indent / 2);
    if (depth > k_max_iores_level) {
      fail(file, line_no,
           fmt::format("indented {} levels; the kernel never indents past {}", depth,
                       k_max_iores_level));
    }

    std::string_view body = raw.substr(indent);
    auto sep = body.find(" : ");
    std::string_view name;
    if (sep == std::string_view::npos) {
      if (body.size() >= 2 && body.substr(body.size() - 2) == " :") {
        sep = body.size() - 2;  // empty name with its trailing space stripped
      } else {
        fail(file, line_no,
             fmt::format("expected 'START-END : NAME', missing ' : ' in '{}'", printable(body)));
      }
    } else {
      name = body.substr(sep + 3);
    }
    const std::string_view range = body.substr(0, sep);
    const auto dash = range.find('-');
    if (dash == std::string_view::npos) {
      fail(file, line_no,
           fmt::format("expected 'START-END' before ' : ', got '{}'", printable(range)));
    }
    const auto start = parse_hex(range.substr(0, dash), "start", file, line_no);
    const auto end = parse_hex(range.substr(dash + 1), "end", file, line_no);
    if (start > end) {
      fail(file, line_no,
           fmt::format("start {:#x} is above end {:#x} (the end is inclusive)", start, end));
    }
    if (start != 0 || end != 0) {
      all_zero = false;
    }

    Region region;
    region.start = start;
    region.end = end;
    region.name = std::string(name);
    region.line = static_cast<int>(line_no);

    // Close regions at or below this printed depth.
    while (!open_depths.empty() && open_depths.back() >= depth && depth < k_max_iores_level) {
      open_depths.pop_back();
      open_index.pop_back();
    }
    if (depth >= k_max_iores_level) {
      // Saturated indentation: the parent is the deepest open region printed at the
      // saturated depth that contains this line; failing that, the open depth-4 region.
      while (!open_depths.empty() && open_depths.back() >= k_max_iores_level
             && !innermost().contains(region)) {
        open_depths.pop_back();
        open_index.pop_back();
      }
    }
    if (depth > 0 && open_depths.empty()) {
      fail(file, line_no,
           fmt::format("indented to depth {} with no parent line above it", depth));
    }
    if (depth > 0 && open_depths.back() < depth - 1) {
      fail(file, line_no,
           fmt::format("indentation jumps from depth {} to depth {} (one level at a time)",
                       open_depths.back(), depth));
    }

    if (depth == 0) {
      space.regions.push_back(std::move(region));
      open_index.push_back(space.regions.size() - 1);
    } else {
      Region& parent = innermost();
      parent.children.push_back(std::move(region));
      open_index.push_back(parent.children.size() - 1);
    }
    open_depths.push_back(depth);
    ++space.line_count;
  }

  if (space.line_count == 0) {
    throw InputError(fmt::format("{}:{}: no resource lines (empty file)", file,
                                 line_no == 0 ? 1 : line_no));
  }
  space.addresses_hidden = all_zero;
  model::classify_all(space);

  if (!space.addresses_hidden) {
    // Structural checks on what the kernel itself never prints.
    auto check = [&](auto& self, const std::vector<Region>& siblings,
                     const Region* parent) -> void {
      const auto overlaps = overlapping_earlier_siblings(siblings);
      if (overlaps.truncated) {
        space.warnings.push_back(
          {Severity::warning, "iomem-overlap", file, siblings.front().line,
           fmt::format("more than {} overlapping pairs among the {} regions {}; only the first "
                       "{} found are reported",
                       k_max_overlap_pairs, siblings.size(),
                       parent ? fmt::format("under '{}' (line {})", parent->name, parent->line)
                              : std::string("at the top level"),
                       k_max_overlap_pairs)});
      }
      for (std::size_t i = 0; i < siblings.size(); ++i) {
        const Region& r = siblings[i];
        if (parent && !parent->contains(r)) {
          space.warnings.push_back(
            {Severity::warning, "iomem-outside-parent", file, r.line,
             fmt::format("'{}' {:#x}-{:#x} lies outside its parent '{}' {:#x}-{:#x} (line {})",
                         r.name, r.start, r.end, parent->name, parent->start, parent->end,
                         parent->line)});
        }
        if (i > 0) {
          const Region& prev = siblings[i - 1];
          if (prev.start == r.start && prev.end == r.end && prev.name == r.name) {
            space.warnings.push_back(
              {Severity::warning, "iomem-duplicate", file, r.line,
               fmt::format("duplicate of line {}: {:#x}-{:#x} '{}'", prev.line, r.start, r.end,
                           r.name)});
          } else if (r.start < prev.start) {
            space.warnings.push_back(
              {Severity::warning, "iomem-order", file, r.line,
               fmt::format("'{}' at {:#x} comes after '{}' at {:#x} (line {}); the kernel "
                           "sorts siblings by address",
                           r.name, r.start, prev.name, prev.start, prev.line)});
          }
        }
        for (const std::size_t j : overlaps.earlier[i]) {
          const Region& o = siblings[j];
          if (!(o.start == r.start && o.end == r.end && o.name == r.name)) {
            space.warnings.push_back(
              {Severity::warning, "iomem-overlap", file, r.line,
               fmt::format("'{}' {:#x}-{:#x} overlaps sibling '{}' {:#x}-{:#x} (line {})",
                           r.name, r.start, r.end, o.name, o.start, o.end, o.line)});
          }
        }
        self(self, r.children, &r);
      }
    };
    check(check, space.regions, nullptr);
  }
  // The tree is kept for the whole run (tens of thousands of regions on a big machine): no
  // spare capacity left over from building it.
  auto trim = [](auto& self, std::vector<Region>& v) -> void {
    v.shrink_to_fit();
    for (Region& r : v) {
      self(self, r.children);
    }
  };
  trim(trim, space.regions);
  return space;
}

AddressSpace
load_resource_tree(const SysRoot& root, const ResourceSource& src)
{
  const bool io = src.kind == model::SpaceKind::io_port;
  ReadResult r;
  std::string display;
  if (!src.explicit_file.empty()) {
    display = src.explicit_file;
    r = read_file(src.explicit_file, display);
  } else {
    const char* rel = io ? "proc/ioports" : "proc/iomem";
    display = root.display(rel);
    r = root.read(rel);
  }
  if (!r) {
    throw SourceError(r.message);
  }
  return parse_resource_tree(r.data, display, src.kind);
}

} // namespace memmap::source
