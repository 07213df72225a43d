// Renderers for the PCI model: `memmap bar` blocks, the `memmap tree` hierarchy, and their
// JSON contracts. They write to a passed stream and never read files.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <memmap/pci/device.hpp>
#include <memmap/pci/kernel_log.hpp>
#include <memmap/render/fields.hpp>
#include <memmap/render/format.hpp>
#include <memmap/render/resource_tree.hpp>

namespace memmap::render {

struct BarRenderContext {
  std::optional<std::uint64_t> highest_ram;  // the last System RAM byte in /proc/iomem
  bool iomem_known = false;                  // a /proc/iomem was cross-referenced
  bool ioports_known = false;
  const pci::KernelLogEvents* klog = nullptr;  // the kernel log, when read: bar's history
  std::string klog_display;                    // where it came from
  bool klog_records = false;                   // /dev/kmsg records: numbers count messages
};

// One block per device, in model order.
void render_bar_text(const pci::PciModel& model, const std::vector<const pci::Device*>& devices,
                     const BarRenderContext& ctx, const Style& style, std::ostream& out);

// {"devices":[...]} following the documented contract.
nlohmann::ordered_json bar_to_json(const pci::PciModel& model,
                                   const std::vector<const pci::Device*>& devices,
                                   const BarRenderContext& ctx);
nlohmann::ordered_json device_to_json(const pci::Device& dev, const BarRenderContext& ctx);

// memmap bar -o: one row per BAR of `devices`, the columns of bar_table() (in BarCol order).
enum class BarCol {
  bdf, device, driver, bar, kind, bits, prefetchable, start, end, range, size, bus, offset,
  decode, state, aligned, inside, where, notes
};
const Table& bar_table();
void render_bar_table(const std::vector<const pci::Device*>& devices, const BarRenderContext& ctx,
                      const Columns& cols, std::ostream& out);

// The hierarchy: root buses, bridges with their windows, devices with their BARs.
void render_tree_text(const pci::PciModel& model, const Style& style, std::ostream& out);
nlohmann::ordered_json tree_to_json(const pci::PciModel& model);

// Short labels for an iomem annotation: "BAR1 mem64 pref", "ROM", "VF BAR0 mem64".
std::vector<BarSpan> bar_spans(const pci::Device& dev);

} // namespace memmap::render
