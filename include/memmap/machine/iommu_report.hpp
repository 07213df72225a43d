// memmap iommu-groups as data: the sources the listing and the pre-flight read, loaded from
// the machine, and what a run makes of them (the report, its exit status, the notice that
// explains an exit 3). machine/passthrough decides; render/iommu writes.
#pragma once

#include <string>
#include <vector>

#include <memmap/iommu/groups.hpp>
#include <memmap/machine/passthrough.hpp>
#include <memmap/source/host_facts.hpp>

namespace memmap::machine {

class Machine;

// What the listing and the pre-flight read. Owns what `in` points into: filled in place.
struct IommuSources {
  iommu::IommuState state;
  source::HostFacts host;
  PassthroughInputs in;
  IommuSources() = default;
  IommuSources(const IommuSources&) = delete;
  IommuSources& operator=(const IommuSources&) = delete;
};

// The IOMMU state and the PCI model (`addresses`: with BARs; the listing needs names,
// drivers and topology only). Throws SourceError when the plan has no sysfs; what the PCI
// model cannot show is said through m.notice.
void load_iommu_sources(Machine& m, IommuSources& s, bool addresses);

// Malformed IOMMU files (a problem of severity error): the run exits 2 once everything
// readable has been shown.
bool malformed(const iommu::IommuState& st);

// The one function `sel` names (lspci -s grammar) among the functions the PCI model, the
// groups and sys/bus/pci list. With none listed only a full address is accepted. Throws
// UsageError.
std::string select_function(const std::vector<std::string>& known, const std::string& sel);

struct PreflightRun {
  std::string bdf;
  PreflightReport report;
  std::vector<std::string> iommu_units;  // IOMMU register regions in /proc/iomem
  int exit_code = 0;
  std::string notice;                    // why the exit is 3; "" otherwise
};

// The pre-flight for the function `sel` names: loads what it needs into `s`.
PreflightRun run_preflight(Machine& m, IommuSources& s, const std::string& sel);

// The exit status of a pre-flight (memmap(8)): 0 passable, 1 blocked / bridge / no group,
// 2 malformed files, 3 as far as checked or not captured; `notice` says why for 3.
int preflight_exit(const PreflightReport& r, const std::string& bdf, bool malformed,
                   std::string& notice);

struct ListingRun {
  Listing listing;
  int exit_code = 0;
  std::string notice;  // why the exit is 3; "" otherwise
};

// The group listing: loads what it needs into `s`.
ListingRun run_listing(Machine& m, IommuSources& s);

} // namespace memmap::machine
