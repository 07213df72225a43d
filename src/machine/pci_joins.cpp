#include <memmap/machine/pci_joins.hpp>

#include <memmap/machine/machine.hpp>
#include <memmap/model/ram.hpp>
#include <memmap/pci/loader.hpp>

namespace memmap::machine {

std::optional<int>
bar_index(const pci::Device& d, std::uint64_t start, std::uint64_t end)
{
  const auto same = [&](std::optional<std::uint64_t> cpu, std::optional<std::uint64_t> bus,
                        std::optional<std::uint64_t> size) {
    const auto at = cpu ? cpu : bus;
    return at && size && *size != 0 && *at == start && *size - 1 == end - start;
  };
  for (const auto& b : d.bars) {
    if (same(b.cpu_address, b.bus_address, b.size)) {
      return b.index;
    }
  }
  if (d.rom && same(d.rom->cpu_address, d.rom->bus_address, d.rom->size)) {
    return 6;
  }
  if (d.sriov) {
    for (std::size_t i = 0; i < d.sriov->vf_bars.size() && i < d.sriov->vf_apertures.size();
         ++i) {
      const auto& b = d.sriov->vf_bars[i];
      if (same(b.cpu_address, std::nullopt, d.sriov->vf_apertures[i])) {
        return 7 + b.index;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t>
window_offset(const pci::PciModel& pcim, const model::Region& window)
{
  std::optional<std::int64_t> found;
  bool conflict = false;
  const auto note = [&](std::optional<std::uint64_t> cpu, std::optional<std::uint64_t> bus) {
    if (!cpu || !bus || *cpu < window.start || *cpu > window.end) {
      return;
    }
    const auto off = static_cast<std::int64_t>(*cpu - *bus);
    if (found && *found != off) {
      conflict = true;
    }
    found = found.value_or(off);
  };
  for (const auto& d : pcim.devices) {
    for (const auto& b : d.bars) {
      if (b.kind == pci::BarKind::mem) {
        note(b.cpu_address, b.bus_address);
      }
    }
    for (const auto& w : d.windows) {
      if (const auto r = w.bus_range(); r && w.kind != pci::WindowKind::io) {
        note(w.cpu_start, r->first);
      }
    }
  }
  if (conflict || !found || *found == 0) {
    return std::nullopt;
  }
  return found;
}

BarCrossReference
cross_reference_maps(Machine& m, pci::PciModel& pcim)
{
  const model::AddressSpace* iomem = nullptr;
  const model::AddressSpace* ioports = nullptr;
  try {
    iomem = &m.iomem();
  } catch (const std::exception& e) {
    m.notice(std::string("no /proc/iomem cross-reference: ") + e.what());
  }
  try {
    ioports = &m.ioports();
  } catch (const std::exception& e) {
    m.notice(std::string("no /proc/ioports cross-reference: ") + e.what());
  }
  if (iomem && iomem->addresses_hidden) {
    iomem = nullptr;
  }
  if (ioports && ioports->addresses_hidden) {
    ioports = nullptr;
  }
  pci::cross_reference(pcim, iomem, ioports);
  BarCrossReference x;
  x.iomem_known = iomem != nullptr;
  x.ioports_known = ioports != nullptr;
  if (iomem) {
    x.highest_ram = model::highest_ram(*iomem);
  }
  return x;
}

} // namespace memmap::machine
