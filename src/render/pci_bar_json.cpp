// `memmap bar --json`: the documented per-function contract.
#include "pci_internal.hpp"

#include <fmt/format.h>

#include <memmap/render/json.hpp>

namespace memmap::render {

using json = nlohmann::ordered_json;
using pci::Bar;
using pci::BarKind;
using pci::Device;
using pci::PciModel;
using namespace pci_detail;

namespace {

json
hex_or_null(const std::optional<std::uint64_t>& v)
{
  return render::hex_or_null(v, 0);  // "0x..." without padding
}

json
num_or_null(const std::optional<std::uint64_t>& v)
{
  return v ? json(*v) : json(nullptr);
}

json
bar_json(const Bar& b)
{
  json j;
  j["index"] = b.index;
  j["kind"] = pci::to_string(b.kind);
  j["bits"] = b.bits;
  j["prefetchable"] = b.prefetchable;
  j["bus_address"] = hex_or_null(b.bus_address);
  j["cpu_address"] = hex_or_null(b.cpu_address);
  j["size"] = num_or_null(b.size);
  j["decode_enabled"] = b.decode_enabled ? json(*b.decode_enabled) : json(nullptr);
  // Extras.
  const auto st = b.state();
  j["state"] = st.empty() ? json(nullptr) : json(st);
  if (auto off = b.translation_offset()) {
    j["translation_offset"] = *off;
  }
  if (auto al = b.naturally_aligned()) {
    j["naturally_aligned"] = *al;
  }
  if (b.inside_parent_window) {
    j["inside_parent_window"] = *b.inside_parent_window;
  }
  if (b.register_address) {
    j["register_address"] = hex0x(*b.register_address);
  }
  if (b.from_pf) {
    j["from_pf"] = true;
  }
  if (b.from_text) {
    j["source"] = "lspci-text";
  }
  return j;
}

json
placement_json(const std::optional<pci::Placement>& p, const char* space)
{
  if (!p) {
    return nullptr;
  }
  json j;
  j["space"] = space;
  j["path"] = p->path();
  j["claimed_by"] = p->claimed_by.empty() ? json(nullptr) : json(p->claimed_by);
  j["exact"] = p->exact;
  j["by_bus_address"] = p->by_bus_address;
  return j;
}

json
caps_json(const pci::CapabilityList& list, bool extended, const Device& d)
{
  json arr = json::array();
  for (const auto& c : list.entries) {
    json j;
    const std::string id = extended ? fmt::format("{:#06x}", c.id) : fmt::format("{:#04x}", c.id);
    j["id"] = c.id_known ? json(id) : json(nullptr);
    j["offset"] = fmt::format("{:#x}", c.offset);
    j["name"] = c.id_known ? pci::capability_name(c.id, extended) : text_cap_words(cap_text(c, d));
    if (extended) {
      j["version"] = c.version_known ? json(c.version) : json(nullptr);
    }
    if (c.from_text) {
      j["source"] = "lspci-text";
      j["text"] = cap_text(c, d);
    }
    arr.push_back(std::move(j));
  }
  return arr;
}

} // namespace

json
device_to_json(const Device& d, const BarRenderContext& ctx)
{
  (void)ctx;
  json j;
  j["bdf"] = d.bdf;
  j["vendor_id"] = hex_or_null(d.vendor_id, 4);
  j["device_id"] = hex_or_null(d.device_id, 4);
  j["class"] = hex_or_null(d.class_code, 6);
  if (d.ids_from_text) {
    j["id_source"] = "lspci-text";
  }
  j["header_type"] = d.header_type ? json(*d.header_type) : json(nullptr);
  json bars = json::array();
  for (const auto& b : d.bars) {
    json bj = bar_json(b);
    bj["placement"] = placement_json(b.placement, b.kind == BarKind::io ? "ioports" : "iomem");
    bars.push_back(std::move(bj));
  }
  j["bars"] = std::move(bars);
  if (d.rom) {
    json r;
    r["bus_address"] = hex_or_null(d.rom->bus_address);
    r["cpu_address"] = hex_or_null(d.rom->cpu_address);
    r["size"] = num_or_null(d.rom->size);
    // The register unread: enable bit and "virtual" (register 0, sysfs an address) unknown.
    r["enabled"] = d.rom->raw || d.rom->is_virtual ? json(d.rom->enabled) : json(nullptr);
    r["virtual"] = d.rom->raw ? json(d.rom->is_virtual) : json(nullptr);
    if (d.rom->register_address) {
      r["register_address"] = hex0x(*d.rom->register_address);
    }
    if (d.rom->from_text) {
      r["source"] = "lspci-text";
    }
    r["placement"] = placement_json(d.rom->placement, "iomem");
    j["rom"] = std::move(r);
  } else {
    j["rom"] = nullptr;
  }
  json wins = json::array();
  for (const auto& w : d.windows) {
    if (!w.enabled && w.kernel != pci::KernelWindow::unset && !(w.kernel != pci::KernelWindow::unknown
                                                                && w.registers_enabled)) {
      continue;  // disabled, and nothing disagrees
    }
    json wj;
    wj["kind"] = pci::to_string(w.kind);
    wj["bits"] = w.bits ? json(w.bits) : json(nullptr);
    const bool known = w.enabled && !w.upper_unknown;
    wj["start"] = known || (w.enabled && w.cpu_start) ? json(hex0x(w.start())) : json(nullptr);
    wj["end"] = known || (w.enabled && w.cpu_end) ? json(hex0x(w.end())) : json(nullptr);
    const bool bus_known = known && w.registers_read && w.registers_enabled;
    wj["bus_start"] = bus_known ? json(hex0x(w.bus_start)) : json(nullptr);
    wj["bus_end"] = bus_known ? json(hex0x(w.bus_end)) : json(nullptr);
    // Extras: the kernel's word and the registers'.
    wj["state"] = w.enabled                                ? "enabled"
                  : w.kernel == pci::KernelWindow::unset    ? "unassigned"
                  : w.kernel == pci::KernelWindow::disabled ? "disabled"
                                                            : "absent";
    wj["source"] = w.kernel == pci::KernelWindow::unknown ? "registers" : "kernel";
    wj["certain"] = !w.uncertain();
    wj["size"] = w.enabled && (known || w.cpu_start) ? json(w.end() - w.start() + 1) : num_or_null(w.kernel_size);
    const bool regs = w.registers_read && !w.upper_unknown && w.registers_enabled;
    wj["register_start"] = regs ? json(hex0x(w.bus_start)) : json(nullptr);
    wj["register_end"] = regs ? json(hex0x(w.bus_end)) : json(nullptr);
    wins.push_back(std::move(wj));
  }
  j["bridge_windows"] = std::move(wins);
  // null: the list was never read (an empty array is a fact: the function has none).
  const bool ext_known = d.extended_capabilities_known();
  j["capabilities"] = d.capabilities_known() ? caps_json(d.capabilities, false, d) : json(nullptr);
  j["extended_capabilities"] = ext_known ? caps_json(d.extended_capabilities, true, d) : json(nullptr);
  json rebar = json::array();
  for (const auto& rb : d.rebars) {
    if (rb.vf) {
      continue;
    }
    for (const auto& e : rb.entries) {
      json ej;
      ej["bar"] = e.bar;
      ej["supported_sizes"] = e.supported_sizes;
      ej["current_size"] = num_or_null(e.current_size);
      rebar.push_back(std::move(ej));
    }
  }
  j["resizable_bar"] = ext_known || !rebar.empty() ? std::move(rebar) : json(nullptr);
  if (d.sriov) {
    json s;
    s["total_vfs"] = d.sriov->total_vfs;
    s["num_vfs"] = d.sriov->num_vfs;
    json vfb = json::array();
    for (std::size_t i = 0; i < d.sriov->vf_bars.size(); ++i) {
      const auto& b = d.sriov->vf_bars[i];
      json bj;
      bj["index"] = b.index;
      bj["kind"] = pci::to_string(b.kind);
      bj["bits"] = b.bits;
      bj["prefetchable"] = b.prefetchable;
      bj["bus_address"] = hex_or_null(b.bus_address);
      bj["size"] = num_or_null(b.size);
      bj["cpu_address"] = hex_or_null(b.cpu_address);
      bj["aperture"] = num_or_null(d.sriov->vf_apertures[i]);
      if (auto off = b.translation_offset()) {
        bj["translation_offset"] = *off;
      }
      if (b.register_address) {
        bj["register_address"] = hex0x(*b.register_address);
      }
      vfb.push_back(std::move(bj));
    }
    s["vf_bars"] = std::move(vfb);
    s["initial_vfs"] = d.sriov->initial_vfs;
    s["vf_offset"] = d.sriov->first_vf_offset;
    s["vf_stride"] = d.sriov->vf_stride;
    s["vf_device_id"] = fmt::format("{:#06x}", d.sriov->vf_device_id);
    s["vf_enable"] = d.sriov->vf_enable;
    j["sriov"] = std::move(s);
  } else {
    j["sriov"] = nullptr;
  }

  // Extras.
  j["name"] = d.name.empty() ? json(nullptr) : json(d.name);
  j["class_name"] = d.class_name.empty() ? json(nullptr) : json(d.class_name);
  j["driver"] = d.driver.empty() ? json(nullptr) : json(d.driver);
  j["driver_known"] = d.driver_known;
  j["numa_node"] = d.numa_node ? json(*d.numa_node) : json(nullptr);
  j["iommu_group"] = d.iommu_group ? json(*d.iommu_group) : json(nullptr);
  j["dma_mask_bits"] = d.dma_mask_bits ? json(*d.dma_mask_bits) : json(nullptr);
  j["consistent_dma_mask_bits"] = d.consistent_dma_mask_bits ? json(*d.consistent_dma_mask_bits) : json(nullptr);
  j["power_state"] = d.power_state.empty() ? json(nullptr) : json(d.power_state);
  j["config_bytes"] = d.config.size();
  j["asleep"] = d.asleep;
  // Nothing of the header read: whether it reads all ones is unknown too.
  j["absent"] = d.absent || !d.config.empty() ? json(d.absent) : json(nullptr);
  j["physfn"] = d.physfn.empty() ? json(nullptr) : json(d.physfn);
  j["physfn_from"] = d.physfn_from == Device::PhysfnFrom::link            ? json("link")
                     : d.physfn_from == Device::PhysfnFrom::pf_capability ? json("pf-sriov-capability")
                                                                          : json(nullptr);
  j["vf_index"] = d.vf_index >= 0 ? json(d.vf_index) : json(nullptr);
  j["ids_from_pf"] = d.ids_from_pf;
  j["multifunction"] = d.header_type ? json(d.multifunction) : json(nullptr);
  j["parent"] = d.parent_bdf.empty() ? json(nullptr) : json(d.parent_bdf);
  j["pcie_port_type"] = d.pcie ? json(pci::pcie_port_type_name(d.pcie->port_type)) : json(nullptr);
  if (d.acs) {
    j["acs"] = json{{"capability", fmt::format("{:#06x}", d.acs->capability)},
                    {"control", d.acs->control ? json(fmt::format("{:#06x}", *d.acs->control)) : json(nullptr)}};
  } else {
    j["acs"] = nullptr;
  }
  if (d.msix) {
    j["msix"] = json{{"vectors", d.msix->table_size},
                     {"table_bar", d.msix->table_bar},
                     {"table_offset", hex0x(d.msix->table_offset)},
                     {"pba_bar", d.msix->pba_bar},
                     {"pba_offset", hex0x(d.msix->pba_offset)},
                     {"enabled", d.msix->enabled}};
  } else {
    j["msix"] = nullptr;
  }
  if (d.rom && d.rom->raw) {
    // nothing more: raw registers are not part of the contract
  }
  json problems = json::array();
  for (const auto& p : d.problems) {
    problems.push_back(diagnostic_to_json(p));
  }
  j["problems"] = std::move(problems);
  j["kernel_log"] = history_json(d, ctx);
  return j;
}

json
bar_to_json(const PciModel& model, const std::vector<const Device*>& devices, const BarRenderContext& ctx)
{
  json root = json_document();
  json arr = json::array();
  for (const auto* d : devices) {
    arr.push_back(device_to_json(*d, ctx));
  }
  root["devices"] = std::move(arr);
  root["source"] = model.source;
  json problems = json::array();
  for (const auto& p : model.problems) {
    problems.push_back(diagnostic_to_json(p));
  }
  root["problems"] = std::move(problems);
  return root;
}

} // namespace memmap::render
