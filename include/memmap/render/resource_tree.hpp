// Renderers for a resource tree (iomem, ioports): indented text, flat paths, JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <memmap/model/address_space.hpp>
#include <memmap/render/fields.hpp>
#include <memmap/render/format.hpp>

namespace memmap::render {

struct TreeOptions {
  int max_depth = 0;        // 0: no limit; 1: top level only
  bool flat = false;        // one line per region with its full path
  std::string filter;       // keep regions whose name (or an ancestor's) matches
  Columns columns;          // -o: a table of these columns (resource_table()) instead
};

// The columns of an iomem/ioports row (a region), in resource_table()'s order.
enum class ResourceCol { start, end, range, size, name, kind, line, bdf, device, driver, bar };
const Table& resource_table();

// A BAR, ROM or SR-IOV VF aperture of a device: a device line of /proc/iomem or
// /proc/ioports with exactly this range is annotated with `label`.
struct BarSpan {
  std::uint64_t start = 0;
  std::uint64_t end = 0;   // inclusive
  std::string label;       // "BAR1 mem64 pref", "BAR5 io", "ROM", "VF BAR0 mem64"
  int index = -1;          // BAR 0-5; 6 for the ROM; VF BARs 0-5 with vf = true
  std::string kind;        // "mem", "io" or "rom"
  int bits = 0;            // 32/64 (0 for the ROM)
  bool prefetchable = false;
  bool vf = false;
};

// What sysfs/pci.ids know about a PCI device named in the tree.
struct DeviceLabel {
  std::string name;    // "NVIDIA Corporation GP107GL [Quadro P1000]"
  std::string driver;  // "nvidia", empty when unbound
  std::vector<BarSpan> bars;  // from the PCI model; empty: lines are not annotated
};
using DeviceLookup = std::function<std::optional<DeviceLabel>(const std::string& bdf)>;

// Indented text, one region a line, as the kernel nests it, followed by the warnings.
void render_tree_text(const model::AddressSpace& space, const TreeOptions& opts,
                      const DeviceLookup& lookup, const Style& style, std::ostream& out);

// The JSON contract: {"space":..., "regions":[...], "warnings":[...]}.
nlohmann::ordered_json tree_to_json(const model::AddressSpace& space, const TreeOptions& opts,
                                    const DeviceLookup& lookup);

// JSON for one diagnostic: {"id","severity","file","line","message"}.
nlohmann::ordered_json diagnostic_to_json(const model::Diagnostic& d);

// "iomem" or "ioports" for a resource space.
const char* space_json_name(model::SpaceKind kind);

// The colour used for a region of this kind.
Color kind_color(model::RegionKind kind);

} // namespace memmap::render
