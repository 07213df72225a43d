#pragma once

// The kernel log's account of PCI resource placement, as typed events. A pure parser:
// text in (a `dmesg`, `dmesg -T`, `journalctl -k` or syslog capture, or /dev/kmsg records
// flattened by source/kernel_log.hpp), events out. Nothing here opens a file.
//
// Both message generations are recognised. Since Linux 6.8 (Bjorn Helgaas' "PCI: Use
// resource names in PCI log messages" series, pci_resource_name() in drivers/pci/pci.c)
// every message names the resource first: "BAR 1 [mem size 0x400000000 64bit pref]: can't
// assign; no space". Before it the BAR number came first and the resource after the verb:
// "BAR 1: no space for [mem size 0x400000000 64bit pref]". Which kernel function prints which
// form is cited in src/pci/kernel_log.cpp, next to the code that reads it.
//
// Lines that match no known form are skipped, never guessed at; hostile input (truncated,
// binary, huge, invalid UTF-8) yields fewer events, never a crash or a hang.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memmap::pci {

enum class LogEventKind {
  probed,                    // BAR/ROM as found at enumeration: "BAR 0 [mem ...]" / "reg 0x10: [mem ...]"
  bridge_window,             // "  bridge window [mem ...]": a bridge's window as read or programmed
  claimed,                   // "quirk: [io ...] claimed by ICH6 ACPI/GPIO/TCO"
  assigned,                  // "...: assigned" / "BAR n: assigned [...]"
  cant_assign_no_space,      // "...: can't assign; no space" / "BAR n: no space for [...]"
  cant_assign_bogus_alignment,  // "...: can't assign; bogus alignment" / "(bogus alignment)"
  failed_to_assign,          // "...: failed to assign" / "BAR n: failed to assign [...]"
  cant_claim_no_window,      // "...: can't claim; no compatible bridge window"
  cant_claim_conflict,       // "...: can't claim; address conflict with NAME [...]"
  cant_claim_no_address,     // "...: can't claim; no address assigned"
  releasing,                 // "...: releasing" / "BAR n: releasing [...]"
  failed_to_expand,          // "...: failed to expand by 0x..." / "(failed to expand by 0x...)"
  reassigned,                // "...: reassigned; expanded by 0x..."
  not_assigned_cant_enable,  // "...: not assigned; can't enable device"
  not_claimed_cant_enable,   // "...: not claimed; can't enable device"
  bridge_window_add_size,    // "bridge window [...] to [bus 02-05] add_size 0x.. add_align 0x.."
  root_bus_resource,         // "pci_bus 0000:00: root bus resource [mem ... window]"
  host_window_ignored,       // "acpi PNP0A08:00: host bridge window [mem ...] (ignored, not
                             //  CPU addressable)": an aperture the root bus never gets
  realloc_advised,           // "Some PCI device resources are unassigned, try booting with pci=realloc"
  realloc_auto_enabled,      // "Automatically enabled pci realloc, ..."
  retry,                     // "No. 2 try to assign unassigned res"
  cmdline,                   // "Command line: ..." / "Kernel command line: ..."
};
std::string_view to_string(LogEventKind kind);

// Which resource of a device a message is about.
enum class LogResourceKind { none, bar, rom, vf_bar, bridge_window, cardbus_window, unknown };
std::string_view to_string(LogResourceKind kind);

struct LogResourceId {
  LogResourceKind kind = LogResourceKind::none;
  int index = -1;  // BAR n / VF BAR n / CardBus window n; -1 where the message gives none
  // Before 6.8 messages named the resource by its index in pci_dev.resource[] ("BAR 13").
  // 0-5 are BARs and 6 the ROM everywhere; 7-12 are VF BARs and 13-16 bridge windows in a
  // kernel built with CONFIG_PCI_IOV (every distribution kernel), and that is how `kind`
  // is set; the number as printed stays here.
  std::optional<unsigned> old_resno;
  std::optional<unsigned> reg;  // config offset of "reg 0x10: [...]" (probe.c before 6.8)

  bool operator==(const LogResourceId&) const = default;
};
// "BAR 1", "ROM", "VF BAR 0", "bridge window", "CardBus bridge window 0", "?".
std::string format_resource_id(const LogResourceId& id);
// The resource's number as memmap's audit subjects and bar JSON give it: BARs 0-5, the ROM 6,
// VF BARs 7-12; nullopt for windows and resources without a number.
std::optional<int> resource_number(const LogResourceId& id);

// A resource as lib/vsprintf.c's %pR / %pr prints it.
enum class LogSpace { unknown, io, mem, irq, dma, bus };
struct LogRange {
  LogSpace space = LogSpace::unknown;
  bool size_only = false;          // "[mem size 0x400000]": IORESOURCE_UNSET, no address yet
  std::uint64_t start = 0;         // valid when !size_only
  std::uint64_t end = 0;           // valid when !size_only
  std::uint64_t size = 0;          // end - start + 1, or the printed size
  bool is_64bit = false;           // " 64bit"  (IORESOURCE_MEM_64)
  bool prefetchable = false;       // " pref"   (IORESOURCE_PREFETCH)
  bool window = false;             // " window" (IORESOURCE_WINDOW)
  bool disabled = false;           // " disabled" (IORESOURCE_DISABLED)
  std::optional<std::uint64_t> raw_flags;  // " flags 0x..." (%pr, or a type %pR cannot name)

  bool operator==(const LogRange&) const = default;
};
// Parse "[mem 0x...-0x... 64bit pref]" (with its brackets); nullopt if not that form.
std::optional<LogRange> parse_log_range(std::string_view s);

// The kernel command line and the PCI options on it (drivers/pci/pci.c pci_setup(): they
// are sub-options of pci=, e.g. "pci=realloc,hpmmioprefsize=8G").
struct KernelCmdline {
  std::string text;
  std::vector<std::string> pci_options;          // every pci= sub-option, in order
  std::optional<bool> realloc;                   // pci=realloc / realloc=on / realloc=off
  std::optional<std::uint64_t> hpiosize;         // memparse() values: 0x, K M G T P E
  std::optional<std::uint64_t> hpmmiosize;
  std::optional<std::uint64_t> hpmmioprefsize;   // hpmemsize= sets this and hpmmiosize
  std::optional<std::uint64_t> hpbussize;
};
KernelCmdline parse_kernel_cmdline(std::string_view text);

// Which generation's wording a message used.
enum class LogForm {
  common,      // the same before and since 6.8 ("root bus resource", "add_size", ...)
  before_6_8,  // "BAR 1: no space for [...]", "reg 0x10: [...]", "can't claim BAR 0 [...]: ..."
  since_6_8,   // "BAR 1 [...]: can't assign; no space"
};
std::string_view to_string(LogForm form);

struct LogEvent {
  std::size_t line = 0;               // 1-based line of the log text
  LogEventKind kind = LogEventKind::probed;
  LogForm form = LogForm::common;
  std::string driver;                 // "pci", "pcieport", "mpt3sas", "pci_bus"; "" for none
  std::string bdf;                    // "0000:01:00.0"; "" when not about a device
  std::string bus;                    // "0000:00" for pci_bus messages; the ACPI device
                                      // ("PNP0A08:00") for host_window_ignored
  LogResourceId resource;
  std::optional<LogRange> range;      // the resource as printed
  std::string conflict_name;          // cant_claim_conflict: "BOOTFB", "PCI Bus 0000:00"
  std::optional<LogRange> conflict;   // cant_claim_conflict: its range
  std::optional<LogRange> bus_range;  // bridge_window_add_size: "[bus 02-05]"
  std::optional<std::uint64_t> add_size;   // bridge_window_add_size (hex as printed)
  std::optional<std::uint64_t> add_align;  // bridge_window_add_size
  std::optional<std::uint64_t> expand_by;  // failed_to_expand / reassigned
  std::optional<LogRange> bus_address;     // root_bus_resource: " (bus address [...])"
  std::optional<unsigned> attempt;         // retry: "No. 2"
  std::optional<KernelCmdline> cmdline;    // cmdline
  std::string text;  // the whole line as logged (CR removed; bytes outside printable ASCII
                     // written \xNN as the kernel does)
};

struct KernelLogEvents {
  std::deque<LogEvent> events;  // a deque: no relocation of large events while it grows
  std::size_t lines = 0;          // lines read
  std::size_t long_lines = 0;     // lines over kMaxLogLine bytes, skipped
  std::optional<KernelCmdline> cmdline;  // the last command line seen

  // Events about `bdf` ("0000:01:00.0"; "01:00.0" means domain 0), in log order.
  std::vector<const LogEvent*> for_device(std::string_view bdf) const;
  // Events about one resource of `bdf`. A bridge window matches any bridge-window message
  // of the device: 6.8+ messages give no window number (the range's space and pref say
  // which); set `id.index` to select the old-form number as well.
  std::vector<const LogEvent*> for_resource(std::string_view bdf, const LogResourceId& id) const;
  std::vector<const LogEvent*> of_kind(LogEventKind kind) const;
};

// Lines longer than this are not kernel messages (a printk record holds at most 1 KiB of
// text, and a journal or syslog prefix adds little); they are counted and skipped.
inline constexpr std::size_t kMaxLogLine = 4096;

KernelLogEvents parse_kernel_log(std::string_view text);
// One line (line number for the event); nullopt when it is no PCI resource message.
std::optional<LogEvent> parse_kernel_log_line(std::string_view line, std::size_t line_no);
// The message text without a log prefix (dmesg "[ 0.1] ", dmesg -T "[Mon Dec  7 ...] ",
// "<6>", dmesg -x "kern  :info  : ", journalctl / syslog "Dec 07 17:24:04 host kernel: ",
// short-iso, short-monotonic, caller ids "[T1]"); nullopt for a journal or syslog line
// from another program than the kernel.
std::optional<std::string_view> strip_log_prefix(std::string_view line);

} // namespace memmap::pci
