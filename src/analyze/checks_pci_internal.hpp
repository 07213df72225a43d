// What checks_pci.cpp and checks_pci_dma.cpp share: how a BAR is named, placed and cited in
// a finding, and the checks registered by add_pci_checks() that live in checks_pci_dma.cpp.
// Private to src/analyze.
#pragma once

#include <memmap/analyze/audit.hpp>
#include <memmap/pci/device.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace memmap::analyze::detail {

// "BAR0".."BAR5", "ROM" for index 6.
std::string bar_name(int index);
// The CPU address, else the bus address.
std::optional<std::uint64_t> bar_addr(const pci::Bar& b);
// An address and a size, and neither unassigned nor ignored.
bool has_range(const pci::Bar& b);
// A finding about one BAR, its subject filled in.
Finding bar_finding(const char* id, Severity sev, const pci::Device& d, const pci::Bar& b);
// "BDF BARn mem64 pref START-END size N (resource flags F)".
std::string bar_evidence(const pci::Device& d, const pci::Bar& b);

// checks_pci_dma.cpp
void check_dma_mask(const AuditSources& s, std::vector<Finding>& out);
void check_reserved_overlap(const AuditSources& s, std::vector<Finding>& out);
void check_view_truncated(const AuditSources& s, std::vector<Finding>& out);

} // namespace memmap::analyze::detail
