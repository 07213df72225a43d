// Names in kernel-log PCI messages (resources, event kinds) and the queries over a parsed log.

#include "kernel_log_text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace memmap::pci {

namespace {

bool
same_bdf(std::string_view a, std::string_view b)
{
  if (a.size() == 7) {  // "01:00.0": domain 0
    return b.size() == 12 && b.starts_with("0000:") && b.substr(5) == a;
  }
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

} // namespace

namespace klog {

// The old form's index into pci_dev.resource[] (CONFIG_PCI_IOV layout: see the header).
LogResourceId
from_resno(unsigned n)
{
  LogResourceId id;
  id.old_resno = n;
  if (n <= 5) {
    id.kind = LogResourceKind::bar;
    id.index = static_cast<int>(n);
  } else if (n == 6) {
    id.kind = LogResourceKind::rom;
  } else if (n <= 12) {
    id.kind = LogResourceKind::vf_bar;
    id.index = static_cast<int>(n - 7);
  } else if (n <= 16) {
    id.kind = LogResourceKind::bridge_window;
    id.index = static_cast<int>(n - 13);
  } else {
    id.kind = LogResourceKind::unknown;
  }
  return id;
}

// probe.c before 6.8: "reg 0x10: [...]" names the config register of the BAR.
LogResourceId
from_reg(std::uint64_t reg)
{
  LogResourceId id;
  id.reg = static_cast<unsigned>(reg);
  if (reg >= 0x10 && reg <= 0x24 && reg % 4 == 0) {
    id.kind = LogResourceKind::bar;
    id.index = static_cast<int>((reg - 0x10) / 4);
  } else if (reg == 0x30 || reg == 0x38) {
    id.kind = LogResourceKind::rom;  // type 0 and type 1 headers
  } else {
    id.kind = LogResourceKind::unknown;  // an SR-IOV capability register, for one
  }
  return id;
}

// A 6.8+ resource name (pci_resource_name()) followed by " [".
std::optional<LogResourceId>
eat_resource_name(std::string_view& s)
{
  std::string_view t = s;
  LogResourceId id;
  auto numbered = [&](LogResourceKind kind, unsigned max) {
    const auto n = eat_dec(t);
    if (!n || *n > max) {
      return false;
    }
    id.kind = kind;
    id.index = static_cast<int>(*n);
    return true;
  };
  bool ok = false;
  if (eat(t, "BAR ")) {
    ok = numbered(LogResourceKind::bar, 5);
  } else if (eat(t, "VF BAR ")) {
    ok = numbered(LogResourceKind::vf_bar, 5);
  } else if (eat(t, "ROM")) {
    id.kind = LogResourceKind::rom;
    ok = true;
  } else if (eat(t, "CardBus bridge window ")) {
    ok = numbered(LogResourceKind::cardbus_window, 1);
  } else if (eat(t, "bridge window")) {
    id.kind = LogResourceKind::bridge_window;
    ok = true;
  } else if (eat(t, "unknown")) {
    id.kind = LogResourceKind::unknown;
    ok = true;
  }
  if (!ok || !t.starts_with(" [")) {
    return std::nullopt;
  }
  t.remove_prefix(1);
  s = t;
  return id;
}

} // namespace klog

std::string_view
to_string(LogEventKind kind)
{
  switch (kind) {
  case LogEventKind::probed: return "probed";
  case LogEventKind::bridge_window: return "bridge_window";
  case LogEventKind::claimed: return "claimed";
  case LogEventKind::assigned: return "assigned";
  case LogEventKind::cant_assign_no_space: return "cant_assign_no_space";
  case LogEventKind::cant_assign_bogus_alignment: return "cant_assign_bogus_alignment";
  case LogEventKind::failed_to_assign: return "failed_to_assign";
  case LogEventKind::cant_claim_no_window: return "cant_claim_no_window";
  case LogEventKind::cant_claim_conflict: return "cant_claim_conflict";
  case LogEventKind::cant_claim_no_address: return "cant_claim_no_address";
  case LogEventKind::releasing: return "releasing";
  case LogEventKind::failed_to_expand: return "failed_to_expand";
  case LogEventKind::reassigned: return "reassigned";
  case LogEventKind::not_assigned_cant_enable: return "not_assigned_cant_enable";
  case LogEventKind::not_claimed_cant_enable: return "not_claimed_cant_enable";
  case LogEventKind::bridge_window_add_size: return "bridge_window_add_size";
  case LogEventKind::root_bus_resource: return "root_bus_resource";
  case LogEventKind::host_window_ignored: return "host_window_ignored";
  case LogEventKind::realloc_advised: return "realloc_advised";
  case LogEventKind::realloc_auto_enabled: return "realloc_auto_enabled";
  case LogEventKind::retry: return "retry";
  case LogEventKind::cmdline: return "cmdline";
  }
  return "?";
}

std::string_view
to_string(LogResourceKind kind)
{
  switch (kind) {
  case LogResourceKind::none: return "none";
  case LogResourceKind::bar: return "bar";
  case LogResourceKind::rom: return "rom";
  case LogResourceKind::vf_bar: return "vf_bar";
  case LogResourceKind::bridge_window: return "bridge_window";
  case LogResourceKind::cardbus_window: return "cardbus_window";
  case LogResourceKind::unknown: return "unknown";
  }
  return "?";
}

std::string_view
to_string(LogForm form)
{
  switch (form) {
  case LogForm::common: return "common";
  case LogForm::before_6_8: return "before_6_8";
  case LogForm::since_6_8: return "since_6_8";
  }
  return "?";
}

std::string
format_resource_id(const LogResourceId& id)
{
  switch (id.kind) {
  case LogResourceKind::bar: return fmt::format("BAR {}", id.index);
  case LogResourceKind::vf_bar: return fmt::format("VF BAR {}", id.index);
  case LogResourceKind::rom: return "ROM";
  case LogResourceKind::bridge_window: return "bridge window";
  case LogResourceKind::cardbus_window: return fmt::format("CardBus bridge window {}", id.index);
  case LogResourceKind::none:
  case LogResourceKind::unknown: break;
  }
  return "?";
}

std::optional<int>
resource_number(const LogResourceId& id)
{
  switch (id.kind) {
  case LogResourceKind::bar:
    return id.index >= 0 ? std::optional<int>(id.index) : std::nullopt;
  case LogResourceKind::rom:
    return 6;
  case LogResourceKind::vf_bar:
    return id.index >= 0 ? std::optional<int>(7 + id.index) : std::nullopt;
  default:
    return std::nullopt;
  }
}

std::vector<const LogEvent*>
KernelLogEvents::for_device(std::string_view bdf) const
{
  std::vector<const LogEvent*> out;
  for (const auto& e : events) {
    if (!e.bdf.empty() && same_bdf(bdf, e.bdf)) {
      out.push_back(&e);
    }
  }
  return out;
}

std::vector<const LogEvent*>
KernelLogEvents::for_resource(std::string_view bdf, const LogResourceId& id) const
{
  std::vector<const LogEvent*> out;
  for (const LogEvent* e : for_device(bdf)) {
    const LogResourceId& r = e->resource;
    if (r.kind != id.kind) {
      continue;
    }
    const bool window = id.kind == LogResourceKind::bridge_window;
    if (window ? (id.index < 0 || r.index < 0 || r.index == id.index) : r.index == id.index) {
      out.push_back(e);
    }
  }
  return out;
}

std::vector<const LogEvent*>
KernelLogEvents::of_kind(LogEventKind kind) const
{
  std::vector<const LogEvent*> out;
  for (const auto& e : events) {
    if (e.kind == kind) {
      out.push_back(&e);
    }
  }
  return out;
}

} // namespace memmap::pci
