// memmap diff: the registry of diff sections. Each section compares one part of the model
// of two machines (two Contexts: snapshot directories, tarballs or live) and returns its
// changes; cmd_diff.cpp runs them in order, renders them and sets the exit status. A model
// module that wants to appear in `memmap diff` adds one add_<module>_diff_sections
// function (declared here, defined in its own cmd_<module>.cpp or diff_<module>.cpp) and
// one line calling it in diff_sections() in cmd_diff.cpp. Private to the CLI.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <memmap/model/diff.hpp>

#include "context.hpp"

namespace memmap::cli {

struct SectionResult {
  std::vector<model::Change> changes;
  // Said once under the section, e.g. "addresses hidden in A (not root): names and nesting
  // compared only". Notes are not differences.
  std::vector<std::string> notes;
  // False when the section could not be compared (missing on one or both sides); `notes`
  // says why. Such a section does not make the sources differ.
  bool compared = true;
};

struct DiffSection {
  std::string id;     // JSON "id" and --only value: "iomem", "ioports", "pci", "iommu", ...
  std::string title;  // text heading: "CPU physical (/proc/iomem)"
  // Compare A with B. May throw InputError (a malformed source: exit 2); a source missing
  // on one side should be a note with compared = false, not an exception.
  std::function<SectionResult(Context& a, Context& b)> compare;
};

using DiffSectionList = std::vector<DiffSection>;

// One per model module, in the order memmap diff shows them.
void add_resource_diff_sections(DiffSectionList& sections);  // iomem, ioports
void add_pci_diff_sections(DiffSectionList& sections);       // pci (diff_pci.cpp)
void add_iommu_diff_sections(DiffSectionList& sections);     // iommu (diff_iommu.cpp)
void add_audit_diff_sections(DiffSectionList& sections);     // audit (diff_audit.cpp)

// Every registered section, in order.
DiffSectionList diff_sections();

} // namespace memmap::cli
