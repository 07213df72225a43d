// The PCI model from an lspci dump: libpci's dump method reads the hex, memmap's own scanner
// (lspci_text) checks it and adds what the -v text says.
#include <memmap/pci/loader.hpp>

#include "libpci_access.hpp"

#include <memmap/error.hpp>
#include <memmap/pci/decode.hpp>
#include <memmap/pci/lspci_text.hpp>

#include <map>

#include <fmt/format.h>

namespace memmap::pci {

using namespace detail;

namespace {

// For sysfs, libpci lists the functions and reads config space; memmap reads the
// attributes itself, each file once: pci_fill_info would read vendor and device again
// (config space has them) and realpath() the driver and iommu_group links (a readlink per
// path component, 35 system calls a function: half of `bar`'s time at N=4096).
constexpr unsigned k_fill_dump = PCI_FILL_IDENT | PCI_FILL_CLASS;

} // namespace

PciModel
load_dump(const std::string& file, const source::PciNames& names, bool use_text)
{
  PciModel model;
  model.origin = Origin::dump;
  model.source = file;

  const auto text = source::read_file(file, file);
  if (!text) {
    throw SourceError(text.message);
  }
  const LspciText scanned = scan_lspci_text(text.data, file);
  if (scanned.devices.empty()) {
    throw InputError(file + ": no lspci device header (\"BB:DD.F \" at the start of a line)");
  }

  AccessPtr a = make_access(PCI_ACCESS_DUMP);
  pci_set_param(a.get(), const_cast<char*>("dump.name"), const_cast<char*>(file.c_str()));
  if (!scan_guarded(a.get())) {
    throw InputError(fmt::format("{}: libpci: {}", file, libpci_error_text()));
  }
  for (pci_dev* p = a->devices; p; p = p->next) {
    if (!fill_guarded(p, k_fill_dump)) {
      throw InputError(fmt::format("{}: libpci: {}", file, libpci_error_text()));
    }
  }

  std::map<std::string, const TextDevice*> by_bdf;
  for (const auto& td : scanned.devices) {
    by_bdf.emplace(td.bdf, &td);
  }

  for (pci_dev* p = a->devices; p; p = p->next) {
    Device dev;
    dev.domain = static_cast<std::uint32_t>(p->domain);
    dev.bus = p->bus;
    dev.dev = p->dev;
    dev.func = p->func;
    dev.bdf = canonical_bdf(p);
    dev.config = read_config(p);
    if (dev.config.size() < 256) {
      model.config_truncated = true;
    }
    decode_device(dev, file);
    dev.vendor_id = p->vendor_id;
    dev.device_id = p->device_id;

    // What the -v text adds: CPU addresses and sizes as the kernel reported them.
    const auto it = by_bdf.find(dev.bdf);
    if (use_text && it != by_bdf.end()) {
      const TextDevice& td = *it->second;
      dev.driver = td.driver;
      std::size_t seq = 0;
      for (const auto& tr : td.regions) {
        Bar* bar = nullptr;
        if (tr.index >= 0) {
          for (auto& b : dev.bars) {
            bar = b.index == tr.index ? &b : bar;
          }
        } else if (seq < dev.bars.size()) {
          bar = &dev.bars[seq];
        }
        ++seq;
        if (!bar || (bar->kind == BarKind::io) != tr.io) {
          dev.problems.push_back(model::Diagnostic{
            model::Severity::warning, "lspci-text-region", file, tr.line,
            dev.bdf + ": region line does not match any BAR in the hex dump; ignored"});
          continue;
        }
        if (tr.address) {
          bar->cpu_address = tr.address;
        }
        bar->size = tr.size ? tr.size : bar->size;
        bar->is_virtual = bar->is_virtual || tr.is_virtual;
        if (bar->cpu_address) {
          bar->unassigned = false;
          bar->ignored = false;
        }
      }
      if (td.rom) {
        if (!dev.rom) {
          dev.rom = Rom{};
          dev.rom->raw = dev.config.u32(dev.is_bridge() ? k_cfg_bridge_rom : k_cfg_rom);
          dev.rom->enabled = !td.rom->disabled;
        }
        if (td.rom->address) {
          dev.rom->cpu_address = td.rom->address;
          dev.rom->unassigned = false;
          dev.rom->ignored = false;
        }
        dev.rom->size = td.rom->size ? td.rom->size : dev.rom->size;
        dev.rom->is_virtual = dev.rom->is_virtual || td.rom->is_virtual;
        dev.rom->enabled = !td.rom->disabled && dev.rom->enabled;
      }
    }
    name_device(dev, names);
    model.devices.push_back(std::move(dev));
  }
  sort_devices(model);
  link_topology(model, &names);
  return model;
}

} // namespace memmap::pci
