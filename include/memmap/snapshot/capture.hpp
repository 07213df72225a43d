// `memmap snapshot`: copy every file memmap reads from a sysroot (live "/" or a captured
// one) into a SnapshotSink, as a sysroot again, and describe it in a manifest. Reads only
// through SysRoot's *_beneath calls, so no link is followed out of the source tree.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <memmap/source/snapshot_sink.hpp>
#include <memmap/source/sysroot.hpp>

namespace memmap::snapshot {

struct Note {
  std::string path;    // relative to the sysroot ("proc/iomem")
  std::string reason;
};

struct CaptureResult {
  std::size_t pci_devices = 0;
  std::size_t iommu_groups = 0;
  std::size_t usb_devices = 0;
  std::vector<Note> incomplete;  // read, but not all of it (non-root: zeroed, truncated)
  std::vector<Note> unreadable;  // present, could not be read
  std::vector<Note> skipped;     // not copied on purpose (a link leading out of the tree)
  std::vector<Note> absent;      // optional sources this machine does not have
};

// The per-device sysfs attributes copied (each only if present). Links are listed apart.
const std::vector<std::string>& pci_attributes();
const std::vector<std::string>& pci_links();  // "virtfn" stands for virtfn0, virtfn1, ...

// Copy everything from `from` into `to` (not the manifest, not finish()).
CaptureResult capture(const source::SysRoot& from, source::SnapshotSink& to);

struct ManifestInfo {
  std::time_t created = 0;
  unsigned uid = 0;
  unsigned euid = 0;
  std::string machine;      // uname -m, live only
};

// The manifest (memmap-snapshot.json): who, when, what kernel, what is missing. Typed here;
// render/snapshot.hpp writes it as JSON (the file and snapshot --json) and as text.
struct Manifest {
  std::optional<std::string> created;         // ISO 8601 UTC; nullopt when gmtime failed
  bool live = false;                          // copied from this machine's / (not --root)
  std::string source;                         // "live" or the sysroot copied
  std::optional<std::string> hostname;        // first line of proc/sys/kernel/hostname
  std::optional<std::string> kernel_release;  // proc/sys/kernel/osrelease
  std::optional<std::string> kernel_version;  // proc/version
  std::optional<std::string> machine;         // uname -m, or the source snapshot's
  unsigned uid = 0;
  unsigned euid = 0;
  std::size_t files = 0, links = 0, directories = 0;
  std::uint64_t bytes = 0;
  CaptureResult result;
  // The manifest of the snapshot copied (a --root that is one), as read; null when none or
  // not a JSON object.
  nlohmann::ordered_json source_manifest;

  bool complete() const { return result.incomplete.empty() && result.unreadable.empty(); }
};

Manifest make_manifest(const source::SysRoot& from, const source::SnapshotSink& to,
                       const CaptureResult& result, const ManifestInfo& info);

} // namespace memmap::snapshot
