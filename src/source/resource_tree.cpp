#include <memmap/source/resource_tree.hpp>

#include "resource_tree_build.hpp"

#include <memmap/error.hpp>
#include <memmap/util/hex.hpp>

#include <algorithm>
#include <optional>
#include <vector>
#include <fmt/format.h>

namespace memmap::source {

using model::AddressSpace;
using model::Diagnostic;
using model::Region;
using model::Severity;
using namespace detail;

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

constexpr int k_tab_stop = 8;

// The first line whose indentation the kernel would not have printed, and why.
struct Oddity {
  std::size_t line = 0;
  std::string reason;
};

} // namespace

AddressSpace
parse_resource_tree(std::string_view text, const std::string& file, model::SpaceKind kind,
                    bool strict)
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

  // Pass 1: every line parsed; the first one whose indentation the kernel would not print
  // is remembered (an error at once with --strict).
  std::vector<Line> lines;
  std::optional<Oddity> odd;
  int prev_depth = -1;  // printed depth of the line before, while the indentation is kernel's
  bool crlf_reported = false;
  bool all_zero = true;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  auto oddity = [&](std::string reason) {
    if (strict) {
      fail(file, line_no, reason);
    }
    odd = Oddity{line_no, std::move(reason)};
  };
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
    const std::size_t indent = raw.find_first_not_of(" \t");
    if (indent == std::string_view::npos) {
      continue;  // blank line (hand-edited files)
    }
    int width = 0;
    bool tab = false;
    for (const char c : raw.substr(0, indent)) {
      if (c == '\t') {
        tab = true;
        width = (width / k_tab_stop + 1) * k_tab_stop;
      } else {
        ++width;
      }
    }
    int depth = -1;  // printed depth, while the indentation is the kernel's
    if (!odd) {
      if (tab) {
        oddity("tab in indentation (the kernel indents with two spaces per level)");
      } else if (indent % 2 != 0) {
        oddity(fmt::format("odd indentation of {} space{} (the kernel indents two per level; a "
                           "mail client's format=flowed decoding can strip one)",
                           indent, indent == 1 ? "" : "s"));
      } else if (static_cast<int>(indent / 2) > k_max_iores_level) {
        oddity(fmt::format("indented {} levels; the kernel never indents past {}", indent / 2,
                           k_max_iores_level));
      } else {
        depth = static_cast<int>(indent / 2);
      }
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

    if (depth >= 0) {
      if (depth > 0 && prev_depth < 0) {
        oddity(fmt::format("indented to depth {} with no parent line above it", depth));
      } else if (depth > prev_depth + 1) {
        oddity(fmt::format("indentation jumps from depth {} to depth {} (one level at a time)",
                           prev_depth, depth));
      }
      prev_depth = depth;
    }

    Line l;
    l.start = start;
    l.end = end;
    l.name = name;
    l.line = line_no;
    l.width = width;
    l.empty = start == 0 && end == 0;
    lines.push_back(l);
  }

  if (lines.empty()) {
    throw InputError(fmt::format("{}:{}: no resource lines (empty file)", file,
                                 line_no == 0 ? 1 : line_no));
  }
  space.addresses_hidden = all_zero;
  space.line_count = lines.size();

  // A listing with no indentation at all is either a flat kernel listing or one whose
  // indentation was stripped: the kernel never lists a top-level region within the one
  // before it, so a line that lies within the (non-empty) line above it says "flattened".
  bool flattened = false;
  if (!odd && !strict && !all_zero) {
    const bool flat = std::all_of(lines.begin(), lines.end(),
                                  [](const Line& l) { return l.width == 0; });
    const Line* above = nullptr;  // the nearest non-empty line above
    for (std::size_t i = 0; flat && i < lines.size() && !odd; ++i) {
      const Line& l = lines[i];
      if (l.empty) {
        continue;
      }
      if (above && l.within(*above)) {
        odd = Oddity{l.line, fmt::format("no line is indented, yet this one lies within line "
                                          "{} above it, {}: a flattened listing",
                                          above->line, describe(*above))};
        flattened = true;
      }
      above = &l;
    }
  }

  auto read_as_printed = [&] {
    space.regions.clear();
    TreeBuilder tree(space);
    build_by_indentation(lines, tree);
  };
  try {
    if (!odd) {
      read_as_printed();
    } else {
      TreeBuilder tree(space);
      build_by_containment(lines, flattened, tree);
      if (!all_zero) {
        require_disjoint_siblings(space);
      }
      space.warnings.push_back(
        {Severity::warning, "input-indentation", file, static_cast<int>(odd->line),
         odd->reason
           + (all_zero ? "; every address reads 0-0, so the tree was rebuilt from each line's "
                         "indentation relative to the lines above it (--strict rejects such a "
                         "listing)"
                       : flattened ? "; the tree was rebuilt by address containment (--strict "
                                     "reads it as printed, flat)"
                                   : "; the tree was rebuilt by address containment (--strict "
                                     "rejects such a listing)")});
    }
  } catch (const Undecidable& u) {
    if (u.too_deep && !flattened) {
      fail(file, u.line, u.fact + ": not a resource listing");
    }
    if (!flattened) {
      fail(file, u.line,
           fmt::format("{}: the indentation is not the kernel's (see line {}), and containment "
                       "cannot decide where this line belongs",
                       u.fact, odd->line));
    }
    // A listing without indentation is also what the kernel prints for a flat tree: where
    // containment cannot rebuild it, it is read as printed (as --strict reads it).
    read_as_printed();
    space.warnings.push_back(
      {Severity::warning, "input-indentation", file, static_cast<int>(odd->line),
       fmt::format("{}; containment cannot rebuild it (line {}: {}), so it is read as printed",
                   odd->reason, u.line, u.fact)});
  }
  model::classify_all(space);

  if (!space.addresses_hidden) {
    // Structural checks on what the kernel itself never prints.
    auto check = [&](auto& self, const std::vector<Region>& siblings,
                     const Region* parent) -> void {
      const auto overlaps = overlapping_earlier_siblings(spans_of(siblings));
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
  return parse_resource_tree(r.data, display, src.kind, src.strict);
}

} // namespace memmap::source
