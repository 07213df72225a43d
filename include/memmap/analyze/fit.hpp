// memmap fit as data: would a BAR of a given size fit where the device sits now? The BAR's
// type (from the BAR; the kernel's sysfs flags outrank the register decode), the chain of
// bridge windows the kernel would place it in (pbus_select_window_for_type() in
// drivers/pci/setup-bus.c), the free naturally aligned gaps at each level (free: not covered
// by any /proc/iomem or /proc/ioports region nor a sibling's BAR or window; the BAR itself and
// the window being grown count as free, they would be replaced), and, where it does not fit,
// which windows must grow to what and whether each parent has room. Pure on the model: the
// caller loads the sources (cli/cmd_fit.cpp), render/fit writes the report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <memmap/model/address_space.hpp>

namespace memmap::pci {
struct PciModel;
}

namespace memmap::analyze {

struct FitInputs {
  // A null source was not read; its *_why says why.
  const pci::PciModel* pci = nullptr;
  std::string pci_why;
  const model::AddressSpace* iomem = nullptr;    // memory BARs
  std::string iomem_why;
  const model::AddressSpace* ioports = nullptr;  // I/O BARs
  std::string ioports_why;
};

struct FitRequest {
  std::string bdf;           // canonical "dddd:bb:dd.f"
  int bar = 0;               // 0-5
  std::uint64_t size = 0;    // a power of two
};

// A free range of a window and the first naturally aligned place in it for the size asked.
struct FitGap {
  std::uint64_t start = 0;   // the free range (inclusive)
  std::uint64_t end = 0;
  std::uint64_t slot = 0;    // first address aligned to the level's alignment that fits
};

// One level of the chain, nearest first: the window of the bridge above the device, then
// that bridge's parent's window, ..., and last the host bridge's apertures.
struct FitLevel {
  std::string bridge;        // the bridge's BDF; "" for the host bridge level or a window
                             // known only from the resource tree's nesting
  bool host = false;         // the host bridge's apertures
  std::string window;        // "mem", "prefetchable", "io"; "aperture" at the host bridge
  int bits = 0;              // 32/64 for a bridge window; 0 unknown (or an aperture)
  std::string name;          // the resource-tree name ("PCI Bus 0000:04"), "" if not there
  std::optional<std::uint64_t> start;  // the window (apertures: the first one)
  std::optional<std::uint64_t> end;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> apertures;  // host level: every one
  std::string from;          // "sysfs", "iomem" (the nesting of the resource tree)
  std::uint64_t need_size = 0;   // what must be placed here: the BAR, or the grown window below
  std::uint64_t need_align = 0;
  bool need_below_4g = false;    // a 32-bit resource
  std::vector<FitGap> gaps;      // free ranges that hold need_size at need_align
  std::optional<std::uint64_t> largest_aligned;  // the largest naturally aligned free block
  std::optional<bool> room;      // need fits here today; nullopt: not evaluated or unknown
  std::string why_unknown;       // when the window's range or contents are unknown
  // The window exists (the kernel's row is unset or disabled, or the registers show a
  // decoder the kernel released) but has no address: it must be placed in the level above,
  // at least as big as what it holds. room is then false.
  bool unplaced = false;
};

// A window that must change for the BAR to fit.
struct FitChange {
  std::string bridge;        // "" for the host bridge aperture
  std::string window;        // as FitLevel::window
  std::optional<std::uint64_t> current_size;  // the window's size now
  std::uint64_t size = 0;    // it must be at least this big
  std::uint64_t align = 0;   // aligned to this
  std::optional<bool> parent_has_room;  // a free aligned gap for it in the level above
  std::string parent;        // that level ("0000:00:1c.0 prefetchable", "host bridge aperture")
  std::string advice;        // for the host bridge: firmware settings
};

struct FitReport {
  std::string bdf;
  int bar = 0;
  std::uint64_t size = 0;
  std::string kind;          // "mem" / "io"
  int bits = 32;
  bool prefetchable = false;
  std::optional<std::uint64_t> current_start;  // CPU address now (nullopt: unassigned)
  std::optional<std::uint64_t> current_size;
  std::vector<FitLevel> chain;
  std::optional<bool> fits;  // nullopt: unknown, `why` says why
  std::string why;           // unknown: why; does not fit: the level that has no room
  bool source_missing = false;  // unknown because a source was not read (no PCI model, no
                                // or an address-hidden resource tree), not from the model
  std::vector<FitChange> changes;
  // Resizable BAR: the sizes the capability lists, and those that fit today.
  bool rebar = false;
  std::vector<std::uint64_t> rebar_sizes;
  std::vector<std::uint64_t> rebar_sizes_that_fit;
  bool rebar_known = false;  // false: the immediate window is unknown, so is this list
  std::vector<std::string> notes;
};

// The what-if. Throws UsageError for a request the model cannot answer at all: no such
// device, no such BAR, a size that is not a power of two or is below the BAR type's minimum.
FitReport fit(const FitRequest& req, const FitInputs& in);

// Whether the BAR asked for is an I/O BAR (the caller loads /proc/ioports, not /proc/iomem);
// false where the device or BAR is not in the model (fit() then says so).
bool fit_needs_ioports(const FitRequest& req, const pci::PciModel& pci);

// Free ranges of [start, end] not covered by `used` (inclusive ranges, any order), and the
// gaps among them that hold `size` bytes at an `align`-aligned start (at or below `limit`).
std::vector<std::pair<std::uint64_t, std::uint64_t>>
free_ranges(std::uint64_t start, std::uint64_t end,
            std::vector<std::pair<std::uint64_t, std::uint64_t>> used);
std::optional<std::uint64_t> aligned_slot(std::uint64_t start, std::uint64_t end,
                                          std::uint64_t size, std::uint64_t align,
                                          std::uint64_t limit);

} // namespace memmap::analyze
