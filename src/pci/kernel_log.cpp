// PCI resource messages of the kernel log, both generations, read from the kernel's own
// format strings in public copies of several versions: the dev_info() era (4.x), the
// pci_info() era before 6.8 (5.x to 6.7, including printk-index string tables), and 6.8+ up
// to 6.18.38 (the 6.8 change is Bjorn Helgaas' "PCI: Use resource names in PCI log
// messages", which added pci_resource_name() to drivers/pci/pci.c and rewrote the strings
// below). No kernel code is copied; only the wording the messages have.
//
// drivers/pci/setup-res.c
//   pci_assign_resource()    6.8+: "%s %pR: can't assign; bogus alignment" "...: can't assign;
//                            no space" "...: failed to assign" "...: assigned"
//                            before: "BAR %d: can't assign %pR (bogus alignment)" "BAR %d: no
//                            space for %pR" "BAR %d: failed to assign %pR" "BAR %d: assigned %pR"
//   pci_claim_resource()     6.8+: "%s %pR: can't claim; no address assigned" / "; no
//                            compatible bridge window" / "; address conflict with %s %pR"
//                            before: "can't claim BAR %d %pR: no address assigned" / ": no
//                            compatible bridge window" / ": address conflict with %s %pR"
//   pci_reassign_resource()  6.8+: "%s %pR: failed to expand by %#llx" "%s %pR: reassigned;
//                            expanded by %#llx"; before: "BAR %d: %pR (failed to expand by
//                            %#llx)" "BAR %d: reassigned %pR (expanded by %#llx)"
//   pci_release_resource()   6.8+: "%s %pR: releasing"; before: "BAR %d: releasing %pR"
//   pci_enable_resources()   6.8+: "%s %pR: not assigned; can't enable device" / "not
//                            claimed; ..."; before: "can't enable device: BAR %d %pR not
//                            assigned" / "not claimed"
// drivers/pci/probe.c
//   __pci_read_base()        6.8+: "%s %pR"; before: "reg 0x%x: %pR"
//   pci_read_bridge_io/mmio/mmio_pref()  "  bridge window %pR" (both)
//   pci_register_host_bridge()           "root bus resource %pR%s", %s = " (bus address
//                                        [%#06llx-%#06llx])" or [%#010llx-%#010llx]
// drivers/pci/setup-bus.c
//   pbus_size_mem()/pbus_size_io()  "bridge window %pR to %pR add_size %llx add_align %llx"
//   pci_setup_bridge_io/mmio/mmio_pref()  "  bridge window %pR"
//   pci_assign_unassigned_root_bus_resources()  "Some PCI device resources are unassigned, try
//        booting with pci=realloc", "Automatically enabled pci realloc, if you have problem,
//        try booting with pci=realloc=off", "No. %d try to assign unassigned res" (dev_info on
//        the bus, or pr_info with "PCI: " in newer and much older kernels)
// drivers/pci/quirks.c quirk_io_region(): "quirk: %pR claimed by %s"
// drivers/pci/pci.c pci_resource_name(): "BAR 0".."BAR 5", "ROM", "VF BAR 0".."VF BAR 5",
//   "bridge window", CardBus "CardBus bridge window 0/1", and "unknown".
// arch/x86/kernel/setup.c "Command line: %s"; init/main.c "Kernel command line: %s".

#include "kernel_log_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace memmap::pci {

using klog::eat;
using klog::eat_dec;
using klog::eat_hex;
using klog::eat_range;
using klog::eat_resource_name;
using klog::from_reg;
using klog::from_resno;

namespace {

bool
is_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string
lower(std::string_view s)
{
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// "DDDD:BB" (a bus) at the front of `s`; the length read, 0 if none. Domains may be wider
// than four digits (VMD uses 10000 and up).
std::size_t
bus_name_length(std::string_view s)
{
  std::size_t i = 0;
  while (i < s.size() && i < 8 && is_hex(s[i])) {
    ++i;
  }
  if (i < 4 || i + 3 > s.size() || s[i] != ':' || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) {
    return 0;
  }
  return i + 3;
}

// "DDDD:BB:DD.F" at the front of `s`; the length read, 0 if none.
std::size_t
bdf_length(std::string_view s)
{
  const std::size_t b = bus_name_length(s);
  if (b == 0 || b + 5 > s.size() || s[b] != ':' || !is_hex(s[b + 1]) || !is_hex(s[b + 2]) ||
      s[b + 3] != '.' || s[b + 4] < '0' || s[b + 4] > '7') {
    return 0;
  }
  return b + 5;
}

// Printable ASCII as is, every other byte as the kernel escapes it in /dev/kmsg: "\xNN".
std::string
escaped(std::string_view s)
{
  const bool plain = std::all_of(s.begin(), s.end(), [](char ch) {
    return static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7f;
  });
  if (plain) {
    return std::string(s);
  }
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else if (c == '\t') {
      out += ' ';
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

// "NAME [range]" at the end of a conflict message: the name may hold spaces ("PCI Bus
// 0000:00"), the range is the last bracket.
bool
eat_conflict(std::string_view s, LogEvent& ev)
{
  const std::size_t open = s.rfind(" [");
  if (open == std::string_view::npos || open == 0) {
    return false;
  }
  std::string_view r = s.substr(open + 1);
  auto range = eat_range(r);
  if (!range || !r.empty()) {
    return false;
  }
  ev.conflict_name = escaped(s.substr(0, open));
  ev.conflict = range;
  return true;
}

// "bridge window [...] to [bus 02-05] add_size 200000 add_align 100000" after the first range.
bool
eat_add_size(std::string_view s, LogEvent& ev)
{
  if (!eat(s, " to ")) {
    return false;
  }
  ev.bus_range = eat_range(s);
  if (!ev.bus_range || !eat(s, " add_size ") || !(ev.add_size = eat_hex(s))) {
    return false;
  }
  if (eat(s, " add_align ")) {
    ev.add_align = eat_hex(s);  // 3.x kernels printed add_size alone
    if (!ev.add_align) {
      return false;
    }
  }
  ev.kind = LogEventKind::bridge_window_add_size;
  ev.form = LogForm::common;
  return s.empty();
}

// The 6.8+ verb after "NAME [range]: ".
bool
new_verb(std::string_view v, LogEvent& ev)
{
  struct Plain {
    std::string_view text;
    LogEventKind kind;
  };
  static constexpr Plain plain[] = {
    {"can't assign; no space", LogEventKind::cant_assign_no_space},
    {"can't assign; bogus alignment", LogEventKind::cant_assign_bogus_alignment},
    {"failed to assign", LogEventKind::failed_to_assign},
    {"assigned", LogEventKind::assigned},
    {"releasing", LogEventKind::releasing},
    {"can't claim; no compatible bridge window", LogEventKind::cant_claim_no_window},
    {"can't claim; no address assigned", LogEventKind::cant_claim_no_address},
    {"not assigned; can't enable device", LogEventKind::not_assigned_cant_enable},
    {"not claimed; can't enable device", LogEventKind::not_claimed_cant_enable},
  };
  for (const auto& p : plain) {
    if (v == p.text) {
      ev.kind = p.kind;
      return true;
    }
  }
  if (eat(v, "can't claim; address conflict with ")) {
    ev.kind = LogEventKind::cant_claim_conflict;
    return eat_conflict(v, ev);
  }
  const bool failed = eat(v, "failed to expand by ");
  if (failed || eat(v, "reassigned; expanded by ")) {
    ev.kind = failed ? LogEventKind::failed_to_expand : LogEventKind::reassigned;
    ev.expand_by = eat_hex(v);
    return ev.expand_by && v.empty();
  }
  return false;
}

// Before 6.8: "BAR %d: VERB %pR..." (the "BAR " and number already read).
bool
old_bar_verb(std::string_view v, LogEvent& ev)
{
  struct Old {
    std::string_view text;
    LogEventKind kind;
    std::string_view tail;
  };
  static constexpr Old forms[] = {
    {"no space for ", LogEventKind::cant_assign_no_space, ""},
    {"failed to assign ", LogEventKind::failed_to_assign, ""},
    {"assigned ", LogEventKind::assigned, ""},
    {"releasing ", LogEventKind::releasing, ""},
    {"can't assign ", LogEventKind::cant_assign_bogus_alignment, " (bogus alignment)"},
  };
  for (const auto& f : forms) {
    std::string_view t = v;
    if (eat(t, f.text)) {
      ev.kind = f.kind;
      ev.range = eat_range(t);
      return ev.range && t == f.tail;
    }
  }
  const bool reassigned = eat(v, "reassigned ");
  ev.range = eat_range(v);
  if (!ev.range) {
    return false;
  }
  ev.kind = reassigned ? LogEventKind::reassigned : LogEventKind::failed_to_expand;
  if (!eat(v, reassigned ? " (expanded by " : " (failed to expand by ")) {
    return false;
  }
  ev.expand_by = eat_hex(v);
  return ev.expand_by && v == ")";
}

// Everything after "DRIVER DDDD:BB:DD.F: ".
bool
device_message(std::string_view s, LogEvent& ev)
{
  if (eat(s, "  bridge window ")) {
    ev.kind = LogEventKind::bridge_window;
    ev.resource.kind = LogResourceKind::bridge_window;
    ev.range = eat_range(s);
    return ev.range && s.empty();
  }
  if (eat(s, "quirk: ")) {
    ev.range = eat_range(s);
    if (!ev.range || !eat(s, " claimed by ") || s.empty()) {
      return false;
    }
    ev.kind = LogEventKind::claimed;
    ev.conflict_name = escaped(s);  // the owner the quirk claimed it for
    return true;
  }
  if (auto id = eat_resource_name(s)) {
    ev.resource = *id;
    ev.range = eat_range(s);
    if (!ev.range) {
      return false;
    }
    if (s.empty()) {
      ev.kind = LogEventKind::probed;
      ev.form = LogForm::since_6_8;
      return true;
    }
    if (s.starts_with(" to ")) {
      return eat_add_size(s, ev);
    }
    ev.form = LogForm::since_6_8;
    return eat(s, ": ") && new_verb(s, ev);
  }
  ev.form = LogForm::before_6_8;
  if (eat(s, "BAR ")) {
    const auto n = eat_dec(s);
    if (!n || *n > 64 || !eat(s, ": ")) {
      return false;
    }
    ev.resource = from_resno(static_cast<unsigned>(*n));
    return old_bar_verb(s, ev);
  }
  if (eat(s, "reg 0x")) {
    const auto reg = eat_hex(s);
    if (!reg || *reg > 0xfff || !eat(s, ": ")) {
      return false;
    }
    ev.resource = from_reg(*reg);
    ev.kind = LogEventKind::probed;
    ev.range = eat_range(s);
    return ev.range && s.empty();
  }
  const bool claim = eat(s, "can't claim BAR ");
  if (claim || eat(s, "can't enable device: BAR ")) {
    const auto n = eat_dec(s);
    if (!n || *n > 64 || !eat(s, " ")) {
      return false;
    }
    ev.resource = from_resno(static_cast<unsigned>(*n));
    ev.range = eat_range(s);
    if (!ev.range) {
      return false;
    }
    if (!claim) {
      ev.kind = s == " not assigned"  ? LogEventKind::not_assigned_cant_enable
                : s == " not claimed" ? LogEventKind::not_claimed_cant_enable
                                      : LogEventKind::probed;
      return ev.kind != LogEventKind::probed;
    }
    if (s == ": no compatible bridge window") {
      ev.kind = LogEventKind::cant_claim_no_window;
      return true;
    }
    if (s == ": no address assigned") {
      ev.kind = LogEventKind::cant_claim_no_address;
      return true;
    }
    ev.kind = LogEventKind::cant_claim_conflict;
    return eat(s, ": address conflict with ") && eat_conflict(s, ev);
  }
  return false;
}

// Messages about the root-bus resource pass, with or without a "pci_bus DDDD:BB: " or
// "PCI: " prefix.
bool
bus_message(std::string_view s, LogEvent& ev)
{
  ev.form = LogForm::common;
  if (s.starts_with("Some PCI device resources are unassigned, try booting with pci=realloc")) {
    ev.kind = LogEventKind::realloc_advised;
    return true;
  }
  if (s.starts_with("Automatically enabled pci realloc")) {
    ev.kind = LogEventKind::realloc_auto_enabled;
    return true;
  }
  if (eat(s, "No. ")) {
    const auto n = eat_dec(s);
    if (!n || *n > 1000 || s != " try to assign unassigned res") {
      return false;
    }
    ev.kind = LogEventKind::retry;
    ev.attempt = static_cast<unsigned>(*n);
    return true;
  }
  if (eat(s, "root bus resource ")) {
    ev.kind = LogEventKind::root_bus_resource;
    ev.range = eat_range(s);
    if (!ev.range) {
      return false;
    }
    if (s.empty()) {
      return true;
    }
    // " (bus address [%#06llx-%#06llx])": a bracket without a type word
    if (!eat(s, " (bus address [")) {
      return false;
    }
    const auto a = eat_hex(s);
    const bool dash = a && eat(s, "-");
    const auto b = dash ? eat_hex(s) : std::nullopt;
    if (!b || *b < *a || s != "])") {
      return false;
    }
    LogRange r = *ev.range;
    r.start = *a;
    r.end = *b;
    r.size = *b - *a + 1;
    ev.bus_address = r;
    return true;
  }
  return false;
}

bool
message(std::string_view msg, LogEvent& ev)
{
  std::string_view s = msg;
  if (eat(s, "Command line: ") || eat(s, "Kernel command line: ")) {
    ev.kind = LogEventKind::cmdline;
    ev.cmdline = parse_kernel_cmdline(escaped(s));
    return true;
  }
  if (eat(s, "PCI: ")) {
    return bus_message(s, ev);
  }
  // "acpi PNP0A08:00: host bridge window [mem ...] (ignored, not CPU addressable)": the ACPI
  // host-bridge setup dropping a _CRS window above the CPU's physical address width, so the
  // root bus never gets that aperture.
  if (const std::size_t at = s.substr(0, 64).find(": host bridge window ");
      at != std::string_view::npos) {
    const std::size_t sp0 = s.substr(0, at).find(' ');
    std::string_view rest = s.substr(at + 21);
    ev.range = eat_range(rest);
    if (!ev.range || !rest.starts_with(" (ignored")) {
      return false;
    }
    ev.kind = LogEventKind::host_window_ignored;
    ev.form = LogForm::common;
    ev.driver = sp0 == std::string_view::npos ? std::string() : escaped(s.substr(0, sp0));
    ev.bus = escaped(s.substr(sp0 == std::string_view::npos ? 0 : sp0 + 1,
                              at - (sp0 == std::string_view::npos ? 0 : sp0 + 1)));
    return true;
  }
  const std::size_t sp = s.substr(0, 48).find(' ');
  if (sp == std::string_view::npos || sp == 0) {
    return bus_message(s, ev);
  }
  std::string_view after = s.substr(sp + 1);
  if (const std::size_t n = bdf_length(after); n && after.substr(n).starts_with(": ")) {
    ev.driver = escaped(s.substr(0, sp));
    ev.bdf = lower(after.substr(0, n));
    return device_message(after.substr(n + 2), ev);
  }
  if (const std::size_t n = bus_name_length(after); n && after.substr(n).starts_with(": ")) {
    ev.driver = escaped(s.substr(0, sp));
    ev.bus = lower(after.substr(0, n));
    return bus_message(after.substr(n + 2), ev);
  }
  return bus_message(s, ev);
}

// Every message read here holds a resource "[...]" but these four: the command line and the
// three realloc messages of setup-bus.c.
bool
candidate(std::string_view m)
{
  return m.find('[') != std::string_view::npos || m.find("ommand line: ") < 24 ||
         m.find(" try to assign unassigned res") != std::string_view::npos ||
         m.find("pci realloc") != std::string_view::npos ||
         m.find("pci=realloc") != std::string_view::npos;
}

} // namespace

std::optional<LogEvent>
parse_kernel_log_line(std::string_view line, std::size_t line_no)
{
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.remove_suffix(1);
  }
  if (line.size() > kMaxLogLine) {
    return std::nullopt;
  }
  const auto msg = strip_log_prefix(line);
  if (!msg || msg->size() < 8) {
    return std::nullopt;
  }
  if (!candidate(*msg)) {
    return std::nullopt;  // most lines: decided without building an event
  }
  LogEvent ev;
  if (!message(*msg, ev)) {
    return std::nullopt;
  }
  ev.line = line_no;
  ev.text = escaped(line);
  return std::optional<LogEvent>(std::move(ev));
}

KernelLogEvents
parse_kernel_log(std::string_view text)
{
  KernelLogEvents out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const std::size_t end =
      nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++out.lines;
    if (line.size() > kMaxLogLine + 1) {
      ++out.long_lines;
      continue;
    }
    if (auto ev = parse_kernel_log_line(line, out.lines)) {
      if (ev->cmdline) {
        out.cmdline = ev->cmdline;
      }
      out.events.push_back(std::move(*ev));
    }
  }
  return out;
}

} // namespace memmap::pci
