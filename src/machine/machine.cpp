#include <memmap/machine/machine.hpp>

#include <memmap/error.hpp>
#include <memmap/pci/loader.hpp>
#include <memmap/source/kernel_log.hpp>
#include <memmap/source/resource_tree.hpp>

#include <fmt/format.h>
#include <unistd.h>

namespace memmap::machine {

namespace {

// The part's source, or SourceError saying why the plan has none.
void
require(const SourcePlan& plan, Part part)
{
  if (!plan.available(part)) {
    throw SourceError(plan.of(part).why_none);
  }
}

} // namespace

Machine::Machine(MachineArgs args, NoticeSink sink)
  : m_args(std::move(args)),
    m_root(m_args.sources.root.empty() ? "/" : m_args.sources.root),
    m_plan(m_args.sources),
    m_sink(std::move(sink))
{
}

void
Machine::notice(const std::string& msg)
{
  if (m_noticed.insert(msg).second && m_sink) {
    m_sink(msg);
  }
}

const source::SysRoot&
Machine::sysfs() const
{
  require(m_plan, Part::sysfs);
  return m_root;
}

const model::AddressSpace&
Machine::load_tree(std::optional<model::AddressSpace>& slot, model::SpaceKind kind)
{
  if (!slot) {
    const bool io = kind == model::SpaceKind::io_port;
    require(m_plan, io ? Part::ioports : Part::iomem);
    source::ResourceSource src;
    src.kind = kind;
    src.explicit_file = io ? m_args.sources.ioports_file : m_args.sources.iomem_file;
    src.strict = m_args.strict;
    slot = source::load_resource_tree(m_root, src);
    if (slot->addresses_hidden) {
      notice(slot->source
             + ": every address reads as zero: the kernel hides addresses from readers "
               "without CAP_SYS_ADMIN. Names and nesting are real; run as root (sudo memmap "
               "...) to see the addresses.");
    }
  }
  return *slot;
}

const pci::KernelLogEvents&
Machine::kernel_log()
{
  if (m_klog) {
    return *m_klog;
  }
  if (!m_klog_error.empty()) {
    throw SourceError(m_klog_error);
  }
  if (!m_plan.available(Part::klog)) {
    m_klog_error = m_plan.of(Part::klog).why_none;
    throw SourceError(m_klog_error);
  }
  const auto r = m_args.sources.dmesg_file.empty()
                   ? source::read_kernel_log(m_root)
                   : source::read_kernel_log_file(m_args.sources.dmesg_file);
  if (!r.log) {
    m_klog_error = fmt::format("{}: not read: {}", r.unavailable->what, r.unavailable->reason);
    throw SourceError(m_klog_error);
  }
  m_klog_display = r.log->display;
  m_klog_records = r.log->from_kmsg;
  m_klog = pci::parse_kernel_log(r.log->text);
  if (r.log->lost != 0) {
    notice(fmt::format("{}: {} records were overwritten while reading (the ring buffer moved "
                       "on); the oldest messages may be missing",
                       m_klog_display, r.log->lost));
  }
  if (r.log->truncated) {
    notice(fmt::format("{}: read up to its size limit; later messages are not seen",
                       m_klog_display));
  }
  return *m_klog;
}

const pci::KernelLogEvents*
Machine::kernel_log_for_notes()
{
  if (!m_plan.available(Part::klog)) {
    return nullptr;  // files of another machine and no --dmesg: nothing to say beside them
  }
  try {
    return &kernel_log();
  } catch (const SourceError& e) {
    notice(std::string(e.what()) + " (the kernel's account of BAR placement is not shown)");
    return nullptr;
  }
}

const model::AddressSpace&
Machine::iomem()
{
  return load_tree(m_iomem, model::SpaceKind::cpu_physical);
}

const model::AddressSpace&
Machine::ioports()
{
  return load_tree(m_ioports, model::SpaceKind::io_port);
}

const source::PciNames&
Machine::pci_names()
{
  if (!m_names) {
    m_names = std::make_unique<source::PciNames>();
  }
  return *m_names;
}

const std::map<std::string, source::DeviceBrief>&
Machine::device_briefs()
{
  if (!m_briefs) {
    // The root's sysfs names only when it is where the PCI part comes from (not with files
    // that describe another machine, nor with an --lspci dump, which names its own devices).
    m_briefs = m_plan.of(Part::pci).from == From::root
                 ? source::read_device_briefs(m_root, pci_names())
                 : std::map<std::string, source::DeviceBrief>{};
  }
  return *m_briefs;
}

const pci::PciModel*
Machine::pci_for_labels()
{
  // BAR annotations come from the PCI model when the plan has one (it then describes the
  // same machine as the listing).
  if (!m_plan.available(Part::pci) || m_pci_failed) {
    return nullptr;
  }
  try {
    return &pci();
  } catch (const std::exception&) {
    m_pci_failed = true;  // no PCI sysfs (e.g. a --root with only proc/): no annotations
    return nullptr;
  }
}

pci::PciModel&
Machine::pci()
{
  if (!m_pci) {
    require(m_plan, Part::pci);
    if (!m_args.sources.lspci_file.empty()) {
      m_pci = pci::load_dump(m_args.sources.lspci_file, pci_names());
    } else {
      pci::LoadOptions lo;
      lo.wake = m_pci_wake;
      lo.addresses = m_pci_addresses;
      m_pci = pci::load_sysfs(m_root, pci_names(), lo);
    }
  }
  return *m_pci;
}

void
Machine::report_pci_limits()
{
  if (m_pci) {
    for (const auto& msg : pci_limit_notices(*m_pci, m_root.is_live() && ::geteuid() == 0)) {
      notice(msg);
    }
  }
}

std::vector<std::string>
pci_limit_notices(const pci::PciModel& m, bool live_as_root)
{
  std::vector<std::string> out;
  if (m.config_truncated) {
    out.push_back(
      m.origin == pci::Origin::dump
        ? m.source + ": some functions have less than 256 bytes of config space "
            "(an lspci -x dump); capabilities past what was dumped are unknown"
      : live_as_root
        ? m.source + ": some functions gave less than 256 bytes of config space "
            "(a short or failing read as root); capabilities past what was read are unknown"
        : m.source + ": some functions give only the first 64 bytes of config space "
            "(not root: the kernel hides the rest); capabilities past them are unknown. "
            "Run as root to see them.");
  }
  for (const auto& p : m.problems) {
    if (p.id == "pci-function-vanished" || p.id == "lspci-dump-short") {
      out.push_back(p.located());
    }
  }
  if (m.asleep_count > 0) {
    out.push_back(std::to_string(m.asleep_count)
                  + " PCI function(s) in D3cold: config space not read, to keep them asleep "
                    "(--wake reads it)");
  }
  return out;
}

} // namespace memmap::machine
