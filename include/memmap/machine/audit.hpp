// What memmap audit (and memmap diff's audit section) reads, loaded once from the machine:
// each part from where the plan says, never this machine's devices or groups beside files
// that describe another machine. What is not read is said once and kept in the sources'
// status (JSON "sources"), so a verdict shows what it rests on.
#pragma once

#include <optional>
#include <set>
#include <string>

#include <memmap/analyze/audit.hpp>
#include <memmap/iommu/groups.hpp>

namespace memmap::machine {

class Machine;

// `iommu` owns the IOMMU state `src.iommu` points into, so it is filled in place and never
// copied.
struct AuditModel {
  analyze::AuditSources src;
  std::optional<iommu::IommuState> iommu;
  AuditModel() = default;
  AuditModel(const AuditModel&) = delete;
  AuditModel& operator=(const AuditModel&) = delete;
};

void load_audit_model(Machine& m, AuditModel& out);

// The fingerprints a --baseline FILE lists (analyze::parse_baseline); SourceError when it
// cannot be read.
std::set<std::string> read_baseline(const std::string& path);

} // namespace memmap::machine
