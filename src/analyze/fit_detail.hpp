// Private to src/analyze/fit*.cpp: the chain's working types and the placement arithmetic
// (fit_space.cpp) that fit.cpp composes.
#pragma once

#include <memmap/analyze/fit.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace memmap::pci {
struct Device;
}

namespace memmap::analyze::fit_detail {

using Range = std::pair<std::uint64_t, std::uint64_t>;
using model::Region;
using model::RegionKind;

inline constexpr std::uint64_t k_4g_limit = 0xffffffffULL;
inline constexpr std::uint64_t k_mem_granule = 1ULL << 20;  // bridge memory windows: 1 MiB
inline constexpr std::uint64_t k_io_granule = 1ULL << 12;   // bridge I/O windows: 4 KiB

bool is_pow2(std::uint64_t v);
std::uint64_t pow2_floor(std::uint64_t v);
// Round up to a multiple of `align` (a power of two); nullopt on overflow.
std::optional<std::uint64_t> align_up(std::uint64_t v, std::uint64_t align);
std::string bus_name(std::uint32_t domain, unsigned bus);  // "PCI Bus dddd:bb"

// One window of the chain while it is being built: the bridge's window the kernel selects,
// its range and its node in the resource tree.
struct Win {
  FitLevel level;
  const Region* region = nullptr;         // its resource-tree node (null: not found)
  std::vector<const Region*> apertures;   // the host bridge level: every aperture node
  bool released_pref = false;             // the bridge's prefetchable window was released
  std::optional<Range> range() const
  {
    if (level.start && level.end) {
      return Range{*level.start, *level.end};
    }
    return std::nullopt;
  }
};

// What is placed in a level: a resource of this type.
struct ResType {
  bool io = false;
  bool pref = false;
  bool is64 = false;
};

struct Eval {
  const model::AddressSpace* space = nullptr;
  const pci::PciModel* pci = nullptr;
  std::string bdf;    // the device
  int bar = 0;
  // The highest CPU address a 32-bit resource can take: 4G - 1 on the bus, moved by the host
  // bridge's translation offset (CPU - bus) where one is known.
  std::uint64_t below_4g_limit = k_4g_limit;
};

// The bridge-window or host-bridge node with exactly this range (`name` preferred).
const Region* find_region(const model::AddressSpace& space, std::uint64_t start,
                          std::uint64_t end, const std::string& name);
// The resource-tree node of the BAR now, and its ancestors (outermost first).
std::vector<const Region*> bar_path(const model::AddressSpace& space, const std::string& bdf,
                                    std::uint64_t start, std::uint64_t end);
// Free gaps of one level for its need, the skipped node/range counting as free.
void evaluate(const Eval& ev, Win& w, const Region* skip, std::optional<Range> skip_range);
// The (size, alignment) this level's window must grow to, to hold what it holds and its need.
std::optional<std::pair<std::uint64_t, std::uint64_t>> grown_size(const Win& w, const Region* skip,
                                                                   std::uint64_t granule);

} // namespace memmap::analyze::fit_detail
