// The machine memmap looks at, assembled lazily from the sources the plan gives
// (machine::SourcePlan): the resource trees, the PCI model, names and drivers, the root's
// sysfs. Every part is loaded once, on first use. What a part could not show is said through
// the notice sink, once per text; this layer never writes to a stream.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <memmap/error.hpp>
#include <memmap/machine/sources.hpp>
#include <memmap/model/address_space.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/pci/kernel_log.hpp>
#include <memmap/source/pci_names.hpp>
#include <memmap/source/sysroot.hpp>

namespace memmap::machine {

// Where the one-time notices go ("MSG", without the "memmap: " a terminal adds).
using NoticeSink = std::function<void(const std::string&)>;

struct MachineArgs {
  SourceArgs sources;   // --root, --iomem, --ioports, --lspci
  bool strict = false;  // --strict: resource-tree indentation must be the kernel's
};

class Machine {
public:
  Machine(MachineArgs args, NoticeSink sink);
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const MachineArgs& args() const { return m_args; }
  // The root memmap reads from: / or --root DIR (tracefs, snapshot, the manifest).
  const source::SysRoot& root() const { return m_root; }
  // Where each part comes from: the one same-machine rule.
  const SourcePlan& plan() const { return m_plan; }
  // The root's sysfs and other files (IOMMU groups, NUMA, USB, mounts) when they describe
  // the same machine as the other sources; throws SourceError saying why not.
  const source::SysRoot& sysfs() const;

  // Send `msg` to the sink, the first time this text is given only.
  void notice(const std::string& msg);

  // The resource trees. Throw SourceError / InputError as the parser does, SourceError when
  // the plan has no source for them; a hidden-address view gives its notice once.
  const model::AddressSpace& iomem();
  const model::AddressSpace& ioports();

  // Names and drivers of PCI devices from the root's sysfs (empty when the PCI part comes
  // from elsewhere or sysfs is absent).
  const std::map<std::string, source::DeviceBrief>& device_briefs();
  const source::PciNames& pci_names();

  // The PCI model: the --lspci dump if given, else ROOT/sys/bus/pci. Loaded once; throws
  // SourceError/InputError as pci::load_* do, SourceError when the plan has no PCI source.
  pci::PciModel& pci();  // non-const: commands annotate it (pci::cross_reference)
  // The PCI model for labelling a listing: null when it cannot be loaded or the plan has
  // none; a failed load is not retried.
  const pci::PciModel* pci_for_labels();
  // Give the one-time notices about what the loaded PCI model could not see.
  void report_pci_limits();
  // The kernel log's PCI resource events: --dmesg FILE, else ROOT/var/log/memmap-kmsg under
  // --root, else /dev/kmsg (root, or kernel.dmesg_restrict=0). Read once; throws SourceError
  // with the reason when it cannot be read or the plan has none (files of another machine).
  const pci::KernelLogEvents& kernel_log();
  // Where the log came from ("/dev/kmsg", "FILE"), once kernel_log() has read it.
  const std::string& kernel_log_display() const { return m_klog_display; }
  // True when it was /dev/kmsg records (live or saved): its line numbers count messages.
  bool kernel_log_is_records() const { return m_klog_records; }
  // The log for notes beside another view (bar's kernel history): null when it cannot be
  // read, and then the reason is said once through the notice sink.
  const pci::KernelLogEvents* kernel_log_for_notes();
  // Read config space of functions in D3cold too (--wake); call before pci().
  void set_pci_wake(bool wake) { m_pci_wake = wake; }
  // Load identity, driver and topology only (pci::LoadOptions::addresses); before pci().
  void set_pci_addresses(bool addresses) { m_pci_addresses = addresses; }

private:
  const model::AddressSpace& load_tree(std::optional<model::AddressSpace>& slot,
                                       model::SpaceKind kind);

  MachineArgs m_args;
  source::SysRoot m_root;
  SourcePlan m_plan;
  NoticeSink m_sink;
  std::set<std::string> m_noticed;
  std::optional<model::AddressSpace> m_iomem;
  std::optional<model::AddressSpace> m_ioports;
  std::unique_ptr<source::PciNames> m_names;
  std::optional<std::map<std::string, source::DeviceBrief>> m_briefs;
  std::optional<pci::PciModel> m_pci;
  bool m_pci_wake = false;
  bool m_pci_addresses = true;
  bool m_pci_failed = false;
  std::optional<pci::KernelLogEvents> m_klog;
  std::string m_klog_display;
  bool m_klog_records = false;
  std::string m_klog_error;  // non-empty: the read failed (not retried)
};

// A part for a report, or null with the reason it is missing in `why` (a report that
// degrades says it: text and JSON not_searched / checks not run). `fn` returns a reference
// from the Machine (m.pci(), m.iomem() ...); other exceptions propagate.
template <typename Load>
auto
load_or_why(std::string& why, Load&& fn) -> decltype(&fn())
{
  try {
    return &fn();
  } catch (const SourceError& e) {
    why = e.what();
  } catch (const InputError& e) {
    why = e.what();
  }
  return nullptr;
}

// The notices about what `m` could not see (short config space, vanished functions, a short
// dump, functions left asleep), in the order they are given. `live_as_root`: read from live
// sysfs by root (a short config space is then a failing read, not the kernel hiding it).
std::vector<std::string> pci_limit_notices(const pci::PciModel& m, bool live_as_root);

} // namespace memmap::machine
