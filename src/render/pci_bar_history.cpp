// `memmap bar`: each resource's kernel history (the kernel log's account of probing, claiming
// and assigning it), in text and JSON. Only resources with more than their probe line.
#include "pci_internal.hpp"

#include <map>

#include <fmt/format.h>

namespace memmap::render {

using pci::Device;
using pci::LogEvent;
using pci::LogEventKind;

namespace pci_detail {

namespace {

// The resource a message is about, as one key: a bridge window by its space ("bridge window
// pref"), since 6.8 messages give no window number.
std::string
resource_key(const LogEvent& ev)
{
  std::string k = pci::format_resource_id(ev.resource);
  if (ev.resource.kind == pci::LogResourceKind::bridge_window && ev.range) {
    k += ev.range->space == pci::LogSpace::io ? " io" : ev.range->prefetchable ? " pref" : " mem";
  }
  return k;
}

bool
routine(LogEventKind k)
{
  return k == LogEventKind::probed || k == LogEventKind::bridge_window;
}

} // namespace

std::string
event_phrase(const LogEvent& ev)
{
  switch (ev.kind) {
  case LogEventKind::probed: return "probed";
  case LogEventKind::bridge_window: return "window read";
  case LogEventKind::claimed: return "claimed by a quirk";
  case LogEventKind::assigned: return "assigned";
  case LogEventKind::cant_assign_no_space: return "can't assign: no space";
  case LogEventKind::cant_assign_bogus_alignment: return "can't assign: bogus alignment";
  case LogEventKind::failed_to_assign: return "failed to assign";
  case LogEventKind::cant_claim_no_window: return "can't claim: no compatible bridge window";
  case LogEventKind::cant_claim_conflict:
    return "can't claim: conflict with " + (ev.conflict_name.empty() ? "?" : ev.conflict_name);
  case LogEventKind::cant_claim_no_address: return "can't claim: no address";
  case LogEventKind::releasing: return "released";
  case LogEventKind::failed_to_expand: return "failed to expand";
  case LogEventKind::reassigned: return "reassigned, expanded";
  case LogEventKind::not_assigned_cant_enable: return "not assigned: device not enabled";
  case LogEventKind::not_claimed_cant_enable: return "not claimed: device not enabled";
  case LogEventKind::bridge_window_add_size: return "add_size asked";
  default: return std::string(pci::to_string(ev.kind));
  }
}

std::vector<ResourceHistory>
kernel_history(const pci::KernelLogEvents& log, const Device& d)
{
  std::vector<ResourceHistory> out;
  std::map<std::string, std::size_t> at;
  for (const LogEvent* ev : log.for_device(d.bdf)) {
    if (ev->resource.kind == pci::LogResourceKind::none
        || ev->resource.kind == pci::LogResourceKind::unknown) {
      continue;
    }
    const std::string key = resource_key(*ev);
    auto [it, fresh] = at.try_emplace(key, out.size());
    if (fresh) {
      out.push_back({key, pci::resource_number(ev->resource), {}, false});
    }
    auto& h = out[it->second];
    h.events.push_back(ev);
    h.eventful = h.eventful || !routine(ev->kind);
  }
  std::erase_if(out, [](const ResourceHistory& h) { return !h.eventful; });
  return out;
}

void
write_history(const Device& d, const BarRenderContext& ctx, std::ostream& out)
{
  if (!ctx.klog) {
    return;
  }
  const auto hist = kernel_history(*ctx.klog, d);
  if (hist.empty()) {
    return;
  }
  out << fmt::format("  kernel log ({}{}):\n", ctx.klog_display,
                     ctx.klog_records ? ", by message" : ", by line");
  for (const auto& h : hist) {
    std::string steps;
    std::string lines;
    for (const auto* ev : h.events) {
      steps += (steps.empty() ? "" : "; ") + event_phrase(*ev);
      lines += (lines.empty() ? "" : ",") + std::to_string(ev->line);
    }
    out << fmt::format("    {}: {} ({})\n", h.resource, steps, lines);
  }
}

Json
history_json(const Device& d, const BarRenderContext& ctx)
{
  if (!ctx.klog) {
    return nullptr;
  }
  Json arr = Json::array();
  for (const auto& h : kernel_history(*ctx.klog, d)) {
    Json evs = Json::array();
    for (const auto* ev : h.events) {
      evs.push_back({{"line", ev->line}, {"kind", std::string(pci::to_string(ev->kind))},
                     {"text", ev->text}});
    }
    arr.push_back({{"resource", h.resource},
                   {"number", h.number ? Json(*h.number) : Json(nullptr)},
                   {"events", std::move(evs)}});
  }
  return arr;
}

} // namespace pci_detail

} // namespace memmap::render
