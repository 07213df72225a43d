#pragma once

// The kernel log as a source: live /dev/kmsg, a saved log file, or a snapshot's copy.
// Reading only; what the messages mean is pci/kernel_log.hpp's business.
//
// Where a snapshot keeps it: ROOT/var/log/memmap-kmsg (kSnapshotKernelLog), holding the
// /dev/kmsg records exactly as read (one "prio,seq,ts_usec,flags;text" line per record, with
// its " KEY=VALUE" continuation lines), as `memmap snapshot` and the q35 test machine
// (tests/vm) save them. It is not under proc/: nothing in a real /proc has
// that name, so a snapshot cannot be mistaken for a live tree, and var/log is where a log of
// the machine belongs. `--root DIR` reads that file; a plain text log there (dmesg output)
// is read as well, since the format is recognised from the first line.
//
// A log that cannot be read is not an error that stops memmap: every reader returns the
// reason (errno and a message naming the file) in `unavailable`, and the caller says it
// once and goes on with the other sources.

#include <memmap/source/sysroot.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace memmap::source {

inline constexpr std::string_view kSnapshotKernelLog = "var/log/memmap-kmsg";
inline constexpr std::string_view kLiveKernelLog = "/dev/kmsg";

// One /dev/kmsg record (Documentation/ABI/testing/dev-kmsg):
//   "<prio>,<seq>,<ts_usec>,<flags>[,more];<text>\n" then " KEY=VALUE\n" lines.
// prio holds syslog facility << 3 | level; flags is "-" or "c" (a continuation fragment).
struct KmsgRecord {
  unsigned facility = 0;
  unsigned level = 0;
  std::uint64_t seq = 0;
  std::uint64_t ts_usec = 0;
  char flag = '-';
  std::string text;  // "\xNN" escapes undone for printable ASCII (so "\x5c" is "\")
  std::vector<std::pair<std::string, std::string>> dict;  // SUBSYSTEM=pci, DEVICE=+pci:...
};
// One record (its header line plus any continuation lines); nullopt if the header is not
// of that form.
std::optional<KmsgRecord> parse_kmsg_record(std::string_view record);
// True if `text` starts with a kmsg record header (a saved /dev/kmsg read, or a snapshot).
bool looks_like_kmsg(std::string_view text);

struct KernelLog {
  // One message per line, in log order. kmsg records become dmesg lines
  // ("[    0.214242] text"); a text log is kept as it was (CRLF and all: the parser copes).
  std::string text;
  std::string raw;             // read_kmsg: the records as read (what a snapshot saves)
  std::string display;         // "/dev/kmsg", "FILE", "DIR/var/log/memmap-kmsg"
  bool from_kmsg = false;      // records (live or saved) rather than a text log
  std::size_t records = 0;     // kmsg records read
  std::size_t lost = 0;        // EPIPE: records overwritten while reading (the ring moved on)
  bool truncated = false;      // stopped at the size limit
};

struct LogUnavailable {
  std::string what;    // "/dev/kmsg"
  std::string reason;  // "Operation not permitted (reading the kernel log needs root or
                       //  kernel.dmesg_restrict=0)"
  int error = 0;       // errno
};

struct KernelLogRead {
  std::optional<KernelLog> log;
  std::optional<LogUnavailable> unavailable;  // set exactly when log is not
};

// Read /dev/kmsg (or `device`, for tests) without consuming it: opened O_RDONLY|O_NONBLOCK,
// one record per read(), EAGAIN ends it, EPIPE (records overwritten) is counted and reading
// goes on. Stops after `limit` bytes so that a log flood cannot keep it reading.
KernelLogRead read_kmsg(const std::string& device = std::string(kLiveKernelLog),
                        std::size_t limit = std::size_t{64} << 20);
// A saved log (--dmesg FILE): text (dmesg, dmesg -T, journalctl -k, syslog) or kmsg records.
KernelLogRead read_kernel_log_file(const std::string& path,
                                   std::size_t limit = std::size_t{256} << 20);
// The root's kernel log: /dev/kmsg when live, ROOT/var/log/memmap-kmsg under --root.
KernelLogRead read_kernel_log(const SysRoot& root);

// Turn a stream of kmsg records into dmesg lines (what KernelLog::text holds); counts the
// records in *records. Lines that are no record header are skipped.
std::string kmsg_to_text(std::string_view records, std::size_t* count = nullptr);

} // namespace memmap::source
