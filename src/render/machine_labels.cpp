#include <memmap/render/machine_labels.hpp>

#include <memmap/machine/pci_joins.hpp>
#include <memmap/render/pci.hpp>

namespace memmap::render {

DeviceLookup
device_lookup(const std::map<std::string, source::DeviceBrief>& briefs,
              const pci::PciModel* pcim)
{
  const auto* b = &briefs;
  return [b, pcim](const std::string& bdf) -> std::optional<DeviceLabel> {
    std::optional<DeviceLabel> label;
    auto it = b->find(bdf);
    if (it != b->end()) {
      label = DeviceLabel{it->second.name, it->second.driver, {}};
    }
    if (pcim) {
      if (const pci::Device* d = pcim->find(bdf)) {
        if (!label) {
          label = DeviceLabel{d->name, d->driver, {}};
        }
        label->bars = bar_spans(*d);
      }
    }
    return label;
  };
}

MapSources
map_sources(const DeviceLookup& lookup, const pci::PciModel* pcim)
{
  MapSources sources = map_sources_from(lookup);
  if (pcim == nullptr) {
    return sources;
  }
  sources.device = [pcim, fallback = sources.device](
                     const std::string& bdf) -> std::optional<MapDeviceInfo> {
    auto info = fallback ? fallback(bdf) : std::nullopt;
    const pci::Device* d = pcim->find(bdf);
    if (d == nullptr) {
      return info;
    }
    if (!info) {
      info = MapDeviceInfo{d->name, d->driver, std::nullopt, std::nullopt};
    }
    info->numa_node = d->numa_node;
    info->iommu_group = d->iommu_group;
    return info;
  };
  sources.bar = [pcim](const std::string& bdf, std::uint64_t start,
                        std::uint64_t end) -> std::optional<int> {
    const pci::Device* d = pcim->find(bdf);
    return d ? machine::bar_index(*d, start, end) : std::nullopt;
  };
  sources.bus_offset = [pcim](const model::Region& window) {
    return machine::window_offset(*pcim, window);
  };
  return sources;
}

} // namespace memmap::render
