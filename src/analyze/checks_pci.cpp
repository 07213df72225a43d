// Checks on PCI devices: BAR placement and overlap, windows, Resizable BAR, ROMs; and the
// registry of every PCI check (add_pci_checks). DMA reach, reserved regions and the view's
// completeness are in checks_pci_dma.cpp.
#include <memmap/analyze/audit.hpp>

#include "checks_pci_internal.hpp"

#include "overlap_runs.hpp"

#include <memmap/pci/device.hpp>

#include <algorithm>
#include <set>
#include <fmt/format.h>

namespace memmap::analyze {

using pci::Bar;
using pci::BarKind;
using pci::Device;

namespace detail {

namespace {

std::string
range_text(std::uint64_t start, std::uint64_t size)
{
  return fmt::format("{:#x}-{:#x}", start, start + size - 1);
}

} // namespace

std::string
bar_name(int index)
{
  return index == 6 ? "ROM" : fmt::format("BAR{}", index);
}

std::optional<std::uint64_t>
bar_addr(const Bar& b)
{
  return b.cpu_address ? b.cpu_address : b.bus_address;
}

bool
has_range(const Bar& b)
{
  return bar_addr(b) && b.size && *b.size > 0 && !b.unassigned && !b.ignored;
}

Finding
bar_finding(const char* id, Severity sev, const Device& d, const Bar& b)
{
  Finding f;
  f.id = id;
  f.severity = sev;
  f.subject.bdf = d.bdf;
  f.subject.bar = b.index;
  if (auto a = bar_addr(b); a && b.size) {
    f.subject.start = *a;
    f.subject.end = *a + *b.size - 1;
  }
  return f;
}

std::string
bar_evidence(const Device& d, const Bar& b)
{
  std::string s = fmt::format("{} {} {}{}{}", d.bdf, bar_name(b.index),
                              b.kind == BarKind::io ? "io" : fmt::format("mem{}", b.bits),
                              b.prefetchable ? " pref" : "", "");
  if (auto a = bar_addr(b); a && b.size) {
    s += " " + range_text(*a, *b.size);
  }
  if (b.size) {
    s += fmt::format(" size {:#x}", *b.size);
  }
  if (b.resource_flags) {
    s += fmt::format(" (resource flags {:#x})", *b.resource_flags);
  }
  return s;
}

} // namespace detail

using namespace detail;

namespace {

constexpr std::uint64_t k_4g = std::uint64_t{1} << 32;

void
check_unassigned(const AuditSources& s, std::vector<Finding>& out)
{
  for (const auto& d : s.pci->devices) {
    for (const auto& b : d.bars) {
      if (b.size && *b.size > 0 && (b.unassigned || !bar_addr(b))) {
        auto f = bar_finding("bar-unassigned", Severity::warning, d, b);
        f.message = fmt::format("{} of {} needs {:#x} bytes but has no address", bar_name(b.index),
                                d.bdf, *b.size);
        f.evidence = {bar_evidence(d, b)};
        f.hint = "The kernel could not fit it: check dmesg for 'BAR ... no space', enable "
                 "'Above 4G decoding' in firmware, or boot with pci=realloc.";
        out.push_back(std::move(f));
      }
    }
  }
}

void
check_outside_window(const AuditSources& s, std::vector<Finding>& out)
{
  for (const auto& d : s.pci->devices) {
    for (const auto& b : d.bars) {
      if (b.inside_parent_window && !*b.inside_parent_window && has_range(b)) {
        auto f = bar_finding("bar-outside-window", Severity::error, d, b);
        f.message = fmt::format("{} of {} lies outside every window of its upstream bridge {}",
                                bar_name(b.index), d.bdf, d.parent_bdf);
        f.evidence = {bar_evidence(d, b)};
        if (const auto* p = s.pci->find(d.parent_bdf)) {
          for (const auto& w : p->windows) {
            // Only windows the bridge forwards (the kernel's row, where there is one); an
            // unassigned one is named without an address: the register's is stale.
            if (w.enabled && !(w.upper_unknown && !w.cpu_start)) {
              f.evidence.push_back(fmt::format("{} window {} {:#x}-{:#x}", p->bdf,
                                               pci::to_string(w.kind), w.start(), w.end()));
            } else if (w.kernel == pci::KernelWindow::unset) {
              f.evidence.push_back(fmt::format("{} window {} unassigned (size {:#x})", p->bdf,
                                               pci::to_string(w.kind), w.kernel_size.value_or(0)));
            }
          }
        }
        f.hint = "The device cannot be reached at this address: the bridge does not forward "
                 "it. Firmware or a hotplug left it there; pci=realloc lets the kernel fix it.";
        out.push_back(std::move(f));
      }
    }
  }
}

struct Span {
  std::uint64_t start;
  std::uint64_t end;
  const Device* dev;
  int index;  // BAR index; 6 = ROM
  bool io;
};

std::vector<Span>
device_spans(const pci::PciModel& m, bool with_roms)
{
  std::vector<Span> v;
  for (const auto& d : m.devices) {
    for (const auto& b : d.bars) {
      if (has_range(b) && b.cpu_address) {
        v.push_back({*b.cpu_address, *b.cpu_address + *b.size - 1, &d, b.index,
                     b.kind == BarKind::io});
      }
    }
    if (with_roms && d.rom && d.rom->cpu_address && d.rom->size && *d.rom->size > 0) {
      v.push_back({*d.rom->cpu_address, *d.rom->cpu_address + *d.rom->size - 1, &d, 6, false});
    }
  }
  std::sort(v.begin(), v.end(), [](const Span& a, const Span& b) {
    return a.io != b.io ? a.io < b.io : a.start < b.start;
  });
  return v;
}

// The overlap runs of `spans` (one sweep, detail::overlap_runs) that hold more than one
// device: `report(first, count, devices)`.
template <typename Fn>
void
device_overlaps(const std::vector<Span>& spans, Fn&& report)
{
  detail::overlap_runs(
    spans, [](const Span& x) { return x.start; }, [](const Span& x) { return x.end; },
    [](const Span& a, const Span& b) { return a.io == b.io; },
    [&](std::size_t first, std::size_t count) {
      std::set<const Device*> devs;
      for (std::size_t i = first; i < first + count; ++i) {
        devs.insert(spans[i].dev);
      }
      if (devs.size() >= 2) {
        report(first, count, devs.size());
      }
    });
}

std::string
span_text(const Span& x)
{
  return fmt::format("{} {} {:#x}-{:#x}", x.dev->bdf, bar_name(x.index), x.start, x.end);
}

// One finding per stretch of addresses that BARs of two or more devices decode, listing
// every member (k members: one finding, not k(k-1)/2).
void
check_overlap(const AuditSources& s, std::vector<Finding>& out)
{
  const auto spans = device_spans(*s.pci, false);
  device_overlaps(spans, [&](std::size_t first, std::size_t count, std::size_t ndev) {
    const Span& a = spans[first];
    const Span& b = spans[first + 1];
    std::uint64_t last = 0;
    Finding f;
    f.id = "bar-overlap";
    f.severity = Severity::error;
    // Keyed by the second member (the first one overlapped), as a pair was before.
    f.subject.bdf = b.dev->bdf;
    f.subject.bar = b.index;
    for (std::size_t i = first; i < first + count; ++i) {
      f.evidence.push_back(span_text(spans[i]));
      last = std::max(last, spans[i].end);
    }
    f.subject.start = b.start;
    f.subject.end = std::min(a.end, b.end);
    f.message = count == 2
                  ? fmt::format("{} of {} overlaps {} of {}", bar_name(b.index), b.dev->bdf,
                                bar_name(a.index), a.dev->bdf)
                  : fmt::format("{} BARs of {} devices decode overlapping addresses in "
                                "{:#x}-{:#x}",
                                count, ndev, a.start, last);
    f.hint = "Two devices decode the same addresses: accesses go to either. Usually firmware "
             "placement after a hotplug or resize; pci=realloc or a firmware update.";
    out.push_back(std::move(f));
  });
}

// One finding per ROM that lies in a stretch of addresses other devices' BARs or ROMs decode.
void
check_rom_overlap(const AuditSources& s, std::vector<Finding>& out)
{
  const auto spans = device_spans(*s.pci, true);
  device_overlaps(spans, [&](std::size_t first, std::size_t count, std::size_t) {
    for (std::size_t r = first; r < first + count; ++r) {
      const Span& rom = spans[r];
      if (rom.index != 6) {
        continue;  // BAR vs BAR is bar-overlap
      }
      std::vector<const Span*> others;
      for (std::size_t i = first; i < first + count; ++i) {
        if (spans[i].dev != rom.dev && spans[i].start <= rom.end && rom.start <= spans[i].end) {
          others.push_back(&spans[i]);
        }
      }
      if (others.empty()) {
        continue;
      }
      const bool enabled = rom.dev->rom && rom.dev->rom->enabled;
      Finding f;
      f.id = "rom-overlap";
      f.severity = enabled ? Severity::error : Severity::warning;
      f.subject.bdf = rom.dev->bdf;
      f.subject.bar = 6;
      f.subject.start = std::max(rom.start, others.front()->start);
      f.subject.end = std::min(rom.end, others.front()->end);
      f.message =
        others.size() == 1
          ? fmt::format("the {} expansion ROM of {} overlaps {} of {}",
                        enabled ? "enabled" : "disabled", rom.dev->bdf,
                        bar_name(others.front()->index), others.front()->dev->bdf)
          : fmt::format("the {} expansion ROM of {} overlaps {} BARs or ROMs of other devices",
                        enabled ? "enabled" : "disabled", rom.dev->bdf, others.size());
      f.evidence = {fmt::format("{} ROM {:#x}-{:#x}", rom.dev->bdf, rom.start, rom.end)};
      for (const auto* o : others) {
        f.evidence.push_back(span_text(*o));
      }
      f.hint = enabled ? "An enabled ROM decodes these addresses too: disable it or move it."
                       : "Harmless while the ROM stays disabled; reading it (e.g. a VM's "
                         "romfile) would enable it over the other device.";
      out.push_back(std::move(f));
    }
  });
}

void
check_not_claimed(const AuditSources& s, std::vector<Finding>& out)
{
  if (s.iomem->addresses_hidden) {
    return;
  }
  for (const auto& d : s.pci->devices) {
    for (const auto& b : d.bars) {
      // Decode on or off (or unknown) alike: the kernel claims a BAR it assigned whether or
      // not a driver enabled decoding, so an assigned BAR no line claims is a failed claim.
      if (!has_range(b) || !b.cpu_address || b.is_virtual) {
        continue;
      }
      if (b.kind == BarKind::io && !s.ioports) {
        continue;
      }
      if (b.placement && b.placement->exact) {
        continue;
      }
      auto f = bar_finding("bar-not-claimed", Severity::warning, d, b);
      f.message = fmt::format("{} of {} has an address no {} line claims", bar_name(b.index), d.bdf,
                              b.kind == BarKind::io ? "/proc/ioports" : "/proc/iomem");
      f.evidence = {bar_evidence(d, b)};
      if (b.placement) {
        f.evidence.push_back("deepest region containing it: " + b.placement->path_text());
      }
      f.hint = "The kernel failed to claim the BAR (dmesg: 'can't claim BAR ... address "
               "conflict'): its driver cannot request it.";
      out.push_back(std::move(f));
    }
  }
}

void
check_overlaps_ram(const AuditSources& s, std::vector<Finding>& out)
{
  if (s.iomem->addresses_hidden) {
    return;
  }
  std::vector<const model::Region*> ram;
  s.iomem->walk([&](const model::Region& r, const auto&) {
    if (r.kind == model::RegionKind::system_ram) {
      ram.push_back(&r);
    }
  });
  std::sort(ram.begin(), ram.end(),
            [](const model::Region* a, const model::Region* b) { return a->start < b->start; });
  for (const auto& d : s.pci->devices) {
    for (const auto& b : d.bars) {
      if (!has_range(b) || !b.cpu_address || b.kind == BarKind::io) {
        continue;
      }
      const std::uint64_t lo = *b.cpu_address;
      const std::uint64_t hi = lo + *b.size - 1;
      // First RAM range ending at or after lo.
      auto it = std::lower_bound(ram.begin(), ram.end(), lo,
                                 [](const model::Region* r, std::uint64_t v) { return r->end < v; });
      for (; it != ram.end() && (*it)->start <= hi; ++it) {
        auto f = bar_finding("bar-overlaps-ram", Severity::error, d, b);
        f.message = fmt::format("{} of {} overlaps System RAM {:#x}-{:#x}", bar_name(b.index),
                                d.bdf, (*it)->start, (*it)->end);
        f.evidence = {bar_evidence(d, b),
                      fmt::format("{}:{}: {:x}-{:x} : {}", s.iomem->source, (*it)->line,
                                  (*it)->start, (*it)->end, (*it)->name)};
        f.hint = "Memory and MMIO at the same address: firmware's memory map or the BAR is "
                 "wrong. Do not use the device until this is fixed.";
        out.push_back(std::move(f));
      }
    }
  }
}

void
check_misaligned(const AuditSources& s, std::vector<Finding>& out)
{
  for (const auto& d : s.pci->devices) {
    for (const auto& b : d.bars) {
      if (has_range(b) && b.naturally_aligned() == false) {
        auto f = bar_finding("bar-misaligned", Severity::error, d, b);
        f.message = fmt::format("{} of {} at {:#x} is not aligned to its size {:#x}",
                                bar_name(b.index), d.bdf, *bar_addr(b), *b.size);
        f.evidence = {bar_evidence(d, b)};
        f.hint = "BARs are naturally aligned by the PCI spec: this address cannot have come "
                 "from the device's decoder; the capture or the register is damaged.";
        out.push_back(std::move(f));
      }
    }
  }
}

void
check_below_4g(const AuditSources& s, std::vector<Finding>& out)
{
  for (const auto& d : s.pci->devices) {
    for (const auto& b : d.bars) {
      if (has_range(b) && b.kind == BarKind::mem && b.bits == 64 && b.prefetchable
          && *b.size >= (std::uint64_t{256} << 20) && *bar_addr(b) + *b.size - 1 < k_4g) {
        auto f = bar_finding("bar-below-4g", Severity::warning, d, b);
        f.message = fmt::format("64-bit prefetchable {} of {} ({} MiB) is placed below 4 GiB",
                                bar_name(b.index), d.bdf, *b.size >> 20);
        f.evidence = {bar_evidence(d, b)};
        f.hint = "It uses scarce 32-bit MMIO space and limits Resizable BAR: enable 'Above 4G "
                 "decoding' in firmware.";
        out.push_back(std::move(f));
      }
    }
  }
}

void
check_rebar_not_max(const AuditSources& s, std::vector<Finding>& out)
{
  for (const auto& d : s.pci->devices) {
    for (const auto& rb : d.rebars) {
      if (rb.vf) {
        continue;
      }
      for (const auto& e : rb.entries) {
        if (e.supported_sizes.empty() || !e.current_size) {
          continue;
        }
        const auto max = e.supported_sizes.back();
        if (*e.current_size < max) {
          Finding f;
          f.id = "rebar-not-max";
          f.severity = Severity::info;
          f.subject.bdf = d.bdf;
          f.subject.bar = e.bar;
          f.message = fmt::format("Resizable BAR{} of {} is {} MiB; the device supports up to {} MiB",
                                  e.bar, d.bdf, *e.current_size >> 20, max >> 20);
          f.evidence = {fmt::format("{} ReBAR cap at {:#x}: BAR{} current {:#x}, largest {:#x}",
                                    d.bdf, rb.offset, e.bar, *e.current_size, max)};
          f.hint = "Enable Resizable BAR (and Above 4G decoding) in firmware, or resize it "
                   "through resourceN_resize with no driver bound.";
          out.push_back(std::move(f));
        }
      }
    }
  }
}

void
check_window_unassigned(const AuditSources& s, std::vector<Finding>& out)
{
  for (const auto& d : s.pci->devices) {
    if (!d.is_bridge() || d.is_cardbus() || !d.resource || !d.resource->bridge) {
      continue;
    }
    static constexpr const char* k_kinds[] = {"io", "mem", "prefetchable"};
    for (int i = 0; i < 3; ++i) {
      const auto* row = d.resource->bridge_window(i);
      if (row && row->size() > 0 && (row->flags & pci::k_res_unset)) {
        Finding f;
        f.id = "window-unassigned";
        f.severity = Severity::warning;
        f.subject.bdf = d.bdf;
        f.message = fmt::format("the {} window of bridge {} needs {:#x} bytes but has no address",
                                k_kinds[i], d.bdf, row->size());
        f.evidence = {fmt::format("{} resource row: {:#018x} {:#018x} {:#018x}", d.bdf, row->start,
                                  row->end, row->flags)};
        f.hint = "Devices behind this bridge cannot get addresses of this kind: firmware left no "
                 "room; try pci=realloc or pci=hpmemsize=.";
        out.push_back(std::move(f));
      }
    }
  }
}

} // namespace

void
add_pci_checks(std::vector<Check>& out)
{
  out.push_back({"bar-unassigned", Severity::warning, Needs::pci,
                 "A BAR has a size but no address", check_unassigned});
  out.push_back({"bar-outside-window", Severity::error, Needs::pci,
                 "A BAR lies outside every window of its upstream bridge", check_outside_window});
  out.push_back({"bar-overlap", Severity::error, Needs::pci,
                 "BARs of two devices overlap (VF BARs inside their PF's aperture are normal)",
                 check_overlap});
  out.push_back({"bar-not-claimed", Severity::warning, Needs::pci_and_iomem,
                 "An assigned BAR (decoding or not) whose address no /proc/iomem (or ioports) "
                 "line claims",
                 check_not_claimed});
  out.push_back({"bar-overlaps-ram", Severity::error, Needs::pci_and_iomem,
                 "A memory BAR overlaps System RAM (at any depth of /proc/iomem)",
                 check_overlaps_ram});
  out.push_back({"bar-misaligned", Severity::error, Needs::pci,
                 "A BAR address is not a multiple of its size", check_misaligned});
  out.push_back({"bar-below-4g", Severity::warning, Needs::pci,
                 "A 64-bit prefetchable BAR of 256 MiB or more placed below 4 GiB",
                 check_below_4g});
  out.push_back({"rebar-not-max", Severity::info, Needs::pci,
                 "A Resizable BAR is below its largest supported size", check_rebar_not_max});
  out.push_back({"rom-overlap", Severity::warning, Needs::pci,
                 "An expansion ROM overlaps another device's BAR or ROM (error when enabled)",
                 check_rom_overlap});
  out.push_back({"window-unassigned", Severity::warning, Needs::pci,
                 "A bridge window has a size but no address", check_window_unassigned});
  out.push_back({"dma-mask-below-ram", Severity::warning, Needs::pci_and_iomem,
                 "A driver's DMA mask cannot reach all RAM and no translating IOMMU covers it",
                 check_dma_mask});
  out.push_back({"reserved-region-overlap", Severity::warning, Needs::pci_and_iommu,
                 "A BAR's bus range overlaps an IOMMU group's msi/reserved region, or its CPU "
                 "physical range a direct (identity-mapped RMRR/IVMD) region: an error",
                 check_reserved_overlap});
  out.push_back({"view-truncated", Severity::warning, Needs::any,
                 "The view is incomplete: addresses hidden from non-root readers, or config "
                 "space cut to 64 bytes",
                 check_view_truncated});
}

} // namespace memmap::analyze
