#include "context.hpp"

#include <memmap/error.hpp>
#include <memmap/pci/loader.hpp>
#include <memmap/render/pci.hpp>
#include <memmap/source/resource_tree.hpp>

#include <ostream>
#include <unistd.h>

namespace memmap::cli {

Context::Context(GlobalOptions opts, std::ostream& out, std::ostream& err)
  : m_opts(std::move(opts)),
    m_root(m_opts.root.empty() ? "/" : m_opts.root),
    m_plan(machine::SourceArgs{m_opts.root, m_opts.iomem_file, m_opts.ioports_file,
                               m_opts.lspci_file}),
    m_out(out),
    m_err(err),
    m_style(render::want_color(m_opts.color, STDOUT_FILENO)),
    m_err_style(render::want_color(m_opts.color, STDERR_FILENO))
{
}

void
Context::notice(const std::string& msg)
{
  if (m_noticed.insert(msg).second) {
    m_err << "memmap: " << msg << '\n';
  }
}

namespace {

// The part's source, or SourceError saying why the plan has none.
void
require(const machine::SourcePlan& plan, machine::Part part)
{
  if (!plan.available(part)) {
    throw SourceError(plan.of(part).why_none);
  }
}

} // namespace

const source::SysRoot&
Context::sysfs() const
{
  require(m_plan, machine::Part::sysfs);
  return m_root;
}

const model::AddressSpace&
Context::load_tree(std::optional<model::AddressSpace>& slot, model::SpaceKind kind)
{
  if (!slot) {
    require(m_plan, kind == model::SpaceKind::io_port ? machine::Part::ioports : machine::Part::iomem);
    source::ResourceSource src;
    src.kind = kind;
    src.explicit_file =
      kind == model::SpaceKind::io_port ? m_opts.ioports_file : m_opts.iomem_file;
    src.strict = m_opts.strict;
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

const model::AddressSpace&
Context::iomem()
{
  return load_tree(m_iomem, model::SpaceKind::cpu_physical);
}

const model::AddressSpace&
Context::ioports()
{
  return load_tree(m_ioports, model::SpaceKind::io_port);
}

const source::PciNames&
Context::pci_names()
{
  if (!m_names) {
    m_names = std::make_unique<source::PciNames>();
  }
  return *m_names;
}

const std::map<std::string, source::DeviceBrief>&
Context::device_briefs()
{
  if (!m_briefs) {
    // The root's sysfs names only when it is where the PCI part comes from (not with files
    // that describe another machine, nor with an --lspci dump, which names its own devices).
    m_briefs = m_plan.of(machine::Part::pci).from == machine::From::root
                 ? source::read_device_briefs(m_root, pci_names())
                 : std::map<std::string, source::DeviceBrief>{};
  }
  return *m_briefs;
}

render::DeviceLookup
Context::device_lookup()
{
  const auto* briefs = &device_briefs();
  const pci::PciModel* model = pci_for_labels();
  return [briefs, model](const std::string& bdf) -> std::optional<render::DeviceLabel> {
    std::optional<render::DeviceLabel> label;
    auto it = briefs->find(bdf);
    if (it != briefs->end()) {
      label = render::DeviceLabel{it->second.name, it->second.driver, {}};
    }
    if (model) {
      if (const pci::Device* d = model->find(bdf)) {
        if (!label) {
          label = render::DeviceLabel{d->name, d->driver, {}};
        }
        label->bars = render::bar_spans(*d);
      }
    }
    return label;
  };
}

const pci::PciModel*
Context::pci_for_labels()
{
  // BAR annotations come from the PCI model when the plan has one (it then describes the
  // same machine as the listing).
  if (!m_plan.available(machine::Part::pci) || m_pci_failed) {
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
Context::pci()
{
  if (!m_pci) {
    require(m_plan, machine::Part::pci);
    if (!m_opts.lspci_file.empty()) {
      m_pci = pci::load_dump(m_opts.lspci_file, pci_names());
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
Context::report_pci_limits()
{
  if (m_pci) {
    if (m_pci->config_truncated) {
      notice(m_pci->origin == pci::Origin::dump
               ? m_pci->source + ": some functions have less than 256 bytes of config space "
                   "(an lspci -x dump); capabilities past what was dumped are unknown"
               : m_root.is_live() && ::geteuid() == 0
               ? m_pci->source + ": some functions gave less than 256 bytes of config space "
                   "(a short or failing read as root); capabilities past what was read are unknown"
               : m_pci->source + ": some functions give only the first 64 bytes of config space "
                   "(not root: the kernel hides the rest); capabilities past them are unknown. "
                   "Run as root to see them.");
    }
    for (const auto& p : m_pci->problems) {
      if (p.id == "pci-function-vanished" || p.id == "lspci-dump-short") {
        notice(p.located());
      }
    }
    if (m_pci->asleep_count > 0) {
      notice(std::to_string(m_pci->asleep_count)
             + " PCI function(s) in D3cold: config space not read, to keep them asleep "
               "(--wake reads it)");
    }
  }
}

} // namespace memmap::cli
