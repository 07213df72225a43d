// memmap diff as data: two machines (snapshot directories, snapshot tarballs or live)
// compared section by section (iomem, ioports, pci, iommu, audit) into one typed report.
// The caller gives each side's sources as loaders (cli/cmd_diff.cpp binds them to its
// Context); render/diff writes the report as text or JSON.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <memmap/model/diff.hpp>

namespace memmap::analyze {
struct AuditSources;
}
namespace memmap::iommu {
struct IommuState;
}
namespace memmap::pci {
struct PciModel;
}
namespace memmap::source {
class SysRoot;
class UnpackedSnapshot;
}

namespace memmap::machine {

// --- The sides ---------------------------------------------------------------------------

// Where one side's files are: "live" (root empty), a directory, or a tarball unpacked into
// a temporary directory that lives as long as this.
struct DiffRoot {
  std::string spec;   // as given
  std::string root;   // the sysroot to read; empty for live
  std::unique_ptr<source::UnpackedSnapshot> unpacked;
  DiffRoot();
  DiffRoot(DiffRoot&&) noexcept;
  DiffRoot& operator=(DiffRoot&&) noexcept;
  ~DiffRoot();
};

// Throws UsageError ("A 'x': not a snapshot directory, a snapshot tarball or 'live'") for a
// spec that is none of them, SourceError / InputError from unpacking a tarball.
DiffRoot open_diff_root(const std::string& spec, const char* which);

// What a side is, from its manifest (manifest fields nullopt where it lacks them).
struct DiffSideInfo {
  std::string spec;
  bool live = false;
  bool has_manifest = false;  // false: live, or a sysroot without a memmap manifest
  std::optional<std::string> hostname;
  std::optional<std::string> kernel;   // the release
  std::optional<std::string> created;
  std::optional<bool> complete;        // nullopt: the manifest does not say
};

// `root` is the side's sysroot (null for live).
DiffSideInfo describe_diff_side(const DiffRoot& side, const source::SysRoot* root);

// --- The sections ------------------------------------------------------------------------

// One side's sources. Each is called only by the sections that need it; one that throws
// SourceError makes its sections "not compared" with the reason as a note; InputError (a
// malformed source) propagates (exit 2).
struct DiffInputs {
  std::function<const model::AddressSpace&()> iomem;
  std::function<const model::AddressSpace&()> ioports;
  std::function<const pci::PciModel&()> pci;
  std::function<iommu::IommuState()> iommu;
  // Calls `use` with the side's sources as memmap audit loads them.
  std::function<void(const std::function<void(const analyze::AuditSources&)>& use)> audit;
};

struct DiffSectionInfo {
  const char* id;     // JSON "id" and --only value
  const char* title;  // text heading: "CPU physical (/proc/iomem)"
};

// Every section, in the order memmap diff shows them: iomem, ioports, pci, iommu, audit.
const std::vector<DiffSectionInfo>& diff_section_list();
const DiffSectionInfo* find_diff_section(const std::string& id);

struct DiffSectionReport {
  DiffSectionInfo section{};
  // False when the section could not be compared (missing on one or both sides, a view
  // without root); `notes` says why. Such a section does not make the sources differ.
  bool compared = true;
  // Said once under the section ("addresses hidden in A ..."); notes are not differences.
  std::vector<std::string> notes;
  std::vector<model::Change> changes;
};

struct DiffReport {
  DiffSideInfo a;
  DiffSideInfo b;
  std::vector<DiffSectionReport> sections;
  std::size_t differences = 0;             // changes in every section
  std::size_t compared = 0;                // sections compared
  std::vector<std::string> not_compared;   // their ids
  // Same only when every section was compared and none differs; nullopt when nothing
  // differs in what was compared but a section was not compared.
  std::optional<bool> same() const;
};

// Compare A with B in `sections` (ids from diff_section_list(), in this order; empty: all).
DiffReport diff_machines(DiffSideInfo info_a, DiffInputs& a, DiffSideInfo info_b,
                         DiffInputs& b, const std::vector<std::string>& sections);

// The audit section alone: findings new in B and resolved since A, matched by fingerprint.
DiffSectionReport diff_audit(DiffInputs& a, DiffInputs& b);

} // namespace memmap::machine
