// Checks of PCI devices against RAM and the IOMMU: DMA masks that cannot reach all RAM,
// BARs under reserved regions; and whether the view was complete enough to check at all.
#include "checks_pci_internal.hpp"

#include <memmap/iommu/groups.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <fmt/format.h>

namespace memmap::analyze::detail {

using pci::Bar;
using pci::BarKind;
using pci::Device;

namespace {

// Which side of a BAR a reserved region is compared with. msi and reserved regions are IOVA
// (bus) ranges a device cannot use for DMA: they hide a BAR's bus range from its peers.
// direct and direct-relaxable regions (RMRR, IVMD) are identity maps, IOVA = CPU physical,
// meant for RAM: one that covers a BAR's CPU physical range maps MMIO as if it were memory, a
// firmware fault the kernel's RMRR check warns of ("not in reserved memory").
bool
is_direct(const std::string& type)
{
  return type == "direct" || type == "direct-relaxable";
}

// The range a region of `type` is compared with, or nullopt when that side is unknown (a bus
// address not read from config space is never assumed equal to the CPU address).
std::optional<std::pair<std::uint64_t, std::uint64_t>>
compared_range(const Bar& b, const std::string& type)
{
  const auto lo = is_direct(type) ? b.cpu_address : b.bus_address;
  if (!lo) {
    return std::nullopt;
  }
  return std::make_pair(*lo, *lo + *b.size - 1);
}

} // namespace

void
check_dma_mask(const AuditSources& s, std::vector<Finding>& out)
{
  if (s.iomem->addresses_hidden) {
    return;
  }
  std::uint64_t top = 0;
  s.iomem->walk([&](const model::Region& r, const auto&) {
    if (r.kind == model::RegionKind::system_ram) {
      top = std::max(top, r.end);
    }
  });
  if (top == 0) {
    return;
  }
  for (const auto& d : s.pci->devices) {
    if (!d.dma_mask_bits || d.is_bridge() || d.driver.empty() || *d.dma_mask_bits >= 64) {
      continue;
    }
    const std::uint64_t reach = (std::uint64_t{1} << *d.dma_mask_bits) - 1;
    if (reach >= top) {
      continue;
    }
    // A translating IOMMU domain maps buffers below the mask: no bouncing.
    bool translated = false;
    if (s.iommu) {
      if (auto it = s.iommu->group_of.find(d.bdf); it != s.iommu->group_of.end()) {
        const auto* g = s.iommu->find(it->second);
        translated = g && (g->type == "DMA" || g->type == "DMA-FQ" || g->type == "unmanaged");
      }
    }
    if (translated) {
      continue;
    }
    Finding f;
    f.id = "dma-mask-below-ram";
    f.severity = Severity::warning;
    f.subject.bdf = d.bdf;
    f.message = fmt::format("{} [{}] can address {} bits ({:#x}) but RAM reaches {:#x}: buffers "
                            "above the mask bounce through swiotlb",
                            d.bdf, d.driver, *d.dma_mask_bits, reach, top);
    f.evidence = {fmt::format("{}: dma_mask_bits {}", d.bdf, *d.dma_mask_bits),
                  fmt::format("highest System RAM byte {:#x}", top)};
    f.hint = "Expect copies on every DMA (watch swiotlb:swiotlb_bounced in memmap trace); an "
             "IOMMU in DMA mode avoids them.";
    out.push_back(std::move(f));
  }
}

void
check_reserved_overlap(const AuditSources& s, std::vector<Finding>& out)
{
  // One finding per BAR and reserved range; the groups sharing that range are listed.
  struct Key {
    const Device* dev;
    int bar;
    std::uint64_t start, end;
    std::string type;
    bool operator<(const Key& o) const
    {
      return std::tie(dev, bar, start, end, type) < std::tie(o.dev, o.bar, o.start, o.end, o.type);
    }
  };
  std::map<Key, std::vector<const iommu::Group*>> hits;
  std::map<Key, const iommu::ReservedRegion*> first;
  // Most groups share the same few ranges (the MSI window): test each distinct range against
  // the BARs once, then list its groups.
  std::map<std::tuple<std::uint64_t, std::uint64_t, std::string>,
           std::vector<std::pair<const iommu::Group*, const iommu::ReservedRegion*>>>
    ranges;
  for (const auto& g : s.iommu->groups) {
    for (const auto& rr : g.reserved) {
      if (rr.type == "msi" || rr.type == "reserved" || is_direct(rr.type)) {
        ranges[{rr.start, rr.end, rr.type}].emplace_back(&g, &rr);
      }
    }
  }
  for (const auto& [range, owners] : ranges) {
    const auto& [rs, re, type] = range;
    for (const auto& d : s.pci->devices) {
      for (const auto& b : d.bars) {
        if (!has_range(b) || b.kind == BarKind::io) {
          continue;
        }
        const auto r = compared_range(b, type);
        if (r && r->first <= re && rs <= r->second) {
          Key k{&d, b.index, rs, re, type};
          for (const auto& [g, rr] : owners) {
            hits[k].push_back(g);
          }
          first.emplace(k, owners.front().second);
        }
      }
    }
  }
  for (const auto& [k, groups] : hits) {
    const Bar* b = nullptr;
    for (const auto& x : k.dev->bars) {
      if (x.index == k.bar) {
        b = &x;
      }
    }
    const bool direct = is_direct(k.type);
    auto f = bar_finding("reserved-region-overlap", direct ? Severity::error : Severity::warning,
                         *k.dev, *b);
    f.subject.group = groups.front()->id;
    const auto r = *compared_range(*b, k.type);
    std::string ids;
    for (std::size_t i = 0; i < groups.size(); ++i) {
      ids += (i ? ", " : "") + std::to_string(groups[i]->id);
    }
    f.message = fmt::format("{} of {} ({} {:#x}-{:#x}) overlaps the {} region {:#x}-{:#x} of "
                            "IOMMU group{} {}",
                            bar_name(k.bar), k.dev->bdf, direct ? "CPU physical" : "bus",
                            r.first, r.second, k.type, k.start, k.end,
                            groups.size() == 1 ? "" : "s", ids);
    f.evidence = {bar_evidence(*k.dev, *b),
                  fmt::format("{}/reserved_regions:{}: {:#018x} {:#018x} {}", groups.front()->path,
                              first.at(k)->line, k.start, k.end, k.type)};
    f.hint = direct
               ? "A direct (identity-mapped) region is an RMRR/IVMD the firmware declares for "
                 "RAM a device keeps using; one over MMIO is a firmware fault (the kernel warns "
                 "\"not in reserved memory\"): report it to the vendor. Devices of these groups "
                 "may be refused for passthrough while it stands."
               : "Devices of those groups cannot reach this BAR peer-to-peer: the IOVA range is "
                 "reserved.";
    out.push_back(std::move(f));
  }
}

void
check_view_truncated(const AuditSources& s, std::vector<Finding>& out)
{
  for (const auto* sp : {s.iomem, s.ioports}) {
    if (sp && sp->addresses_hidden) {
      Finding f;
      f.id = "view-truncated";
      f.severity = Severity::warning;
      // A stable subject (the fingerprint must not depend on where the file was read).
      f.subject.region = sp->kind == model::SpaceKind::io_port ? "ioports" : "iomem";
      f.message = fmt::format("{}: every address reads as zero (not root): address checks "
                              "were not possible",
                              sp->source);
      f.evidence = {fmt::format("{}: {} regions, all 0-0", sp->source, sp->line_count)};
      f.hint = "Run memmap as root (the kernel shows addresses only with CAP_SYS_ADMIN).";
      out.push_back(std::move(f));
    }
  }
  if (!s.pci || !s.pci->config_truncated) {
    return;
  }
  int n = 0;
  for (const auto& d : s.pci->devices) {
    n += d.config.contiguous() < 256 ? 1 : 0;
  }
  Finding f;
  f.id = "view-truncated";
  f.severity = Severity::warning;
  f.subject.region = "pci-config";
  f.message = fmt::format("config space of {} function(s) holds only the 64-byte header (a "
                          "non-root sysfs read, or an lspci -x dump): capabilities, ACS and "
                          "Resizable BAR were not checked",
                          n);
  f.evidence = {fmt::format("{}: {} functions", s.pci->source, s.pci->devices.size())};
  f.hint = "Run memmap as root, or give it an lspci -xxxx dump.";
  out.push_back(std::move(f));
}

} // namespace memmap::analyze::detail
