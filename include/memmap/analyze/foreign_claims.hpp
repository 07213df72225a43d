// Regions under a device's line in /proc/iomem that are not its driver's: vfio-pci cannot
// reserve the BAR while one is there ("vfio-pci 0000:01:00.0: BAR 1: can't reserve"). The
// audit's bar-foreign-claim check and the passthrough pre-flight's bar-claims check both read
// them from here.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <memmap/model/address_space.hpp>
#include <memmap/pci/device.hpp>

namespace memmap::analyze {

struct ForeignClaim {
  std::string bdf;
  std::optional<int> bar;            // 0-5, 6 = ROM, when the PCI model places the device line
  std::uint64_t bar_start = 0;       // the device line
  std::uint64_t bar_end = 0;
  std::uint64_t start = 0;           // the claim
  std::uint64_t end = 0;
  std::string name;                  // "BOOTFB"
  bool framebuffer = false;          // a firmware framebuffer (BOOTFB, simpledrm, efifb, vesafb...)
  std::string evidence;              // "proc/iomem:23: d0000000-d05affff : vesafb"
  std::string holder;                // who holds it, in words
  std::string fix;                   // how to free it
};

// The foreign claims under the device lines of `iomem`, for the functions in `only` (every
// function when null). A framebuffer claim is always foreign; any other claim is foreign when
// the function has no driver or is on vfio-pci (whose own claims are named "vfio"); a claim
// under a function bound to another driver is taken as that driver's (drivers name their
// regions freely: snd_hda_intel claims "ICH HD audio"). With `pci` null, drivers are unknown and
// only framebuffer claims are reported.
std::vector<ForeignClaim> find_foreign_claims(const model::AddressSpace& iomem,
                                              const pci::PciModel* pci,
                                              const std::set<std::string>* only = nullptr);

// A firmware framebuffer's resource name (BOOTFB, simpledrm, efifb, vesafb, vga16fb, offb,
// simple-framebuffer.N, ...), and the boot option that keeps it out of a device's BAR.
bool is_framebuffer_name(const std::string& name);
std::string framebuffer_fix(const std::string& name);

// The driver of `d` as far as its source knows: sysfs says "none" ("") by the absence of the
// link; a dump without -k says nothing (nullopt).
std::optional<std::string> known_driver(const pci::PciModel& model, const pci::Device& d);

} // namespace memmap::analyze
