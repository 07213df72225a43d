// The no-command summary as data: the two resource trees and the PCI count, each read or
// not (and why), what is missing, and the exit status (memmap(8), EXIT STATUS).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <memmap/model/address_space.hpp>

namespace memmap::machine {

class Machine;

// A resource tree: read (`space` set, owned by the Machine) or not (`error`, `exit_code`).
struct TreeSection {
  const model::AddressSpace* space = nullptr;
  std::string error;
  int exit_code = 0;  // k_exit_bad_input (malformed) or k_exit_unreadable when `error` is set
};

// How many PCI functions the plan's PCI source holds, or why it was not read.
struct PciSection {
  std::optional<std::size_t> functions;
  std::string source;
  std::string why;
};

struct SummaryReport {
  bool files_only = false;         // the given files stand for a machine of their own
  bool live = false;
  std::string prefix;              // the sysroot, when not live
  std::string plan;                // SourcePlan::describe()
  TreeSection iomem;
  TreeSection ioports;
  PciSection pci;
  std::vector<std::string> unavailable;  // what was not read, in the order it is shown
  int exit_code = 0;
};

// Load the sections (a tree that cannot be read is said once through m.notice). Live and
// --root count sysfs directories for PCI (no config space read); an --lspci dump is loaded.
SummaryReport summarize(Machine& m);

// Malformed input wins over unreadable; unreadable counts only when nothing could be read.
int summary_exit(const TreeSection& iomem, const TreeSection& ioports);

} // namespace memmap::machine
