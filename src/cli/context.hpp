// The command-line side of a run: global options, streams, styles and the machine.
// Private to the CLI (not installed).
#pragma once

#include <iosfwd>
#include <map>
#include <string>

#include <memmap/error.hpp>
#include <memmap/machine/machine.hpp>
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
  std::string dmesg_file;    // --dmesg FILE: a saved kernel log
  bool strict = false;       // --strict: resource-tree indentation must be the kernel's
  bool json = false;         // --json
  std::string color = "auto";
};

// What every command gets: the global options, the output streams and styles, and the
// machine (machine::Machine), whose lazily loaded parts the methods below forward to.
class Context {
public:
  Context(GlobalOptions opts, std::ostream& out, std::ostream& err);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const GlobalOptions& options() const { return m_opts; }
  machine::Machine& machine() { return m_machine; }
  std::ostream& out() { return m_out; }
  std::ostream& err() { return m_err; }
  const render::Style& style() const { return m_style; }
  const render::Style& err_style() const { return m_err_style; }

  // A one-time note on stderr ("memmap: MSG"); the same text is printed once per run.
  void notice(const std::string& msg) { m_machine.notice(msg); }

  // Forwarders to machine::Machine (see there). root() is / or --root DIR; for the machine's
  // own files use sysfs(), which honours the same-machine rule (plan()).
  const source::SysRoot& root() const { return m_machine.root(); }
  const machine::SourcePlan& plan() const { return m_machine.plan(); }
  const source::SysRoot& sysfs() const { return m_machine.sysfs(); }
  const model::AddressSpace& iomem() { return m_machine.iomem(); }
  const model::AddressSpace& ioports() { return m_machine.ioports(); }
  const std::map<std::string, source::DeviceBrief>& device_briefs()
  {
    return m_machine.device_briefs();
  }
  const source::PciNames& pci_names() { return m_machine.pci_names(); }
  const pci::PciModel* pci_for_labels() { return m_machine.pci_for_labels(); }
  pci::PciModel& pci() { return m_machine.pci(); }
  void report_pci_limits() { m_machine.report_pci_limits(); }
  void set_pci_wake(bool wake) { m_machine.set_pci_wake(wake); }
  void set_pci_addresses(bool addresses) { m_machine.set_pci_addresses(addresses); }
  // Names, drivers and BAR spans for labelling a listing (render::device_lookup).
  render::DeviceLookup device_lookup();

private:
  GlobalOptions m_opts;
  std::ostream& m_out;
  std::ostream& m_err;
  render::Style m_style;
  render::Style m_err_style;
  machine::Machine m_machine;
};

// A source for a report, or null with the reason in `why` (machine/machine.hpp).
using machine::load_or_why;

} // namespace memmap::cli
