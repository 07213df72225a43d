// Differences between two models of a machine (memmap diff). A change names its subject by
// a path of names (outermost first) and carries address ranges and typed values (numbers,
// flags, names; unknown is nullopt). Pure: no files, no printing; render/diff formats them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <memmap/model/address_space.hpp>
#include <memmap/model/diagnostic.hpp>

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

// Where a BAR, ROM or bridge window decodes: its start (the CPU address, the bus address
// when no CPU address is known; nullopt: unassigned) and size (nullopt: unknown).
struct Placement {
  std::optional<std::uint64_t> start;
  std::optional<std::uint64_t> size;
  // The range, when start and size are known and it fits in 64 bits.
  std::optional<Span> span() const;
  bool operator==(const Placement&) const = default;
};

// A bus address shown beside a CPU range (nullopt: unknown).
struct BusAddress {
  std::optional<std::uint64_t> address;
  bool operator==(const BusAddress&) const = default;
};

// What kind of range a BAR, ROM or window is. BARs: space "io"/"mem", bits, prefetchable,
// and lspci's memory-type words when it gave them ("low-1M"); ROMs: enabled, shadow copy;
// windows: bits only (nullopt: unknown).
struct ResourceType {
  enum class Of { bar, rom, window };
  Of of = Of::bar;
  bool io = false;
  std::optional<int> bits;
  std::string mem_type;
  bool prefetchable = false;
  bool enabled = false;
  bool shadow_copy = false;
  bool operator==(const ResourceType&) const = default;
};

// "from -> to" for a part that changed beside a range that did too.
template <class T>
struct Delta {
  T before;
  T after;
  bool operator==(const Delta&) const = default;
};

// A size in bytes (a Resizable BAR's current size).
struct Size {
  std::uint64_t bytes = 0;
  bool operator==(const Size&) const = default;
};

// A PCI function's driver; "" when none is bound.
struct Driver {
  std::string name;
  bool operator==(const Driver&) const = default;
};

// A PCI function's identity (ids nullopt where they could not be read).
struct DeviceIdentity {
  std::optional<std::uint16_t> vendor;
  std::optional<std::uint16_t> device;
  std::string name;    // pci.ids name, else the class name; "" when neither is known
  std::string driver;  // "" when none is bound
  bool operator==(const DeviceIdentity&) const = default;
};

// An IOMMU group number as read.
struct GroupNumber {
  int id = 0;
  bool operator==(const GroupNumber&) const = default;
};

// A list of words in their order: group members (BDFs), IOMMU kernel options.
struct Words {
  enum class Of { members, kernel_options };
  Of of = Of::members;
  std::vector<std::string> words;
  bool operator==(const Words&) const = default;
};

// Members that joined and left a group.
struct MemberDelta {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  bool operator==(const MemberDelta&) const = default;
};

// An isolation verdict: isolated or not, the cause ("alone", "no-acs") and where.
struct Verdict {
  bool isolated = false;
  std::string cause;
  std::optional<std::string> device;
  bool operator==(const Verdict&) const = default;
};

// An audit finding: its severity and message.
struct FindingValue {
  Severity severity = Severity::warning;
  std::string message;
  bool operator==(const FindingValue&) const = default;
};

// One side's value, or a part of a change's detail. monostate: none. A std::string is a
// word as read ("DMA") or a fixed phrase ("moved and resized", "resolved").
using Value = std::variant<std::monostate, std::string, Placement, BusAddress, ResourceType,
                           Delta<BusAddress>, Delta<ResourceType>, Size, Driver,
                           DeviceIdentity, GroupNumber, Words, MemberDelta, Verdict,
                           FindingValue>;

struct Change {
  ChangeKind kind = ChangeKind::changed;
  std::vector<std::string> path;  // "PCI Bus 0000:00", "0000:00:02.0"
  std::optional<Span> before;     // address range in A (absent: added, or hidden)
  std::optional<Span> after;      // address range in B
  Value before_value;             // for non-address changes; none when A has none
  Value after_value;              // none when B has none (a resolved finding)
  std::vector<Value> detail;      // what else to know, in order
};

inline bool
has_value(const Value& v)
{
  return !std::holds_alternative<std::monostate>(v);
}

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
