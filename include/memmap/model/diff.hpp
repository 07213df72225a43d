// Differences between two models of a machine (memmap diff). A change names its subject by
// a path of names (outermost first) and carries address ranges or plain values. Pure: no
// files, no printing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <memmap/model/address_space.hpp>

namespace memmap::model {

enum class ChangeKind {
  added,    // only in B
  removed,  // only in A
  moved,    // same size, new start
  resized,  // same start, new end
  changed,  // moved and resized, or a value changed ("DMA" -> "identity")
};

// Stable names used in JSON and text: "added", "removed", "moved", "resized", "changed".
const char* to_string(ChangeKind k);

struct Span {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // inclusive
  std::uint64_t size() const { return end - start + 1; }
  bool operator==(const Span&) const = default;
};

struct Change {
  ChangeKind kind = ChangeKind::changed;
  std::vector<std::string> path;       // "PCI Bus 0000:00", "0000:00:02.0"
  std::optional<Span> before;          // address range in A (absent: added, or hidden)
  std::optional<Span> after;           // address range in B
  std::string before_value;            // for non-address changes; "" when A has none
  std::string after_value;             // "" when B has none (a removed finding)
  std::string detail;                  // e.g. "moved and resized"
};

// "A > B > C".
std::string join_path(const std::vector<std::string>& path);

// Changes between two resource trees (/proc/iomem or /proc/ioports of A and B). Regions are
// matched by their path of names (name and nesting); among regions with the same path, an
// identical range matches first, then the same start (resized), the same size (moved), and
// the rest pair up in address order (changed); what is left is added or removed. When
// either side's addresses are hidden (non-root), only names and nesting are compared.
// Sorted by address (B's for matched regions), then by path.
std::vector<Change> diff_address_spaces(const AddressSpace& a, const AddressSpace& b);

} // namespace memmap::model
