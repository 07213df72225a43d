#include <memmap/pci/decode.hpp>

#include <array>
#include <set>

#include <fmt/format.h>

namespace memmap::pci {

namespace {

constexpr std::uint32_t k_bar_space_io = 0x1;
constexpr std::uint32_t k_bar_mem_type_mask = 0x6;
constexpr std::uint32_t k_bar_mem_type_64 = 0x4;
constexpr std::uint32_t k_bar_mem_type_1m = 0x2;
constexpr std::uint32_t k_bar_mem_prefetch = 0x8;
constexpr std::uint32_t k_rom_address_mask = ~std::uint32_t{0x7ff};
constexpr std::uint16_t k_status_cap_list = 0x10;
constexpr std::uint16_t k_command_io = 0x1;
constexpr std::uint16_t k_command_mem = 0x2;
constexpr int k_cap_ttl = 48;
constexpr int k_ext_cap_ttl = (4096 - 256) / 8;

std::uint64_t
bar_address(std::uint32_t low, std::uint32_t high, bool io)
{
  if (io) {
    return low & ~std::uint32_t{0x3};
  }
  return (static_cast<std::uint64_t>(high) << 32) | (low & ~std::uint32_t{0xf});
}

} // namespace

// ---------------------------------------------------------------------------------------
// BARs

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
    if (is64) {
      if (i + 1 >= count) {
        b.broken_64 = true;
      } else {
        const auto h = cfg.u32(reg + 4);
        b.raw_high = h;
        high = h.value_or(0);
        if (high == 0xffffffffU && low == 0) {
          high = 0;
        }
      }
    }

    if (raw) {
      const std::uint64_t a = bar_address(low, high, b.kind == BarKind::io);
      if (a != 0 && !b.broken_64) {
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
      b.is_virtual = b.cpu_address && raw && low == 0 && high == 0 && !b.enhanced;
      if (!b.cpu_address && b.bus_address) {
        // The kernel disowns the register's value (IORESOURCE_UNSET, DISABLED): the
        // register keeps a stale address that no view may use as one.
        b.register_address = b.bus_address;
        b.bus_address.reset();
      }
    }
    const std::optional<std::uint64_t> seen = row_used ? b.cpu_address : b.bus_address;
    if (!seen && !b.broken_64) {
      // lspci's words: bits in the register but no address is "ignored"; the kernel's
      // IORESOURCE_UNSET says it could not assign one, whatever the register holds.
      const bool bits_set = raw && (bar_address(low, high, b.kind == BarKind::io) != 0);
      const bool unset = row_used && (row->flags & k_res_unset) != 0;
      b.ignored = bits_set && !unset;
      b.unassigned = !b.ignored;
    }
    if (command) {
      b.decode_enabled = (*command & (b.kind == BarKind::io ? k_command_io : k_command_mem)) != 0;
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
  r.enabled = (low & 1U) != 0;
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
  const bool have_address = row_used ? r.cpu_address.has_value() : r.bus_address.has_value();
  if (!have_address) {
    r.ignored = (low & k_rom_address_mask) != 0;
    r.unassigned = !r.ignored;
  }
  if (row_used && !r.cpu_address && r.bus_address) {
    r.register_address = r.bus_address;  // as for BARs: the kernel's row rules
    r.bus_address.reset();
  }
  return r;
}

// ---------------------------------------------------------------------------------------
// Bridge windows

std::vector<BridgeWindow>
decode_bridge_windows(const ConfigSpace& cfg, const SysfsResource* res,
                      std::vector<std::string>& problems)
{
  std::vector<BridgeWindow> out;
  // The kernel's row decides whether the window exists; the registers stay beside it.
  auto apply_row = [&](BridgeWindow& w, int idx) {
    w.registers_enabled = w.bus_start <= w.bus_end;
    w.enabled = w.registers_enabled;
    const ResourceRow* row = res ? res->bridge_window(idx) : nullptr;
    if (!row) {
      return;  // no rows: the registers are all there is
    }
    if ((row->flags & k_res_unset) != 0) {
      w.kernel = KernelWindow::unset;
    } else if ((row->flags & k_res_disabled) != 0) {
      w.kernel = KernelWindow::disabled;
    } else if (row->size() != 0) {
      w.kernel = KernelWindow::assigned;
      w.cpu_start = row->start;
      w.cpu_end = row->end;
    } else {
      w.kernel = KernelWindow::none;  // all zero (or flags without a range)
    }
    if (row->size() != 0) {
      w.kernel_size = row->size();
    }
    w.enabled = w.kernel == KernelWindow::assigned;
  };

  // I/O window.
  const auto io_base = cfg.u8(0x1c);
  const auto io_limit = cfg.u8(0x1d);
  if (io_base && io_limit) {
    const int type = *io_base & 0x0f;
    if (type != (*io_limit & 0x0f) || (type != 0 && type != 1)) {
      problems.push_back(fmt::format("unknown I/O window range types {:x}/{:x}", *io_base, *io_limit));
    } else {
      BridgeWindow w;
      w.kind = WindowKind::io;
      w.bits = type == 1 ? 32 : 16;
      std::uint64_t base = static_cast<std::uint64_t>(*io_base & 0xf0) << 8;
      std::uint64_t limit = static_cast<std::uint64_t>(*io_limit & 0xf0) << 8;
      if (type == 1) {
        base |= static_cast<std::uint64_t>(cfg.u16(0x30).value_or(0)) << 16;
        limit |= static_cast<std::uint64_t>(cfg.u16(0x32).value_or(0)) << 16;
        if (!cfg.present(0x30, 4)) {
          w.upper_unknown = true;
          problems.push_back("I/O window: upper 16 bits (0x30-0x33) not read; its bus address is unknown");
        }
      }
      w.bus_start = base;
      w.bus_end = limit | 0xfff;
      w.registers_zero = *io_base == 0 && *io_limit == 0;
      apply_row(w, 0);
      out.push_back(w);
    }
  }

  // Memory window (always 32-bit).
  const auto mem_base = cfg.u16(0x20);
  const auto mem_limit = cfg.u16(0x22);
  if (mem_base && mem_limit) {
    const int type = *mem_base & 0x0f;
    if (type != (*mem_limit & 0x0f) || type != 0) {
      problems.push_back(fmt::format("unknown memory window range types {:x}/{:x}", *mem_base, *mem_limit));
    } else {
      BridgeWindow w;
      w.kind = WindowKind::mem;
      w.bits = 32;
      w.bus_start = static_cast<std::uint64_t>(*mem_base & 0xfff0) << 16;
      w.bus_end = (static_cast<std::uint64_t>(*mem_limit & 0xfff0) << 16) | 0xfffff;
      w.registers_zero = *mem_base == 0 && *mem_limit == 0;
      apply_row(w, 1);
      out.push_back(w);
    }
  }

  // Prefetchable window (32- or 64-bit).
  const auto pref_base = cfg.u16(0x24);
  const auto pref_limit = cfg.u16(0x26);
  if (pref_base && pref_limit) {
    const int type = *pref_base & 0x0f;
    if (type != (*pref_limit & 0x0f) || (type != 0 && type != 1)) {
      problems.push_back(fmt::format("unknown prefetchable window range types {:x}/{:x}",
                                     *pref_base, *pref_limit));
    } else {
      BridgeWindow w;
      w.kind = WindowKind::prefetchable;
      w.bits = type == 1 ? 64 : 32;
      std::uint64_t base = static_cast<std::uint64_t>(*pref_base & 0xfff0) << 16;
      std::uint64_t limit = static_cast<std::uint64_t>(*pref_limit & 0xfff0) << 16;
      if (type == 1) {
        base |= static_cast<std::uint64_t>(cfg.u32(0x28).value_or(0)) << 32;
        limit |= static_cast<std::uint64_t>(cfg.u32(0x2c).value_or(0)) << 32;
        if (!cfg.present(0x28, 8)) {
          w.upper_unknown = true;
          problems.push_back("prefetchable window: upper 32 bits (0x28-0x2f) not read; its bus "
                             "address is unknown");
        }
      }
      w.bus_start = base;
      w.bus_end = limit | 0xfffff;
      w.registers_zero = *pref_base == 0 && *pref_limit == 0;
      apply_row(w, 2);
      out.push_back(w);
    }
  }

  // No config bytes at all (a sleeping function): the kernel's rows are all there is.
  if (!io_base && !mem_base && !pref_base && res && res->bridge) {
    const std::array<WindowKind, 3> kinds{WindowKind::io, WindowKind::mem, WindowKind::prefetchable};
    for (int i = 0; i < 3; ++i) {
      const ResourceRow* row = res->bridge_window(i);
      if (!row || row->size() == 0 || (row->flags & (k_res_unset | k_res_disabled)) != 0) {
        continue;
      }
      BridgeWindow w;
      w.kind = kinds[static_cast<std::size_t>(i)];
      w.bits = w.kind == WindowKind::io ? 16 : (row->flags & k_res_mem_64) ? 64 : 32;
      w.bus_start = row->start;
      w.bus_end = row->end;
      w.cpu_start = row->start;
      w.cpu_end = row->end;
      w.enabled = true;
      w.registers_read = false;
      w.kernel = KernelWindow::assigned;
      w.kernel_size = row->size();
      out.push_back(w);
    }
  }
  return out;
}

std::vector<BridgeWindow>
decode_cardbus_windows(const ConfigSpace& cfg)
{
  std::vector<BridgeWindow> out;
  const auto control = cfg.u16(0x3e).value_or(0);
  for (int i = 0; i < 2; ++i) {
    const auto base = cfg.u32(0x1c + 8 * static_cast<std::size_t>(i));
    const auto limit = cfg.u32(0x20 + 8 * static_cast<std::size_t>(i));
    if (!base || !limit) {
      continue;
    }
    BridgeWindow w;
    w.cardbus_index = i;
    w.kind = (control & (0x100U << i)) ? WindowKind::prefetchable : WindowKind::mem;
    w.bits = 32;
    w.bus_start = *base;
    w.bus_end = static_cast<std::uint64_t>(*limit) + 0xfff;
    w.enabled = w.registers_enabled = w.bus_start <= w.bus_end;
    out.push_back(w);
  }
  for (int i = 0; i < 2; ++i) {
    auto base = cfg.u32(0x2c + 8 * static_cast<std::size_t>(i));
    auto limit = cfg.u32(0x30 + 8 * static_cast<std::size_t>(i));
    if (!base || !limit) {
      continue;
    }
    BridgeWindow w;
    w.cardbus_index = i;
    w.kind = WindowKind::io;
    std::uint32_t b = *base;
    std::uint32_t l = *limit;
    if ((b & 1U) == 0) {
      b &= 0xffff;
      l &= 0xffff;
      w.bits = 16;
    } else {
      w.bits = 32;
    }
    w.bus_start = b & ~std::uint32_t{3};
    w.bus_end = static_cast<std::uint64_t>(l & ~std::uint32_t{3}) + 3;
    w.enabled = w.registers_enabled = w.bus_start <= w.bus_end;
    out.push_back(w);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Capability lists

CapabilityList
walk_capabilities(const ConfigSpace& cfg, int header_type)
{
  CapabilityList list;
  const auto status = cfg.u16(k_cfg_status);
  if (!status || (*status & k_status_cap_list) == 0 || *status == 0xffff) {
    return list;
  }
  const std::size_t start_reg = header_type == 2 ? k_cfg_cardbus_cap_ptr : k_cfg_cap_ptr;
  const auto first = cfg.u8(start_reg);
  if (!first) {
    list.access_denied = true;
    return list;
  }
  std::array<bool, 256> visited{};
  std::size_t where = *first & ~0x3U;
  int ttl = k_cap_ttl;
  while (where != 0) {
    if (where < 0x40) {
      list.problems.push_back(fmt::format("capability pointer {:#04x} points into the header; list ends", where));
      break;
    }
    if (!cfg.present(where, 4)) {
      list.access_denied = true;
      break;
    }
    if (visited[where]) {
      list.problems.push_back(fmt::format("capability chain loops back to {:#04x}", where));
      break;
    }
    visited[where] = true;
    const std::uint8_t id = *cfg.u8(where);
    if (id == 0xff) {
      list.problems.push_back(fmt::format("capability chain broken at {:#04x} (id 0xff)", where));
      break;
    }
    Capability c;
    c.id = id;
    c.offset = static_cast<std::uint16_t>(where);
    list.entries.push_back(c);
    if (--ttl == 0) {
      list.problems.push_back(fmt::format("more than {} capabilities; list cut", k_cap_ttl));
      break;
    }
    where = *cfg.u8(where + 1) & ~0x3U;
  }
  return list;
}

CapabilityList
walk_extended_capabilities(const ConfigSpace& cfg)
{
  CapabilityList list;
  std::vector<bool> visited(4096, false);
  std::size_t where = 0x100;
  int ttl = k_ext_cap_ttl;
  while (where != 0) {
    const auto header = cfg.u32(where);
    if (!header) {
      list.access_denied = true;
      break;
    }
    if (*header == 0 || *header == 0xffffffffU) {
      if (where != 0x100) {
        list.problems.push_back(fmt::format(
          "extended capability chain broken at {:#05x} (header {:#010x})", where, *header));
      }
      break;
    }
    if (visited[where]) {
      list.problems.push_back(fmt::format("extended capability chain loops back to {:#05x}", where));
      break;
    }
    visited[where] = true;
    Capability c;
    c.extended = true;
    c.id = static_cast<std::uint16_t>(*header & 0xffff);
    c.version = static_cast<std::uint8_t>((*header >> 16) & 0xf);
    c.offset = static_cast<std::uint16_t>(where);
    list.entries.push_back(c);
    const std::size_t next = (*header >> 20) & 0xffc;
    if (next != 0 && next < 0x100) {
      list.problems.push_back(fmt::format(
        "extended capability at {:#05x} points to {:#05x}, below 0x100; list ends", where, next));
      break;
    }
    if (--ttl == 0) {
      list.problems.push_back("more than 480 extended capabilities; list cut");
      break;
    }
    where = next;
  }
  return list;
}

// ---------------------------------------------------------------------------------------
// Capability bodies

Rebar
decode_rebar(const ConfigSpace& cfg, std::uint16_t offset, bool vf)
{
  Rebar rb;
  rb.offset = offset;
  rb.vf = vf;
  const auto ctrl0 = cfg.u32(offset + 8U);
  if (!ctrl0) {
    rb.problems.push_back("Resizable BAR capability truncated");
    return rb;
  }
  rb.declared_entries = static_cast<int>((*ctrl0 >> 5) & 0x7);
  if (rb.declared_entries == 0) {
    rb.problems.push_back("Resizable BAR capability declares 0 BARs (out of spec); no entries listed");
    return rb;
  }
  std::set<int> seen_bars;
  for (int k = 0; k < rb.declared_entries; ++k) {
    const std::size_t cap_off = offset + 4U + 8U * static_cast<std::size_t>(k);
    const auto cap = cfg.u32(cap_off);
    const auto ctrl = cfg.u32(cap_off + 4);
    if (!cap || !ctrl) {
      rb.problems.push_back(fmt::format("Resizable BAR entry {} not readable", k));
      break;
    }
    RebarEntry e;
    e.bar = static_cast<int>(*ctrl & 0x7);
    // CAP bits 31:4: bit n (n >= 4) means 2^(n-4+20) bytes; CTRL bits 31:16 extend it
    // with 2^(n+36) bytes for bit n-16 (256 TiB and up; beyond 2^63 ignored).
    for (int bit = 4; bit < 32; ++bit) {
      if (*cap & (1U << bit)) {
        e.supported_sizes.push_back(std::uint64_t{1} << (bit - 4 + 20));
      }
    }
    for (int bit = 16; bit < 32; ++bit) {
      const int shift = bit - 16 + 48;
      if ((*ctrl & (1U << bit)) && shift < 64) {
        e.supported_sizes.push_back(std::uint64_t{1} << shift);
      }
    }
    const int cur = static_cast<int>((*ctrl >> 8) & 0x3f);
    if (cur + 20 < 64) {
      e.current_size = std::uint64_t{1} << (cur + 20);
    }
    if (e.bar > 5) {
      rb.problems.push_back(fmt::format("Resizable BAR entry {} names BAR {} (out of range)", k, e.bar));
    }
    if (!seen_bars.insert(e.bar).second) {
      rb.problems.push_back(fmt::format("Resizable BAR entry {} repeats BAR {}", k, e.bar));
    }
    rb.entries.push_back(std::move(e));
  }
  return rb;
}

std::optional<Sriov>
decode_sriov(const ConfigSpace& cfg, std::uint16_t offset, const SysfsResource* res)
{
  if (!cfg.present(offset, 0x40)) {
    return std::nullopt;
  }
  Sriov s;
  s.offset = offset;
  s.control = *cfg.u16(offset + 0x08U);
  s.vf_enable = (s.control & 0x1) != 0;
  s.vf_memory_enable = (s.control & 0x8) != 0;
  s.initial_vfs = *cfg.u16(offset + 0x0cU);
  s.total_vfs = *cfg.u16(offset + 0x0eU);
  s.num_vfs = *cfg.u16(offset + 0x10U);
  s.first_vf_offset = *cfg.u16(offset + 0x14U);
  s.vf_stride = *cfg.u16(offset + 0x16U);
  s.vf_device_id = *cfg.u16(offset + 0x1aU);
  for (int i = 0; i < 6; ++i) {
    const std::uint32_t low = *cfg.u32(offset + 0x24U + 4U * static_cast<std::size_t>(i));
    const ResourceRow* row = res ? res->vf_bar(i) : nullptr;
    const bool row_used = row && !row->empty();
    if (low == 0 && !row_used) {
      continue;
    }
    Bar b;
    b.index = i;
    b.raw_low = low;
    b.kind = (low & k_bar_space_io) ? BarKind::io : BarKind::mem;
    const bool is64 = b.kind == BarKind::mem
                      && (((low & k_bar_mem_type_mask) == k_bar_mem_type_64)
                          || (row_used && (row->flags & k_res_mem_64)));
    b.bits = is64 ? 64 : 32;
    b.prefetchable = b.kind == BarKind::mem
                     && ((low & k_bar_mem_prefetch) || (row_used && (row->flags & k_res_prefetch)));
    b.mem_type = is64 ? "64-bit" : "32-bit";
    std::uint32_t high = 0;
    if (is64 && i < 5) {
      high = *cfg.u32(offset + 0x28U + 4U * static_cast<std::size_t>(i));
      b.raw_high = high;
    } else if (is64) {
      b.broken_64 = true;
    }
    const std::uint64_t a = bar_address(low, high, b.kind == BarKind::io);
    if (a != 0) {
      b.bus_address = a;
    }
    std::optional<std::uint64_t> aperture;
    if (row_used) {
      b.resource_flags = row->flags;
      if (row->size() != 0) {
        aperture = row->size();
        if (s.total_vfs != 0 && row->size() % s.total_vfs == 0) {
          b.size = row->size() / s.total_vfs;
        }
      }
      if (row->assigned() && row->start != 0) {
        b.cpu_address = row->start;
      }
      if (!b.cpu_address && b.bus_address) {
        b.register_address = b.bus_address;  // the kernel could not assign the aperture
        b.bus_address.reset();
      }
    }
    b.unassigned = !b.bus_address && !b.cpu_address;
    b.decode_enabled = s.vf_memory_enable;
    s.vf_bars.push_back(b);
    s.vf_apertures.push_back(aperture);
    if (is64) {
      ++i;
    }
  }
  return s;
}

std::optional<Msix>
decode_msix(const ConfigSpace& cfg, std::uint16_t offset)
{
  const auto ctrl = cfg.u16(offset + 2U);
  const auto table = cfg.u32(offset + 4U);
  const auto pba = cfg.u32(offset + 8U);
  if (!ctrl || !table || !pba) {
    return std::nullopt;
  }
  Msix m;
  m.offset = offset;
  m.table_size = (*ctrl & 0x7ff) + 1;
  m.function_mask = (*ctrl & 0x4000) != 0;
  m.enabled = (*ctrl & 0x8000) != 0;
  m.table_bar = static_cast<int>(*table & 0x7);
  m.table_offset = *table & ~std::uint32_t{7};
  m.pba_bar = static_cast<int>(*pba & 0x7);
  m.pba_offset = *pba & ~std::uint32_t{7};
  return m;
}

std::optional<PcieInfo>
decode_pcie(const ConfigSpace& cfg, std::uint16_t offset)
{
  const auto flags = cfg.u16(offset + 2U);
  if (!flags) {
    return std::nullopt;
  }
  PcieInfo p;
  p.offset = offset;
  p.version = *flags & 0xf;
  p.port_type = (*flags >> 4) & 0xf;
  p.slot = (*flags & 0x100) != 0;
  if (const auto lnkcap = cfg.u32(offset + 0x0cU)) {
    p.max_link_speed = static_cast<int>(*lnkcap & 0xf);
    p.max_link_width = static_cast<int>((*lnkcap >> 4) & 0x3f);
  }
  if (const auto lnksta = cfg.u16(offset + 0x12U)) {
    p.link_speed = *lnksta & 0xf;
    p.link_width = (*lnksta >> 4) & 0x3f;
  }
  return p;
}

std::optional<Acs>
decode_acs(const ConfigSpace& cfg, std::uint16_t offset)
{
  const auto cap = cfg.u16(offset + 4U);
  if (!cap) {
    return std::nullopt;
  }
  Acs a;
  a.offset = offset;
  a.capability = *cap;
  a.control = cfg.u16(offset + 6U);
  return a;
}

// ---------------------------------------------------------------------------------------
// The whole function

namespace {

model::Diagnostic
device_problem(const std::string& display, const std::string& bdf, std::string msg,
               const char* id = "pci-config-malformed")
{
  model::Diagnostic d;
  d.severity = model::Severity::warning;
  d.id = id;
  d.file = display;
  d.message = bdf + ": " + std::move(msg);
  return d;
}

// Bytes 0x100-0x13f repeat 0x00-0x3f: a bus or bridge that does not decode the extended
// register number shows the header again there.
bool
extended_space_aliased(const ConfigSpace& cfg)
{
  for (std::size_t i = 0; i < 0x40; ++i) {
    if (cfg.u8(i) != cfg.u8(0x100 + i)) {
      return false;
    }
  }
  return true;
}

bool
has_extended_space(const Device& dev)
{
  if (dev.config.size() <= 0x100) {
    return false;
  }
  for (const auto& c : dev.capabilities.entries) {
    if (c.id == k_cap_exp) {
      return true;
    }
    if (c.id == k_cap_pcix) {
      // PCI-X 266/533 (status bits 30/31) have extended config space.
      const auto st = dev.config.u32(c.offset + 4U);
      if (st && (*st & 0xc0000000U)) {
        return true;
      }
    }
  }
  return false;
}

} // namespace

void
decode_device(Device& dev, const std::string& display)
{
  const ConfigSpace& cfg = dev.config;
  const SysfsResource* res = dev.resource ? &*dev.resource : nullptr;

  // Absent only when the header really reads all ones: an SR-IOV VF reads ffff as its
  // Vendor and Device ID by design, yet the rest of its header is real.
  bool any_read = false;
  bool all_ones = true;
  for (std::size_t i = 0; i < 0x40 && all_ones; ++i) {
    if (const auto b = cfg.u8(i)) {
      any_read = true;
      all_ones = *b == 0xff;
    }
  }
  if (any_read && all_ones) {
    dev.absent = true;
    dev.problems.push_back(device_problem(
      display, dev.bdf,
      "the header reads all ones (every byte of 0x00-0x3f is ff): the function is powered "
      "off or gone; no BARs decoded",
      "pci-function-absent"));
    return;
  }
  if (const auto v = cfg.u16(0x00); v && *v != 0xffff) {
    if (!dev.vendor_id) {
      dev.vendor_id = *v;
    }
    if (const auto d = cfg.u16(0x02); d && !dev.device_id) {
      dev.device_id = *d;
    }
  }
  if (const auto rev = cfg.u8(0x08)) {
    dev.revision = *rev;
  }
  if (cfg.present(0x09, 3) && !dev.class_code) {
    dev.class_code = static_cast<std::uint32_t>(*cfg.u8(0x0b)) << 16
                     | static_cast<std::uint32_t>(*cfg.u8(0x0a)) << 8 | *cfg.u8(0x09);
  }
  dev.command = cfg.u16(k_cfg_command);
  dev.status = cfg.u16(k_cfg_status);
  if (const auto ht = cfg.u8(k_cfg_header_type)) {
    dev.header_type = *ht & 0x7f;
    dev.multifunction = (*ht & 0x80) != 0;
  }

  const int htype = dev.header_type.value_or(res && res->bridge ? 1 : 0);
  std::vector<std::string> problems;
  switch (htype) {
  case 0:
    dev.bars = decode_bars(cfg, 6, dev.command, res);
    dev.rom = decode_rom(cfg, k_cfg_rom, res);
    if (const auto sv = cfg.u16(0x2c)) {
      dev.subsys_vendor_id = *sv;
      dev.subsys_id = cfg.u16(0x2e);
    }
    break;
  case 1:
    dev.bars = decode_bars(cfg, 2, dev.command, res);
    dev.rom = decode_rom(cfg, k_cfg_bridge_rom, res);
    dev.windows = decode_bridge_windows(cfg, res, problems);
    if (cfg.present(0x18, 3)) {
      dev.buses = BusRange{*cfg.u8(0x18), *cfg.u8(0x19), *cfg.u8(0x1a)};
    }
    break;
  case 2:
    dev.bars = decode_bars(cfg, 1, dev.command, res);
    dev.windows = decode_cardbus_windows(cfg);
    if (cfg.present(0x18, 3)) {
      dev.buses = BusRange{*cfg.u8(0x18), *cfg.u8(0x19), *cfg.u8(0x1a)};
    }
    if (const auto sv = cfg.u16(0x40)) {
      dev.subsys_vendor_id = *sv;
      dev.subsys_id = cfg.u16(0x42);
    }
    break;
  default:
    problems.push_back(fmt::format("unknown header type {:#04x}; only sysfs rows decoded", htype));
    dev.bars = decode_bars(ConfigSpace{}, 6, dev.command, res);
    break;
  }
  for (auto& p : problems) {
    // A register that lies past the bytes read is not malformed, only unknown.
    const bool short_read = p.find(" not read; ") != std::string::npos;
    dev.problems.push_back(device_problem(display, dev.bdf, std::move(p),
                                          short_read ? "pci-config-short" : "pci-config-malformed"));
  }

  dev.capabilities = walk_capabilities(cfg, htype);
  for (const auto& p : dev.capabilities.problems) {
    dev.problems.push_back(device_problem(display, dev.bdf, p, "pci-capability-chain"));
  }
  if (has_extended_space(dev)) {
    if (cfg.size() >= 0x140 && cfg.present(0, 0x40) && cfg.present(0x100, 0x40)
        && extended_space_aliased(cfg)) {
      dev.problems.push_back(device_problem(
        display, dev.bdf, "extended config space repeats the first bytes (aliased); not walked",
        "pci-capability-chain"));
    } else {
      dev.extended_capabilities = walk_extended_capabilities(cfg);
      for (const auto& p : dev.extended_capabilities.problems) {
        dev.problems.push_back(device_problem(display, dev.bdf, p, "pci-capability-chain"));
      }
    }
  }

  for (const auto& c : dev.capabilities.entries) {
    if (c.id == k_cap_exp && !dev.pcie) {
      dev.pcie = decode_pcie(cfg, c.offset);
    } else if (c.id == k_cap_msix && !dev.msix) {
      dev.msix = decode_msix(cfg, c.offset);
    }
  }
  for (const auto& c : dev.extended_capabilities.entries) {
    if (c.id == k_ecap_rebar || c.id == k_ecap_vf_rebar) {
      Rebar rb = decode_rebar(cfg, c.offset, c.id == k_ecap_vf_rebar);
      for (const auto& p : rb.problems) {
        dev.problems.push_back(device_problem(display, dev.bdf, p, "pci-rebar"));
      }
      dev.rebars.push_back(std::move(rb));
    } else if (c.id == k_ecap_sriov && !dev.sriov) {
      dev.sriov = decode_sriov(cfg, c.offset, res);
      if (!dev.sriov) {
        dev.problems.push_back(device_problem(display, dev.bdf, "SR-IOV capability truncated"));
      }
    } else if (c.id == k_ecap_acs && !dev.acs) {
      dev.acs = decode_acs(cfg, c.offset);
    } else if (c.id == k_ecap_ari) {
      dev.ari = true;
    }
  }
}

} // namespace memmap::pci
