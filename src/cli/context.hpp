// What every command gets: the global options, the sources, output streams and lazily
// loaded parts of the model. Private to the CLI (not installed).
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <memmap/error.hpp>
#include <memmap/machine/sources.hpp>
#include <memmap/model/address_space.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/render/format.hpp>
#include <memmap/render/resource_tree.hpp>
#include <memmap/source/pci_names.hpp>
#include <memmap/source/sysroot.hpp>

namespace memmap::cli {

struct GlobalOptions {
  std::string root;          // --root DIR (empty: live)
  std::string iomem_file;    // --iomem FILE
  std::string ioports_file;  // --ioports FILE
  std::string lspci_file;    // --lspci FILE
  bool strict = false;       // --strict: resource-tree indentation must be the kernel's
  bool json = false;         // --json
  std::string color = "auto";
};

// A source that could not be read: kept so the summary can say what is missing and why.
struct Unavailable {
  std::string what;    // "/proc/ioports"
  std::string reason;  // "Permission denied"
};

class Context {
public:
  Context(GlobalOptions opts, std::ostream& out, std::ostream& err);

  const GlobalOptions& options() const { return m_opts; }
  // The root memmap reads from: / or --root DIR. For the machine's own files use sysfs(),
  // which honours the same-machine rule; root() is for what is always this root's (tracefs,
  // snapshot, the manifest).
  const source::SysRoot& root() const { return m_root; }
  // Where each part of the model comes from: the one same-machine rule (machine::SourcePlan).
  const machine::SourcePlan& plan() const { return m_plan; }
  // The root's sysfs and other files (IOMMU groups, NUMA, USB, mounts), when they describe the
  // same machine as the other sources; throws SourceError saying why not (files given
  // without --root describe another machine).
  const source::SysRoot& sysfs() const;
  std::ostream& out() { return m_out; }
  std::ostream& err() { return m_err; }
  const render::Style& style() const { return m_style; }
  const render::Style& err_style() const { return m_err_style; }

  // A one-time note on stderr ("memmap: MSG"); the same text is printed once per run.
  void notice(const std::string& msg);

  // The resource trees. Throw SourceError / InputError as the parser does, SourceError when
  // the plan has no source for them; a hidden-address view (non-root) prints its notice once
  // and is returned as is.
  const model::AddressSpace& iomem();
  const model::AddressSpace& ioports();

  // Names and drivers of PCI devices from sysfs (empty when sysfs is absent).
  const std::map<std::string, source::DeviceBrief>& device_briefs();
  const source::PciNames& pci_names();
  render::DeviceLookup device_lookup();
  // The PCI model for labelling a listing (device_lookup, memmap map): null when it cannot be
  // loaded (no PCI sysfs, a malformed source) or the plan has none (a single --iomem/--ioports
  // file without --lspci).
  const pci::PciModel* pci_for_labels();

  // The PCI model through libpci: the --lspci dump if given, else ROOT/sys/bus/pci (live or
  // --root). Loaded once; throws SourceError/InputError as pci::load_* do, SourceError when
  // the plan has no PCI source.
  pci::PciModel& pci();  // non-const: commands annotate it (pci::cross_reference)
  // The one-time notices about what the PCI model could not see (truncated config space,
  // sleeping functions); for the commands that show config-space details.
  void report_pci_limits();
  // Read config space of functions in D3cold too (bar/tree --wake); call before pci().
  void set_pci_wake(bool wake) { m_pci_wake = wake; }
  // Load identity, driver and topology only (pci::LoadOptions::addresses); call before pci().
  void set_pci_addresses(bool addresses) { m_pci_addresses = addresses; }

private:
  const model::AddressSpace& load_tree(std::optional<model::AddressSpace>& slot,
                                       model::SpaceKind kind);

  GlobalOptions m_opts;
  source::SysRoot m_root;
  machine::SourcePlan m_plan;
  std::ostream& m_out;
  std::ostream& m_err;
  render::Style m_style;
  render::Style m_err_style;
  std::set<std::string> m_noticed;
  std::optional<model::AddressSpace> m_iomem;
  std::optional<model::AddressSpace> m_ioports;
  std::unique_ptr<source::PciNames> m_names;
  std::optional<std::map<std::string, source::DeviceBrief>> m_briefs;
  std::optional<pci::PciModel> m_pci;
  bool m_pci_wake = false;
  bool m_pci_addresses = true;
  bool m_pci_failed = false;  // a load for labels failed; do not retry
};

// A source for a report, or null with the reason it is missing in `why` (a report that
// degrades says it: text and JSON not_searched / checks not run). `fn` returns a reference
// from the Context (ctx.pci(), ctx.iomem() ...); other exceptions propagate.
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

} // namespace memmap::cli
