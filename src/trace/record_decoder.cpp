#include <memmap/trace/record_decoder.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <utility>

#include <unistd.h>

#include "tracefs_compat.hpp"

#include <fmt/format.h>

#include <memmap/error.hpp>

namespace memmap::trace {

namespace {

// Field roles, each with the names the kernel has used for it.
enum Role : int {
  r_device,     // device, dev_name
  r_dma_addr,   // dma_addr, addr (6.18 dma_unmap_phys), dev_addr (swiotlb)
  r_phys_addr,  // phys_addr, paddr (iommu map)
  r_size,
  r_dir,
  r_attrs,
  r_virt,
  r_gfp,        // flags of dma_alloc*
  r_phys_list,  // phys_addrs, addrs (dma_unmap_sg)
  r_dma_list,
  r_len_list,   // lengths, sizes
  r_full_nents,
  r_full_ents,
  r_truncated,
  r_err,
  r_iova,
  r_unmapped,
  r_driver,
  r_fault_flags,
  r_gid,
  r_dma_mask,
  r_force,
  r_count
};

struct Names {
  Role role;
  const char* names[3];
};

constexpr Names k_names[] = {
  {r_device, {"device", "dev_name", nullptr}},
  {r_dma_addr, {"dma_addr", "addr", "dev_addr"}},
  {r_phys_addr, {"phys_addr", "paddr", nullptr}},
  {r_size, {"size", nullptr, nullptr}},
  {r_dir, {"dir", nullptr, nullptr}},
  {r_attrs, {"attrs", nullptr, nullptr}},
  {r_virt, {"virt_addr", nullptr, nullptr}},
  {r_gfp, {"flags", nullptr, nullptr}},
  {r_phys_list, {"phys_addrs", "addrs", nullptr}},
  {r_dma_list, {"dma_addrs", nullptr, nullptr}},
  {r_len_list, {"lengths", "sizes", nullptr}},
  {r_full_nents, {"full_nents", nullptr, nullptr}},
  {r_full_ents, {"full_ents", nullptr, nullptr}},
  {r_truncated, {"truncated", nullptr, nullptr}},
  {r_err, {"err", nullptr, nullptr}},
  {r_iova, {"iova", nullptr, nullptr}},
  {r_unmapped, {"unmapped_size", nullptr, nullptr}},
  {r_driver, {"driver", nullptr, nullptr}},
  {r_fault_flags, {"flags", nullptr, nullptr}},
  {r_gid, {"gid", nullptr, nullptr}},
  {r_dma_mask, {"dma_mask", nullptr, nullptr}},
  {r_force, {"force", nullptr, nullptr}},
};

struct EventFields {
  bool counted = false;
  EventType type = EventType::dma_map_phys;
  tep_format_field* f[r_count] = {};
};

std::optional<EventType>
type_of(const tep_event* e)
{
  if (e == nullptr || e->system == nullptr || e->name == nullptr) {
    return std::nullopt;
  }
  const std::string_view sys = e->system;
  if (sys != "dma" && sys != "iommu" && sys != "swiotlb") {
    return std::nullopt;
  }
  auto t = event_type_from_name(e->name);
  if (t && event_system(*t) != sys) {
    return std::nullopt;
  }
  return t;
}

std::size_t
element_size(const tep_format_field* f)
{
  if (f->elementsize > 0 && f->elementsize <= 8) {
    return f->elementsize;
  }
  const std::string_view type = f->type != nullptr ? f->type : "";
  if (type.find("u64") != std::string_view::npos || type.find("long") != std::string_view::npos ||
      type.find("dma_addr_t") != std::string_view::npos) {
    return 8;
  }
  if (type.find("u16") != std::string_view::npos || type.find("short") != std::string_view::npos) {
    return 2;
  }
  if (type.find("u8") != std::string_view::npos || type.find("char") != std::string_view::npos) {
    return 1;
  }
  return 4;
}

} // namespace

struct RecordDecoder::Impl {
  tep_handle* tep;
  std::unordered_map<int, EventFields> cache;

  const EventFields& fields(tep_event* e)
  {
    auto it = cache.find(e->id);
    if (it != cache.end()) {
      return it->second;
    }
    EventFields ef;
    if (auto t = type_of(e)) {
      ef.counted = true;
      ef.type = *t;
      for (const auto& n : k_names) {
        // "flags" is the gfp mask of dma_alloc* and the fault flags of io_page_fault.
        if ((n.role == r_gfp && event_class(*t) == EventClass::fault) ||
            (n.role == r_fault_flags && event_class(*t) != EventClass::fault)) {
          continue;
        }
        for (const char* name : n.names) {
          if (name == nullptr) {
            break;
          }
          if (auto* f = tep_find_field(e, name)) {
            ef.f[n.role] = f;
            break;
          }
        }
      }
    }
    return cache.emplace(e->id, ef).first->second;
  }

  // Bytes of a dynamic (__data_loc / __rel_loc) field, bounds-checked.
  static bool dynamic(tep_handle* tep, const tep_format_field* f, const tep_record* rec,
                      const unsigned char*& p, std::size_t& len)
  {
    const auto* data = static_cast<const unsigned char*>(rec->data);
    if (f->offset < 0 || f->size <= 0 || f->offset + f->size > rec->size) {
      return false;
    }
    const unsigned long long loc = tep_read_number(tep, data + f->offset, f->size);
    std::size_t off = static_cast<std::size_t>(loc & 0xffff);
    len = static_cast<std::size_t>((loc >> 16) & 0xffff);
    if ((f->flags & TEP_FIELD_IS_RELATIVE) != 0) {
      off += static_cast<std::size_t>(f->offset + f->size);
    }
    if (off + len > static_cast<std::size_t>(rec->size)) {
      return false;
    }
    p = data + off;
    return true;
  }

  static bool number(const tep_format_field* f, const tep_record* rec, std::uint64_t& out)
  {
    if (f == nullptr || f->offset + f->size > rec->size) {
      return false;
    }
    unsigned long long v = 0;
    if (tep_read_number_field(const_cast<tep_format_field*>(f), rec->data, &v) != 0) {
      return false;
    }
    out = v;
    return true;
  }

  bool string(const tep_format_field* f, const tep_record* rec, std::string& out) const
  {
    if (f == nullptr) {
      return false;
    }
    const unsigned char* p = nullptr;
    std::size_t len = 0;
    if ((f->flags & TEP_FIELD_IS_DYNAMIC) != 0) {
      if (!dynamic(tep, f, rec, p, len)) {
        return false;
      }
    } else {
      if (f->offset + f->size > rec->size) {
        return false;
      }
      p = static_cast<const unsigned char*>(rec->data) + f->offset;
      len = static_cast<std::size_t>(f->size);
    }
    const void* nul = std::memchr(p, '\0', len);
    const std::size_t n = nul != nullptr ? static_cast<std::size_t>(static_cast<const unsigned char*>(nul) - p) : len;
    out.assign(reinterpret_cast<const char*>(p), n);
    return true;
  }

  bool list(const tep_format_field* f, const tep_record* rec, std::vector<std::uint64_t>& out) const
  {
    out.clear();
    if (f == nullptr) {
      return false;
    }
    const unsigned char* p = nullptr;
    std::size_t len = 0;
    if ((f->flags & TEP_FIELD_IS_DYNAMIC) == 0 || !dynamic(tep, f, rec, p, len)) {
      return false;
    }
    const std::size_t w = element_size(f);
    out.reserve(len / w);
    for (std::size_t i = 0; i + w <= len; i += w) {
      out.push_back(tep_read_number(tep, p + i, static_cast<int>(w)));
    }
    return true;
  }

  bool decode(tep_event* e, tep_record* rec, DmaEvent& ev)
  {
    if (e == nullptr || rec == nullptr || rec->data == nullptr) {
      return false;
    }
    const EventFields& ef = fields(e);
    if (!ef.counted) {
      return false;
    }
    ev.reset(ef.type);
    ev.ts_ns = rec->ts;
    ev.cpu = rec->cpu;
    int pid = -1;
    if (tep_data_pid(tep, rec) >= 0) {
      pid = tep_data_pid(tep, rec);
    }
    ev.pid = pid;
    auto* const* f = ef.f;
    std::uint64_t v = 0;
    string(f[r_device], rec, ev.device);
    if (number(f[r_dir], rec, v)) {
      ev.dir = v <= 3 ? static_cast<DmaDir>(v) : DmaDir::none;
      ev.has_dir = true;
    }
    number(f[r_dma_addr], rec, ev.dma_addr);
    ev.has_phys = number(f[r_phys_addr], rec, ev.phys_addr);
    number(f[r_size], rec, ev.size);
    number(f[r_attrs], rec, ev.attrs);
    ev.has_virt = number(f[r_virt], rec, ev.virt_addr);
    if (number(f[r_gfp], rec, v)) {
      ev.gfp = fmt::format("{:#x}", v);
    }
    list(f[r_phys_list], rec, ev.phys_addrs);
    list(f[r_dma_list], rec, ev.dma_addrs);
    list(f[r_len_list], rec, ev.sizes);
    if (number(f[r_full_nents], rec, v)) {
      ev.full_nents = static_cast<int>(v);
    }
    if (number(f[r_full_ents], rec, v)) {
      ev.full_ents = static_cast<int>(v);
    }
    if (number(f[r_truncated], rec, v)) {
      ev.truncated = v != 0;
    }
    if (number(f[r_err], rec, v)) {
      ev.err = static_cast<int>(static_cast<std::int32_t>(v));
    }
    if (ef.type == EventType::iommu_map || ef.type == EventType::iommu_unmap ||
        ef.type == EventType::iommu_io_page_fault) {
      number(f[r_iova], rec, ev.iova);
    }
    number(f[r_unmapped], rec, ev.unmapped_size);
    string(f[r_driver], rec, ev.driver);
    if (number(f[r_fault_flags], rec, v)) {
      ev.flags = static_cast<int>(v);
    }
    if (number(f[r_gid], rec, v)) {
      ev.group = static_cast<int>(v);
    }
    number(f[r_dma_mask], rec, ev.dma_mask);
    if (number(f[r_force], rec, v)) {
      ev.force = v != 0;
    }
    if (ef.type == EventType::dma_map_sg && !ev.truncated && ev.full_nents > 0 &&
        static_cast<std::size_t>(ev.full_nents) > ev.phys_addrs.size()) {
      ev.truncated = true;
    }
    return true;
  }
};

RecordDecoder::RecordDecoder(tep_handle* tep) : m_impl(std::make_unique<Impl>())
{
  m_impl->tep = tep;
}

RecordDecoder::~RecordDecoder() = default;

bool
RecordDecoder::decode(tep_event* event, tep_record* record, DmaEvent& ev)
{
  return m_impl->decode(event, record, ev);
}

bool
RecordDecoder::decode(tep_record* record, DmaEvent& ev)
{
  if (record == nullptr) {
    return false;
  }
  const int id = tep_data_type(m_impl->tep, record);
  return m_impl->decode(tep_find_event(m_impl->tep, id), record, ev);
}

} // namespace memmap::trace
