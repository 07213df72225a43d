#include <memmap/trace/tracker.hpp>

#include <algorithm>
#include <unordered_map>

#include "tracker_table.hpp"

namespace memmap::trace {

using namespace tracker_detail;

struct Tracker::Impl {
  std::unordered_map<std::string, std::uint32_t> dev_index;
  std::vector<DeviceStats> devs;

  Table<SingleKey, SingleKeyHash> singles;
  Table<SingleKey, SingleKeyHash> coherent;
  Table<SgKey, SgKeyHash> sgs;

  std::vector<Unmatched> unmatched_unmaps;
  std::vector<Unmatched> unmatched_frees;
  std::vector<Fault> faults;

  std::uint64_t events = 0;
  std::uint64_t lost = 0;
  std::uint64_t first_ts = 0;
  std::uint64_t last_ts = 0;
  std::uint64_t iommu_maps = 0;
  std::uint64_t iommu_unmaps = 0;
  std::uint64_t iommu_mapped_bytes = 0;
  std::uint64_t iommu_unmapped_bytes = 0;
  SgKey scratch;  // reused key for sg lookups

  std::uint32_t device(const std::string& name)
  {
    auto it = dev_index.find(name);
    if (it != dev_index.end()) {
      return it->second;
    }
    const auto idx = static_cast<std::uint32_t>(devs.size());
    dev_index.emplace(name, idx);
    devs.emplace_back();
    devs.back().device = name;
    return idx;
  }

  void add_entry(DeviceStats& d, const Entry& e)
  {
    ++d.outstanding_count;
    d.outstanding_bytes += e.size;
    if (e.kind == MappingKind::coherent) {
      ++d.coherent_count;
      d.coherent_bytes += e.size;
    }
  }

  void drop_entry(DeviceStats& d, const Entry& e)
  {
    --d.outstanding_count;
    d.outstanding_bytes -= e.size;
    if (e.kind == MappingKind::coherent) {
      --d.coherent_count;
      d.coherent_bytes -= e.size;
    }
  }

  void count_mapped(DeviceStats& d, DmaDir dir, std::uint64_t size)
  {
    d.mapped_bytes[static_cast<std::size_t>(dir)] += size;
    d.largest = std::max(d.largest, size);
  }

  void insert_entry(DeviceStats& d, bool remapped, const Entry& replaced, const Entry& e)
  {
    if (remapped) {
      ++d.remaps;
      drop_entry(d, replaced);
    }
    add_entry(d, e);
  }

  // A matched unmap/free: lifetime (streaming) and the outstanding totals.
  void removed(DeviceStats& d, const Entry& old, const DmaEvent& ev)
  {
    if (old.kind == MappingKind::streaming && ev.ts_ns != 0 && old.ts_ns != 0 &&
        ev.ts_ns >= old.ts_ns) {
      d.lifetimes.add(ev.ts_ns - old.ts_ns);
    }
    drop_entry(d, old);
  }

  Unmatched unmatched(const DeviceStats& d, const DmaEvent& ev, bool was_dead)
  {
    Unmatched u;
    u.device = d.device;
    u.type = ev.type;
    u.dma_addr = ev.dma_addr;
    u.size = ev.size;
    u.ts_ns = ev.ts_ns;
    u.double_unmap = was_dead;
    return u;
  }

  void map_single(std::uint32_t di, const DmaEvent& ev)
  {
    DeviceStats& d = devs[di];
    ++d.maps;
    if (ev.dma_addr == k_dma_mapping_error) {
      ++d.map_failures;
      return;
    }
    count_mapped(d, ev.dir, ev.size);
    if (ev.has_phys) {
      ++(ev.phys_addr == ev.dma_addr ? d.untranslated : d.translated);
    }
    Entry e;
    e.type = ev.type;
    e.dma_addr = ev.dma_addr;
    e.phys_addr = ev.phys_addr;
    e.has_phys = ev.has_phys;
    e.size = ev.size;
    e.dir = ev.dir;
    e.attrs = ev.attrs;
    e.ts_ns = ev.ts_ns;
    Entry old;
    const bool remapped = singles.insert(SingleKey{di, ev.dma_addr}, e, old);
    insert_entry(d, remapped, old, e);
  }

  void unmap_single(std::uint32_t di, const DmaEvent& ev)
  {
    DeviceStats& d = devs[di];
    ++d.unmaps;
    Entry old;
    const auto found = singles.remove(SingleKey{di, ev.dma_addr}, old);
    if (found == decltype(singles)::Found::live) {
      removed(d, old, ev);
      return;
    }
    ++d.unmatched_unmaps;
    if (found == decltype(singles)::Found::dead) {
      ++d.double_unmaps;
    }
    unmatched_unmaps.push_back(unmatched(d, ev, found == decltype(singles)::Found::dead));
  }

  void set_sg_key(std::uint32_t di, const std::vector<std::uint64_t>& phys)
  {
    scratch.dev = di;
    const std::size_t n = std::min(phys.size(), k_sg_key_entries);
    scratch.phys.assign(phys.begin(), phys.begin() + static_cast<std::ptrdiff_t>(n));
  }

  void map_sg(std::uint32_t di, const DmaEvent& ev)
  {
    DeviceStats& d = devs[di];
    ++d.maps;
    Entry e;
    e.type = ev.type;
    e.sg = true;
    e.dma_addr = ev.dma_addrs.empty() ? 0 : ev.dma_addrs.front();
    e.phys_addr = ev.phys_addrs.empty() ? 0 : ev.phys_addrs.front();
    e.has_phys = !ev.phys_addrs.empty();
    e.size = sum(ev.sizes);
    e.dir = ev.dir;
    e.attrs = ev.attrs;
    e.ts_ns = ev.ts_ns;
    e.nents = static_cast<int>(ev.phys_addrs.size());
    e.truncated = ev.truncated;
    count_mapped(d, ev.dir, e.size);
    if (!ev.dma_addrs.empty() && !ev.phys_addrs.empty()) {
      ++(ev.dma_addrs.front() == ev.phys_addrs.front() ? d.untranslated : d.translated);
    }
    set_sg_key(di, ev.phys_addrs);
    Entry old;
    const bool remapped = sgs.insert(scratch, e, old);
    insert_entry(d, remapped, old, e);
  }

  void unmap_sg(std::uint32_t di, const DmaEvent& ev)
  {
    DeviceStats& d = devs[di];
    ++d.unmaps;
    set_sg_key(di, ev.phys_addrs);
    Entry old;
    const auto found = sgs.remove(scratch, old);
    if (found == decltype(sgs)::Found::live) {
      removed(d, old, ev);
      return;
    }
    ++d.unmatched_unmaps;
    const bool dead = found == decltype(sgs)::Found::dead;
    if (dead) {
      ++d.double_unmaps;
    }
    Unmatched u = unmatched(d, ev, dead);
    u.sg = true;
    u.dma_addr = 0;
    u.size = 0;
    u.phys_addr = ev.phys_addrs.empty() ? 0 : ev.phys_addrs.front();
    unmatched_unmaps.push_back(std::move(u));
  }

  void alloc(std::uint32_t di, const DmaEvent& ev)
  {
    DeviceStats& d = devs[di];
    ++d.allocs;
    if (ev.dma_addr == 0 && ev.has_virt && ev.virt_addr == 0) {
      ++d.alloc_failures;
      return;
    }
    Entry e;
    e.type = ev.type;
    e.kind = MappingKind::coherent;
    e.sg = ev.type == EventType::dma_alloc_sgt;
    e.dma_addr = ev.dma_addr;
    if (!ev.phys_addrs.empty()) {
      e.phys_addr = ev.phys_addrs.front();
      e.has_phys = true;
      e.nents = static_cast<int>(ev.phys_addrs.size());
    }
    e.size = ev.size;
    e.dir = ev.dir;
    e.attrs = ev.attrs;
    e.ts_ns = ev.ts_ns;
    count_mapped(d, ev.dir, ev.size);
    Entry old;
    const bool remapped = coherent.insert(SingleKey{di, ev.dma_addr}, e, old);
    insert_entry(d, remapped, old, e);
  }

  void free(std::uint32_t di, const DmaEvent& ev)
  {
    DeviceStats& d = devs[di];
    ++d.frees;
    Entry old;
    const auto found = coherent.remove(SingleKey{di, ev.dma_addr}, old);
    if (found == decltype(coherent)::Found::live) {
      removed(d, old, ev);
      return;
    }
    ++d.unmatched_frees;
    unmatched_frees.push_back(unmatched(d, ev, found == decltype(coherent)::Found::dead));
  }

  void add(const DmaEvent& ev)
  {
    ++events;
    if (ev.ts_ns != 0) {
      if (first_ts == 0) {
        first_ts = ev.ts_ns;
      }
      last_ts = std::max(last_ts, ev.ts_ns);
    }
    switch (event_class(ev.type)) {
    case EventClass::iommu_map:
      ++iommu_maps;
      iommu_mapped_bytes += ev.size;
      return;
    case EventClass::iommu_unmap:
      ++iommu_unmaps;
      iommu_unmapped_bytes += ev.unmapped_size;
      return;
    default:
      break;
    }
    if (ev.device.empty()) {
      return;  // attach/detach without a device name: nothing to attribute
    }
    const std::uint32_t di = device(ev.device);
    DeviceStats& d = devs[di];
    switch (event_class(ev.type)) {
    case EventClass::map_single:
      map_single(di, ev);
      break;
    case EventClass::unmap_single:
      unmap_single(di, ev);
      break;
    case EventClass::map_sg:
      map_sg(di, ev);
      break;
    case EventClass::unmap_sg:
      unmap_sg(di, ev);
      break;
    case EventClass::alloc:
      alloc(di, ev);
      break;
    case EventClass::free:
      free(di, ev);
      break;
    case EventClass::error:
      ++d.errors;
      break;
    case EventClass::sync:
      ++d.syncs;
      break;
    case EventClass::bounce:
      ++d.bounces;
      d.bounce_bytes += ev.size;
      break;
    case EventClass::fault:
      ++d.faults;
      faults.push_back(Fault{ev.device, ev.driver, ev.iova, ev.flags, ev.ts_ns});
      break;
    case EventClass::group:
      if (ev.type == EventType::iommu_add_device_to_group && ev.group >= 0) {
        d.iommu_group = ev.group;
      } else if (ev.type == EventType::iommu_remove_device_from_group) {
        d.iommu_group = -1;
      }
      break;
    case EventClass::iommu_map:
    case EventClass::iommu_unmap:
      break;
    }
  }
};

Tracker::Tracker() : m_impl(std::make_unique<Impl>()) {}
Tracker::~Tracker() = default;
Tracker::Tracker(Tracker&&) noexcept = default;
Tracker& Tracker::operator=(Tracker&&) noexcept = default;

void
Tracker::add(const DmaEvent& ev)
{
  m_impl->add(ev);
}

void
Tracker::add_lost(std::uint64_t n)
{
  m_impl->lost += n;
}

std::uint64_t
Tracker::events() const
{
  return m_impl->events;
}

std::vector<DeviceStats>
Tracker::device_stats() const
{
  std::vector<DeviceStats> out = m_impl->devs;
  std::sort(out.begin(), out.end(),
            [](const DeviceStats& a, const DeviceStats& b) { return a.device < b.device; });
  return out;
}

Summary
Tracker::summary() const
{
  const Impl& m = *m_impl;
  Summary s;
  s.events = m.events;
  s.lost_events = m.lost;
  s.first_ts_ns = m.first_ts;
  s.last_ts_ns = m.last_ts;
  s.iommu_maps = m.iommu_maps;
  s.iommu_unmaps = m.iommu_unmaps;
  s.iommu_mapped_bytes = m.iommu_mapped_bytes;
  s.iommu_unmapped_bytes = m.iommu_unmapped_bytes;
  s.devices = device_stats();
  auto to_mapping = [&](std::uint32_t dev, const Entry& e) {
    Mapping mp;
    mp.device = m.devs[dev].device;
    mp.kind = e.kind;
    mp.type = e.type;
    mp.sg = e.sg;
    mp.dma_addr = e.dma_addr;
    mp.phys_addr = e.phys_addr;
    mp.has_phys = e.has_phys;
    mp.size = e.size;
    mp.dir = e.dir;
    mp.attrs = e.attrs;
    mp.ts_ns = e.ts_ns;
    mp.nents = e.nents;
    mp.truncated = e.truncated;
    return mp;
  };
  for (const auto& [k, e] : m.singles.map) {
    if (e.live) {
      s.outstanding.push_back(to_mapping(k.dev, e));
    }
  }
  for (const auto& [k, e] : m.sgs.map) {
    if (e.live) {
      s.outstanding.push_back(to_mapping(k.dev, e));
    }
  }
  for (const auto& [k, e] : m.coherent.map) {
    if (e.live) {
      s.outstanding.push_back(to_mapping(k.dev, e));
    }
  }
  std::sort(s.outstanding.begin(), s.outstanding.end(), [](const Mapping& a, const Mapping& b) {
    if (a.device != b.device) {
      return a.device < b.device;
    }
    if (a.dma_addr != b.dma_addr) {
      return a.dma_addr < b.dma_addr;
    }
    return a.ts_ns < b.ts_ns;
  });
  s.unmatched_unmaps = m.unmatched_unmaps;
  s.unmatched_frees = m.unmatched_frees;
  s.faults = m.faults;
  return s;
}

} // namespace memmap::trace
