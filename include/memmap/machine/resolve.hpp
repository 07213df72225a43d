// memmap resolve as data: everything that contains one address, in the address space the
// address belongs to. A memory address never matches an I/O BAR, window or port; a bus
// address is shown with the CPU address it corresponds to; what could not be searched is
// said. resolve() is pure; load_resolve_sources reads what it needs from the machine
// (src/machine/resolve_load.cpp); render/resolve writes the report.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <memmap/iommu/groups.hpp>
#include <memmap/model/address_space.hpp>

namespace memmap::pci {
struct PciModel;
}

namespace memmap::machine {

enum class Space { cpu_physical, io_port, pci_bus, iova };
const char* to_string(Space s);  // "cpu-physical", "io-port", "pci-bus", "iova"

struct ResolveInputs {
  // A null source was not read; its *_why says why (a notice the caller printed).
  const model::AddressSpace* iomem = nullptr;
  std::string iomem_why;
  const model::AddressSpace* ioports = nullptr;
  std::string ioports_why;
  const pci::PciModel* pci = nullptr;
  std::string pci_why;
  const iommu::Group* group = nullptr;  // --iova: the group asked for
  // The NUMA node of a RAM address; null when it cannot be known, with numa_why.
  std::function<std::optional<int>(std::uint64_t)> numa_node;
  std::string numa_why;
};

// One region of a resource tree on the way down to the address.
struct RegionHit {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::string name;
  std::string kind;  // model::RegionKind as text
  int line = 0;
};

// A resource tree searched (or not): its path from the top down to the deepest region.
struct TreeHits {
  std::string name;                  // "iomem" or "ioports"
  std::string source;                // the file as named to the user
  bool searched = false;             // false: not read, or its addresses are hidden
  std::string why_not;               // when !searched
  std::vector<RegionHit> path;       // outermost first
};

// A BAR, ROM or VF BAR that decodes the address.
struct BarHit {
  std::string bdf;
  int bar = 0;                       // 0-5; 6 = ROM; VF BARs keep their index
  std::string what;                  // "BAR2", "ROM", "VF BAR0"
  std::string kind;                  // "mem" or "io"
  int bits = 32;
  bool prefetchable = false;
  std::uint64_t start = 0;           // in the queried space
  std::uint64_t end = 0;
  std::uint64_t offset = 0;
  std::optional<int> vf;             // VF BARs: which VF's slice (0-based) holds it
  std::string name;                  // device name (pci.ids)
  std::string driver;                // "" when none or unknown
  bool driver_known = true;          // false: a source without drivers (a bare dump)
  // --bus: the CPU address the bus address corresponds to (BAR's CPU start + offset) and
  // where it sits in /proc/iomem; nullopt when the CPU address of the BAR is unknown.
  std::optional<std::uint64_t> cpu_address;
  std::vector<RegionHit> cpu_path;
};

// A bridge window that forwards the address.
struct WindowHit {
  std::string bdf;
  std::string kind;                  // "io", "mem", "prefetchable"
  std::uint64_t start = 0;           // in the queried space
  std::uint64_t end = 0;
  std::optional<std::uint64_t> cpu_address;  // --bus: the corresponding CPU address
};

struct ReservedHit {
  int group = 0;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::string type;
};

struct ResolveReport {
  std::uint64_t address = 0;
  Space space = Space::cpu_physical;
  std::optional<int> group;
  std::optional<TreeHits> tree;      // iomem for CPU and bus addresses, ioports for ports
  bool in_ram = false;
  std::optional<int> numa_node;
  std::string numa_why;              // when in RAM and the node is unknown
  bool pci_searched = false;
  std::string pci_why;               // when !pci_searched
  std::vector<BarHit> bars;
  std::vector<WindowHit> windows;
  std::vector<ReservedHit> reserved;
  // An address that matches nothing in its own space but would as another ("did you mean
  // --bus?"): the hint and what it would match.
  std::string hint;
  bool found = false;                // something contains it
  // Nothing found, and the space's main source (the tree, or the PCI model for --bus) was
  // not searched: "not found" would be a guess.
  bool inconclusive = false;
};

ResolveReport resolve(std::uint64_t address, Space space, const ResolveInputs& in);

class Machine;

// What resolve reads, from the machine. Owns the IOMMU state `in.group` points into.
struct ResolveSources {
  std::optional<iommu::IommuState> iommu;
  ResolveInputs in;
  ResolveSources() = default;
  ResolveSources(const ResolveSources&) = delete;
  ResolveSources& operator=(const ResolveSources&) = delete;
};

// Load the sources the plan gives for an address in `space`: --iova reads the IOMMU group
// `group` (UsageError when there is no such group); the others the resource tree of the
// space, the PCI model and the NUMA node of RAM (each null with its *_why when not read).
void load_resolve_sources(Machine& m, Space space, int group, ResolveSources& out);

// Why an inconclusive report's main source was not searched.
std::string inconclusive_why(const ResolveReport& r);

} // namespace memmap::machine
