// BARs and the expansion ROM (PCI 3.0 6.2.5), with the kernel's sysfs rows beside them.
#include <memmap/pci/decode.hpp>

#include "decode_internal.hpp"

namespace memmap::pci {

using detail::bar_address;

std::vector<Bar>
decode_bars(const ConfigSpace& cfg, int count, std::optional<std::uint16_t> command,
            const SysfsResource* res)
{
  std::vector<Bar> out;
  for (int i = 0; i < count; ++i) {
    const std::size_t reg = k_cfg_bar0 + 4 * static_cast<std::size_t>(i);
    std::optional<std::uint32_t> raw = cfg.u32(reg);
    if (raw && *raw == 0xffffffffU) {
      raw = 0;  // all ones: an absent or broken function
    }
    const ResourceRow* row = res ? res->bar(i) : nullptr;
    const bool row_used = row && !row->empty();
    const std::uint32_t low = raw.value_or(0);
    if (low == 0 && !row_used) {
      continue;  // not implemented (or nothing known)
    }

    Bar b;
    b.index = i;
    b.raw_low = raw;
    if (row_used) {
      b.resource_flags = row->flags;
      b.kind = row->is_io() ? BarKind::io : BarKind::mem;
    } else {
      b.kind = (low & k_bar_space_io) ? BarKind::io : BarKind::mem;
    }

    bool is64 = false;
    if (b.kind == BarKind::mem) {
      const std::uint32_t type = low & k_bar_mem_type_mask;
      if (low != 0 && (!row_used || (low & k_bar_space_io) == 0)) {
        is64 = type == k_bar_mem_type_64;
        b.prefetchable = (low & k_bar_mem_prefetch) != 0;
        b.mem_type = type == 0 ? "32-bit" : type == k_bar_mem_type_64 ? "64-bit"
                     : type == k_bar_mem_type_1m ? "low-1M" : "type 3";
      }
      if (row_used) {
        // The kernel's view wins for the type, as lspci does with sysfs flags.
        is64 = (row->flags & k_res_mem_64) != 0 || is64;
        b.prefetchable = (row->flags & k_res_prefetch) != 0;
        if (b.mem_type.empty() || b.mem_type == "32-bit" || b.mem_type == "64-bit") {
          b.mem_type = is64 ? "64-bit" : "32-bit";
        }
      }
      b.bits = is64 ? 64 : 32;
    } else {
      b.bits = 32;
    }

    std::uint32_t high = 0;
    bool upper_unread = false;  // a 64-bit BAR whose upper dword was not read: no address
    if (is64) {
      if (i + 1 >= count) {
        b.broken_64 = true;
      } else {
        const auto h = cfg.u32(reg + 4);
        b.raw_high = h;
        high = h.value_or(0);
        upper_unread = !h;
        if (high == 0xffffffffU && low == 0) {
          high = 0;
        }
      }
    }

    if (raw) {
      const std::uint64_t a = bar_address(low, high, b.kind == BarKind::io);
      if (a != 0 && !b.broken_64 && !upper_unread) {
        b.bus_address = a;
      }
    }
    if (row_used) {
      if (row->size() != 0) {
        b.size = row->size();
      }
      if (row->assigned() && row->start != 0) {
        b.cpu_address = row->start;
      }
      b.enhanced = (row->flags & k_res_pci_ea_bei) != 0;
      b.is_virtual = b.cpu_address && raw && !upper_unread && low == 0 && high == 0 && !b.enhanced;
      if (!b.cpu_address && b.bus_address) {
        // The kernel disowns the register's value (IORESOURCE_UNSET, DISABLED): the
        // register keeps a stale address that no view may use as one.
        b.register_address = b.bus_address;
        b.bus_address.reset();
      }
    } else if (row && b.bus_address) {
      // The kernel's row is all zeros, flags too: it has no resource for this BAR (released
      // after a failed assignment, reset_resource()). Its view wins over the register, whose
      // address is stale: the BAR is unassigned (lspci, taking the row's flags, omits it).
      b.register_address = b.bus_address;
      b.bus_address.reset();
    }
    const std::optional<std::uint64_t> seen = row_used ? b.cpu_address : b.bus_address;
    if (!seen && !b.broken_64) {
      // lspci's words: bits in the register but no address is "ignored"; the kernel's
      // IORESOURCE_UNSET says it could not assign one, whatever the register holds.
      const bool bits_set = raw && (bar_address(low, high, b.kind == BarKind::io) != 0);
      const bool unset = row_used ? (row->flags & k_res_unset) != 0 : row != nullptr;
      b.ignored = bits_set && !unset;
      b.unassigned = !b.ignored;
    }
    if (command) {
      b.decode_enabled = (*command & (b.kind == BarKind::io ? k_command_io : k_command_memory)) != 0;
    }
    out.push_back(b);
    if (is64 && !b.broken_64) {
      ++i;  // the upper half is not a BAR of its own
    }
  }
  out.shrink_to_fit();  // thousands of functions are held at once: no spare capacity
  return out;
}

std::optional<Rom>
decode_rom(const ConfigSpace& cfg, std::size_t reg, const SysfsResource* res)
{
  std::optional<std::uint32_t> raw = cfg.u32(reg);
  if (raw && *raw == 0xffffffffU) {
    raw = 0;
  }
  const ResourceRow* row = res ? res->rom() : nullptr;
  const bool row_used = row && !row->empty();
  if (raw.value_or(0) == 0 && !row_used) {
    return std::nullopt;
  }
  Rom r;
  r.raw = raw;
  const std::uint32_t low = raw.value_or(0);
  if ((low & k_rom_address_mask) != 0) {
    r.bus_address = low & k_rom_address_mask;
  }
  r.enabled = (low & k_rom_enable) != 0;
  if (row_used) {
    if (row->size() != 0) {
      r.size = row->size();
    }
    if (row->start != 0 && (row->flags & k_res_unset) == 0) {
      r.cpu_address = row->start;
    }
    if (raw && (low & k_rom_address_mask) == 0 && r.cpu_address
        && (row->flags & k_res_pci_ea_bei) == 0) {
      r.is_virtual = true;  // e.g. a shadow copy the kernel made; the register reads 0
      r.enabled = (row->flags & k_res_rom_enable) != 0;
    }
    if (!raw) {
      r.enabled = (row->flags & k_res_rom_enable) != 0;
    }
  }
  // An all-zero row (flags too): the kernel holds no ROM resource, whatever the register says.
  const bool disowned = row && !row_used;
  const bool have_address = row_used ? r.cpu_address.has_value() : !disowned && r.bus_address;
  if (!have_address) {
    r.ignored = (low & k_rom_address_mask) != 0 && !disowned;
    r.unassigned = !r.ignored;
  }
  if ((row_used || disowned) && !r.cpu_address && r.bus_address) {
    r.register_address = r.bus_address;  // as for BARs: the kernel's row rules
    r.bus_address.reset();
  }
  return r;
}

} // namespace memmap::pci
