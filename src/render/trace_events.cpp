// memmap trace --events: one decoded event as a JSON line or a text line.
#include "trace_common.hpp"

#include <memmap/render/control_filter.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <ostream>

#include <fmt/format.h>

namespace memmap::render {

using namespace memmap::trace;
using namespace trace_detail;

Json
event_to_json(const DmaEvent& ev)
{
  Json j = render::json_document();
  j["type"] = "event";
  j["ts"] = seconds(ev.ts_ns);
  j["cpu"] = ev.cpu;
  j["pid"] = ev.pid;
  if (!ev.comm.empty()) {
    j["comm"] = ev.comm;
  }
  j["system"] = std::string(event_system(ev.type));
  j["event"] = std::string(event_name(ev.type));
  if (!ev.device.empty()) {
    j["device"] = ev.device;
  }
  const EventClass cls = event_class(ev.type);
  auto list = [](const std::vector<std::uint64_t>& v) {
    Json a = Json::array();
    for (auto x : v) {
      a.push_back(hex0x(x));
    }
    return a;
  };
  switch (cls) {
  case EventClass::iommu_map:
  case EventClass::iommu_unmap:
    j["iova"] = hex0x(ev.iova);
    j["size"] = ev.size;
    if (cls == EventClass::iommu_map) {
      j["phys_addr"] = hex0x(ev.phys_addr);
    } else {
      j["unmapped_size"] = ev.unmapped_size;
    }
    return j;
  case EventClass::fault:
    j["driver"] = ev.driver;
    j["iova"] = hex0x(ev.iova);
    j["flags"] = ev.flags;
    j["write"] = (ev.flags & 1) != 0;
    return j;
  case EventClass::group:
    if (ev.group >= 0) {
      j["group"] = ev.group;
    }
    return j;
  case EventClass::bounce:
    j["dma_addr"] = hex0x(ev.dma_addr);
    j["dma_mask"] = hex0x(ev.dma_mask);
    j["size"] = ev.size;
    j["force"] = ev.force;
    return j;
  default:
    break;
  }
  j["dir"] = std::string(to_string(ev.dir));
  const bool sg_like = !ev.phys_addrs.empty() || !ev.dma_addrs.empty() || cls == EventClass::map_sg ||
                       cls == EventClass::unmap_sg;
  if (cls == EventClass::map_sg || cls == EventClass::unmap_sg ||
      ev.type == EventType::dma_sync_sg_for_cpu || ev.type == EventType::dma_sync_sg_for_device ||
      ev.type == EventType::dma_map_sg_err) {
    j["phys_addrs"] = list(ev.phys_addrs);
    if (cls != EventClass::unmap_sg) {
      j["dma_addrs"] = list(ev.dma_addrs);
      j["sizes"] = ev.sizes;
    }
    if (ev.full_nents >= 0) {
      j["full_nents"] = ev.full_nents;
      j["full_ents"] = ev.full_ents;
    }
    if (cls == EventClass::map_sg) {
      j["truncated"] = ev.truncated;
      std::uint64_t total = 0;
      for (auto x : ev.sizes) {
        total += x;
      }
      j["size"] = total;
      if (!ev.dma_addrs.empty()) {
        j["dma_addr"] = hex0x(ev.dma_addrs.front());
      }
    }
    if (ev.type == EventType::dma_map_sg_err) {
      j["err"] = ev.err;
    }
  } else {
    j["dma_addr"] = hex0x(ev.dma_addr);
    j["size"] = ev.size;
    if (ev.has_phys) {
      j["phys_addr"] = hex0x(ev.phys_addr);
      j["translated"] = ev.phys_addr != ev.dma_addr;
    }
    if (sg_like) {
      j["phys_addrs"] = list(ev.phys_addrs);
    }
    if (!ev.gfp.empty()) {
      j["gfp"] = ev.gfp;
    }
  }
  j["attrs"] = attrs_to_string(ev.attrs);
  return j;
}

std::string
event_to_text(const DmaEvent& ev)
{
  std::string s = fmt::format("{:>17} [{:03}] {:<22} ", seconds(ev.ts_ns), ev.cpu < 0 ? 0 : ev.cpu,
                              event_name(ev.type));
  const EventClass cls = event_class(ev.type);
  switch (cls) {
  case EventClass::iommu_map:
    return s + fmt::format("iova {} size {} -> phys {}", hex0x(ev.iova), ev.size,
                           hex0x(ev.phys_addr));
  case EventClass::iommu_unmap:
    return s + fmt::format("iova {} size {} unmapped {}", hex0x(ev.iova), ev.size,
                           ev.unmapped_size);
  case EventClass::fault:
    return s + fmt::format("{} ({}) iova {} {}", ev.device, ev.driver, hex0x(ev.iova),
                           (ev.flags & 1) != 0 ? "write" : "read");
  case EventClass::group:
    return s + ev.device + (ev.group >= 0 ? fmt::format(" group {}", ev.group) : "");
  case EventClass::bounce:
    return s + fmt::format("{} orig {} size {}{}", ev.device, hex0x(ev.dma_addr), ev.size,
                           ev.force ? " FORCE" : "");
  default:
    break;
  }
  s += fmt::format("{} {}", ev.device, to_string(ev.dir));
  if (cls == EventClass::map_sg || cls == EventClass::unmap_sg ||
      ev.type == EventType::dma_map_sg_err || ev.type == EventType::dma_sync_sg_for_cpu ||
      ev.type == EventType::dma_sync_sg_for_device) {
    std::uint64_t total = 0;
    for (auto x : ev.sizes) {
      total += x;
    }
    s += fmt::format(" nents {}", ev.phys_addrs.size());
    if (!ev.dma_addrs.empty()) {
      s += fmt::format(" dma {} ({} segs, {})", hex0x(ev.dma_addrs.front()), ev.dma_addrs.size(),
                       human_size(total));
    }
    if (!ev.phys_addrs.empty()) {
      s += fmt::format(" phys {}", hex0x(ev.phys_addrs.front()));
    }
    if (ev.truncated) {
      s += fmt::format(" [truncated, {} entries]", ev.full_nents);
    }
  } else {
    s += fmt::format(" dma {} size {}", hex0x(ev.dma_addr), ev.size);
    if (ev.has_phys) {
      s += fmt::format(" phys {}{}", hex0x(ev.phys_addr),
                       ev.phys_addr == ev.dma_addr ? " (untranslated)" : "");
    }
  }
  if (ev.attrs != 0) {
    s += " " + attrs_to_string(ev.attrs);
  }
  return s;
}

} // namespace memmap::render
