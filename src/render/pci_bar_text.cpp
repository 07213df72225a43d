// `memmap bar` text: one block per function.
#include "pci_internal.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <memmap/pci/registers.hpp>

namespace memmap::render {

using pci::Device;
using pci::PciModel;
using namespace pci_detail;

namespace {

// Wrap "[off] name" items into lines of at most `width` characters.
void
write_wrapped(std::ostream& out, const std::string& head, const std::vector<std::string>& items,
              std::size_t width = 100)
{
  const std::string indent(head.size(), ' ');
  std::string line = head;
  bool first = true;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string item = items[i] + (i + 1 < items.size() ? "," : "");
    if (!first && line.size() + 1 + item.size() > width) {
      out << line << '\n';
      line = indent;
      first = true;
    }
    line += (first ? "" : " ") + item;
    first = false;
  }
  out << line << '\n';
}

std::string
cap_item(const pci::Capability& c, const Device& d)
{
  if (c.from_text) {
    const std::string& words = cap_text(c, d);
    std::string name = c.id_known ? pci::capability_name(c.id, c.extended) : text_cap_words(words);
    if (c.id_known && !c.extended && c.id == pci::k_cap_exp && words.rfind("Express ", 0) == 0) {
      // "Express (v2) Legacy Endpoint, MSI 00" -> "PCI Express v2 Legacy Endpoint"
      std::string rest = words.substr(8, words.find(',') == std::string::npos ? std::string::npos : words.find(',') - 8);
      if (rest.rfind("(v", 0) == 0 && rest.find(") ") != std::string::npos) {
        rest = rest.substr(1, rest.find(')') - 1) + rest.substr(rest.find(')') + 1);
      }
      name += " " + rest;
    }
    return fmt::format("[{:x}] {}", c.offset, name);
  }
  std::string name = pci::capability_name(c.id, c.extended);
  if (!c.extended && c.id == pci::k_cap_exp && d.pcie && d.pcie->offset == c.offset) {
    name += fmt::format(" v{} {}", d.pcie->version, pci::pcie_port_type_name(d.pcie->port_type));
  }
  return fmt::format("[{:x}] {}", c.offset, name);
}

// One capability line: the entries walked in config space, then those taken from the lspci
// text (marked), then why the list is incomplete.
void
write_caps(std::ostream& out, const char* head, const pci::CapabilityList& list, const Device& d)
{
  if (list.entries.empty() && !list.access_denied) {
    return;
  }
  std::vector<std::string> items;
  bool text_seen = false;
  for (const auto& c : list.entries) {
    std::string item = cap_item(c, d);
    if (c.from_text && !text_seen) {
      item = "from the lspci text: " + item;
      text_seen = true;
    }
    items.push_back(std::move(item));
  }
  if (list.access_denied && !text_seen) {
    items.push_back(d.config.empty()
                      ? std::string("(unknown: no hex for this function, and the lspci text says <access denied>)")
                      : fmt::format("(the list goes on past the {} bytes of config space read)", d.config.size()));
  }
  write_wrapped(out, head, items);
}

std::string
acs_bits(std::uint16_t v)
{
  static const std::pair<std::uint16_t, const char*> k_bits[] = {
    {pci::k_acs_sv, "SV"}, {pci::k_acs_tb, "TB"}, {pci::k_acs_rr, "RR"}, {pci::k_acs_cr, "CR"},
    {pci::k_acs_uf, "UF"}, {pci::k_acs_ec, "EC"}, {pci::k_acs_dt, "DT"}};
  std::string s;
  for (const auto& [bit, name] : k_bits) {
    if (v & bit) {
      s += (s.empty() ? "" : " ") + std::string(name);
    }
  }
  return s.empty() ? "none" : s;
}

std::string
device_title(const Device& d)
{
  std::string s = d.bdf + "  ";
  s += !d.class_name.empty() ? d.class_name
       : d.class_code       ? fmt::format("Class {:06x}", *d.class_code)
                            : std::string("Class ? (not read)");
  s += ": " + d.name;
  if (d.revision && *d.revision != 0) {
    s += fmt::format(" (rev {:02x})", *d.revision);
  }
  return s;
}

void
write_device(const Device& d, const BarRenderContext& ctx, const Style& style, std::ostream& out)
{
  out << style.paint(device_title(d), Color::bold) << '\n';

  // Identity.
  // A VF's ID registers read ffff by design: say where the IDs shown come from.
  const auto vendor_reg = d.config.u16(pci::k_cfg_vendor_id);
  const bool regs_ffff = !d.absent && vendor_reg && *vendor_reg == 0xffff;
  std::string id = fmt::format("  id {}:{}", hex_or_unknown(d.vendor_id, 4), hex_or_unknown(d.device_id, 4));
  if (d.ids_from_pf) {
    id += " (its PF's vendor and VF Device ID)";
  } else if (regs_ffff && d.vendor_id && *d.vendor_id != 0xffff) {
    id += " (sysfs; the ID registers read ffff)";
  }
  id += fmt::format("  class {}", hex_or_unknown(d.class_code, 6));
  if (d.ids_from_text) {
    id += " (from the lspci text: no hex for them)";
  }
  if (d.header_type) {
    id += fmt::format("  header {}", *d.header_type);
  }
  if (d.multifunction) {
    id += " (multifunction)";
  }
  if (d.pcie) {
    id += fmt::format("  PCIe {}", pci::pcie_port_type_name(d.pcie->port_type));
  }
  if (!d.physfn.empty()) {
    id += "  VF of " + d.physfn;
    if (d.vf_index >= 0) {
      id += fmt::format(" (VF {})", d.vf_index);
    }
    if (d.physfn_from == Device::PhysfnFrom::pf_capability) {
      id += " by its SR-IOV capability (no physfn link)";
    }
  }
  id += "  driver " + (!d.driver.empty() ? d.driver : d.driver_known ? std::string("-") : std::string("?"));
  if (d.numa_node) {
    id += fmt::format("  NUMA {}", *d.numa_node);
  }
  if (d.iommu_group) {
    id += fmt::format("  IOMMU group {}", *d.iommu_group);
  }
  if (!d.parent_bdf.empty()) {
    id += "  behind " + d.parent_bdf;
  }
  out << id << '\n';

  if (d.dma_mask_bits && !d.driver.empty()) {
    std::string dma = fmt::format("  DMA mask {} bits", *d.dma_mask_bits);
    if (d.consistent_dma_mask_bits) {
      dma += fmt::format(" (coherent {})", *d.consistent_dma_mask_bits);
    }
    if (ctx.highest_ram && *d.dma_mask_bits > 0) {
      const int bits = std::min({*d.dma_mask_bits, d.consistent_dma_mask_bits.value_or(64), 64});
      const std::uint64_t limit = bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
      if (*ctx.highest_ram <= limit) {
        dma += fmt::format(": reaches all RAM (highest byte {})", hex(*ctx.highest_ram));
      } else {
        dma += fmt::format(": RAM above {} (up to {}) needs an IOMMU or bounce buffers",
                           hex(limit), hex(*ctx.highest_ram));
      }
    }
    out << dma << '\n';
  }
  if (d.asleep) {
    out << "  " << style.paint("asleep", Color::yellow) << ": power state " << d.power_state
        << ", config space not read (memmap bar --wake reads it and wakes the device)\n";
  }
  if (d.absent) {
    out << "  " << style.paint("absent", Color::yellow)
        << ": the header reads all ones (powered off or gone)\n";
  } else if (regs_ffff && d.physfn.empty()) {
    out << "  Vendor and Device ID registers read ffff, as an SR-IOV VF's do, but no physfn link "
           "or PF in this view places a VF here: not called a VF\n";
  }

  // The table: BARs, ROM, windows (pci_bar_rows.cpp).
  const int width = bar_address_width(d);
  write_bar_rows(bar_rows(d, ctx, width), out);
  write_history(d, ctx, out);
  if (d.buses) {
    out << fmt::format("  buses primary {:02x}, secondary {:02x}, subordinate {:02x}\n", d.buses->primary,
                       d.buses->secondary, d.buses->subordinate);
  }

  if (d.msix) {
    const auto& m = *d.msix;
    out << fmt::format("  MSI-X {} vectors, table BAR{}+{:#x}, PBA BAR{}+{:#x}, {}\n", m.table_size, m.table_bar,
                       m.table_offset, m.pba_bar, m.pba_offset, m.enabled ? "enabled" : "disabled");
  }
  for (const auto& rb : d.rebars) {
    for (const auto& e : rb.entries) {
      std::string sizes;
      for (auto s : e.supported_sizes) {
        sizes += (sizes.empty() ? "" : " ") + human_size(s);
      }
      out << fmt::format("  {} BAR{}: current {}, supported {}\n", rb.vf ? "VF ReBAR" : "ReBAR", e.bar,
                         e.current_size ? human_size(*e.current_size) : "?", sizes.empty() ? "-" : sizes);
    }
  }
  if (d.sriov) {
    const auto& s = *d.sriov;
    out << fmt::format("  SR-IOV TotalVFs {}, NumVFs {}, InitialVFs {}, VF offset {}, stride {}, VF device {:04x}, "
                       "VFs {}\n",
                       s.total_vfs, s.num_vfs, s.initial_vfs, s.first_vf_offset, s.vf_stride, s.vf_device_id,
                       s.vf_enable ? "enabled" : "disabled");
    for (std::size_t i = 0; i < s.vf_bars.size(); ++i) {
      const auto& b = s.vf_bars[i];
      const auto addr = b.cpu_address ? b.cpu_address : b.bus_address;
      // The whole aperture, with bus and CPU addresses as for ordinary BARs.
      std::string line = fmt::format("    VF BAR{} {:<10} {}", b.index, bar_kind_text(b),
                                     range_text(addr, s.vf_apertures[i], width));
      line += fmt::format("  {} per VF", size_text(b.size));
      if (s.vf_apertures[i]) {
        line += fmt::format(", aperture {}", human_size(*s.vf_apertures[i]));
      } else {
        line += " (per-VF size from sysfs `resource` only)";
      }
      if (const auto notes = bar_notes(b); !notes.empty()) {
        line += ", " + notes;
      }
      const auto where = placement_text(b.placement, ctx.iomem_known, "/proc/iomem");
      if (!where.empty()) {
        line += "  " + where;
      }
      out << line << '\n';
    }
  }
  if (d.acs) {
    out << fmt::format("  ACS   capable {}; enabled {}\n", acs_bits(d.acs->capability),
                       d.acs->control ? acs_bits(*d.acs->control) : std::string("?"));
  }

  write_caps(out, "  caps  ", d.capabilities, d);
  write_caps(out, "  ecaps ", d.extended_capabilities, d);
  for (const auto& p : d.problems) {
    out << "  " << style.paint("warning", Color::yellow) << ": " << p.located() << " [" << p.id << "]\n";
  }
}

} // namespace

void
render_bar_text(const PciModel& model, const std::vector<const Device*>& devices, const BarRenderContext& ctx,
                const Style& style, std::ostream& out)
{
  (void)model;
  bool first = true;
  for (const auto* d : devices) {
    if (!first) {
      out << '\n';
    }
    first = false;
    write_device(*d, ctx, style, out);
  }
}

} // namespace memmap::render
