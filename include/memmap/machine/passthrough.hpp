// The VFIO passthrough pre-flight as data: for one PCI function, its IOMMU group, the role of
// every member (endpoint passed to the guest, bridge kept by the host), what the host would
// lose (blockers), what to know (warnings), every check with what it rests on and whether it
// ran, the binding suggestion and the verdict. The verdict follows only from checks that ran:
// "passable" needs every check to have run and none to block; with a check that could not run
// it is "passable as far as checked". Pure: the caller loads the sources (cli/cmd_iommu.cpp),
// render/iommu writes the report.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <memmap/analyze/foreign_claims.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/iommu/isolation.hpp>
#include <memmap/model/address_space.hpp>
#include <memmap/source/host_facts.hpp>

namespace memmap::pci {
struct PciModel;
}

namespace memmap::machine {

// Everything the pre-flight and the group listing look at. A null source was not read; its
// *_why says why (the caller printed it as a notice).
struct PassthroughInputs {
  const iommu::IommuState* iommu = nullptr;   // required
  const pci::PciModel* pci = nullptr;
  std::string pci_why;
  const model::AddressSpace* iomem = nullptr;
  std::string iomem_why;
  const source::HostFacts* host = nullptr;    // required
  // The groups were read from this machine (live): a missing sys/kernel/iommu_groups then
  // means a kernel without IOMMU support, not a capture that left it out.
  bool live = false;
};

// Why the host needs a PCI function: passing it to a guest takes it from the host.
struct HostNeed {
  std::string check;   // the check that found it: "host-devices", "boot-vga", "root-fs", "keyboard"
  std::string what;    // a noun phrase: "the ISA/LPC bridge", "the controller of the root filesystem"
  std::string why;     // the evidence: "class 0x0601", "boot_vga is 1", "nvme0n1p2 (259:2 on /)"
};

// endpoint: passed to the guest (bound to vfio-pci). bridge: a PCI-to-PCI bridge, kept by the
// host (its driver, if any, must do no DMA of its own). kept: a host bridge (class 0600) with
// no driver in a group with other endpoints, as AMD's "dummy host bridge" functions beside a
// GPU's port: it stays with the host, unbound, which VFIO accepts. unknown: not in the PCI
// source.
enum class Role { endpoint, bridge, kept, unknown };
const char* to_string(Role r);  // "endpoint", "bridge", "kept", "unknown"

struct Member {
  std::string bdf;
  bool pci_known = false;                     // the PCI model has it
  std::optional<std::uint16_t> vendor_id;
  std::optional<std::uint16_t> device_id;
  std::optional<std::uint32_t> class_code;
  std::string name;                           // pci.ids name ("" when unknown)
  std::string class_name;
  std::optional<std::string> driver;          // nullopt: unknown; "": no driver bound
  Role role = Role::unknown;
  std::optional<std::vector<std::string>> reset_methods;  // nullopt: unknown
  std::string reset_why;                      // why unknown, or how "none" is known
  std::vector<HostNeed> host_needs;
  std::vector<source::UsbDevice> usb;         // USB devices behind it (a USB controller)

  // "8086:10d3" when both ids are known.
  std::optional<std::string> id() const;
};

// Claims under a device's BARs that are not its driver's (analyze/foreign_claims.hpp).
using analyze::ForeignClaim;
using analyze::find_foreign_claims;

// One check the verdict rests on.
struct PreflightCheck {
  std::string id;         // stable: group-members, pci-identity, host-devices, boot-vga, root-fs,
                          // keyboard, reset-methods, reserved-regions, group-type, bar-claims,
                          // vfio-ids, kernel-cmdline
  std::string source;     // the files it reads, as named to the user
  bool ran = false;
  std::string result;     // ran: what it found; not run: why not
  bool can_block = false; // a finding of it blocks (else it only warns)
};

struct Blocker {
  std::string check;      // the check id
  std::string bdf;        // the member
  std::string what;       // "the ISA/LPC bridge", "BOOTFB in BAR 1"
  std::string why;        // the evidence
  std::string fix;        // what would lift it ("" when nothing but leaving the device)
};

struct Warning {
  std::string check;
  std::optional<std::string> bdf;
  std::string message;
};

// The kernel command-line suggestion for binding the group's endpoints to vfio-pci.
struct BindSuggestion {
  std::vector<std::string> ids;               // known ids of the endpoints, sorted
  std::vector<std::string> ids_unknown_for;   // endpoints (or members of unknown role) whose id is unknown
  // Ids also carried by functions outside the group: vfio-pci.ids= would take those too.
  std::map<std::string, std::vector<std::string>> shared;
  bool shared_checked = false;                // the whole machine's PCI functions were known
  std::vector<std::string> ids_on_cmdline;    // of `ids`, those a vfio-pci.ids= on /proc/cmdline has
  std::vector<std::string> endpoints;         // the per-device alternative binds these
  std::vector<std::string> to_bind;           // endpoints not on vfio-pci: "BDF (bound to e1000e)"
  std::vector<std::string> bridges_to_unbind; // bridges on a driver that does DMA of its own
};

enum class Verdict {
  passable,            // every check ran, none blocks
  as_far_as_checked,   // no blocker, some check did not run
  blocked,             // a blocker (host needs a member, a foreign claim, a direct region)
  bridge,              // the function asked for is a bridge: bridges are not passed
  no_group,            // in no IOMMU group (not behind an IOMMU), or no IOMMU is active
  not_captured,        // the IOMMU groups are not in the source: nothing can be said
};
const char* to_string(Verdict v);  // "passable", "passable-as-far-as-checked", "blocked", ...

struct PreflightReport {
  std::string bdf;                           // the function asked for
  std::optional<int> group;                  // its group
  const iommu::Group* group_ref = nullptr;   // into the inputs' IommuState
  iommu::Cause cause;
  std::vector<Member> members;               // the group's, in its order
  std::vector<Blocker> blockers;
  std::vector<Warning> warnings;
  std::vector<PreflightCheck> checks;
  BindSuggestion bind;
  Verdict verdict = Verdict::no_group;
  std::string reason;                        // one sentence: the verdict in words
  // JSON "passable": true (passable), null (as far as checked, not captured), false (else).
  std::optional<bool> passable() const;
  std::vector<std::string> not_run() const;  // ids of the checks that did not run
};

// The pre-flight for `bdf` (canonical, already resolved from the user's selector).
PreflightReport preflight(const std::string& bdf, const PassthroughInputs& in);

// Members of one group as the listing shows them (identity, driver, reset, host needs, USB).
// `selected` (the pre-flight's device) is never a kept member.
std::vector<Member> describe_members(const iommu::Group& g, const PassthroughInputs& in,
                                     const std::string& selected = "");

// Every group with its members and the reason they share it: `memmap iommu-groups`.
struct GroupListing {
  const iommu::Group* group = nullptr;   // into the inputs' IommuState
  iommu::Cause cause;
  std::vector<Member> members;
};
struct Listing {
  std::vector<GroupListing> groups;
  std::size_t shared = 0;                // groups whose members span more than one slot
  std::optional<std::size_t> ungrouped;  // PCI functions in no group; null without the PCI model
  // The groups are not in the source (a capture without sys/kernel/iommu_groups), as opposed
  // to a machine that has no IOMMU.
  bool not_captured = false;
  std::vector<std::string> iomem_units;  // IOMMU register regions in /proc/iomem, when read
};
Listing list_groups(const PassthroughInputs& in);

// True when the source has no IOMMU groups because they were not captured (see Listing).
bool groups_not_captured(const PassthroughInputs& in);

// The IOMMU register regions in /proc/iomem ("dmar0", "AMD-Vi", "amd_iommu"): a sign of an
// IOMMU in a capture whose sysfs was not taken. Names in file order.
std::vector<std::string> iommu_units_in_iomem(const model::AddressSpace& iomem);

} // namespace memmap::machine
