// The files memmap trace reads: where tracefs is mounted (/proc/mounts), the event format
// files of a directory laid out like tracefs `events/` (a live /sys/kernel/tracing/events or
// the corpus `formats/6.18/`), and a saved trace given with --input (a file or stdin).
// Reading only; libtraceevent / libtracecmd decode what is read here (trace/record_decoder).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <memmap/source/sysroot.hpp>

namespace memmap::source {

inline constexpr const char* k_default_tracefs = "/sys/kernel/tracing";

// The tracefs mount point in the text of /proc/mounts ("DEV DIR TYPE ..." per line): "" if
// none, /sys/kernel/tracing when it is one of several. A line with fewer than three fields,
// or one of any length or content, is passed over; nothing here is trusted to be short.
std::string tracefs_mount_point(std::string_view mounts);
// The same, read from ROOT/proc/mounts ("" when it cannot be read).
std::string find_tracefs(const SysRoot& root);

// A directory laid out like tracefs events/: DIR/header_page and DIR/SYS/EVENT/format.
class EventsDir {
public:
  explicit EventsDir(const std::string& dir) : m_dir(dir), m_root(dir) {}

  const std::string& dir() const { return m_dir; }
  bool has_header_page() const;
  // DIR/header_page; throws SourceError "FILE: reason" when it cannot be read.
  std::string header_page() const;
  // Every SYS/EVENT with a format file, sorted by system, then event.
  std::vector<std::pair<std::string, std::string>> all_formats() const;
  // The events of one system that have a format file, sorted ("" system: none).
  std::vector<std::string> events(const std::string& system) const;
  bool has_system(const std::string& system) const;
  // DIR/SYS/EVENT/format; throws SourceError "FILE: reason".
  std::string format(const std::string& system, const std::string& event) const;
  // The same, nullopt when it cannot be read.
  std::optional<std::string> try_format(const std::string& system,
                                        const std::string& event) const;
  // "DIR/SYS/EVENT/format" as shown to the user.
  std::string format_display(const std::string& system, const std::string& event) const;

private:
  std::string m_dir;
  SysRoot m_root;
};

// A saved trace (--input FILE, "-" for stdin), opened once. Move-only; closes its descriptor
// (never stdin's).
class TraceInput {
public:
  // Throws SourceError "FILE: reason" when the file cannot be opened.
  static TraceInput open(const std::string& path);
  TraceInput(TraceInput&& o) noexcept;
  TraceInput& operator=(TraceInput&& o) = delete;
  TraceInput(const TraceInput&) = delete;
  TraceInput& operator=(const TraceInput&) = delete;
  ~TraceInput();

  int fd() const { return m_fd; }
  bool is_stdin() const { return m_stdin; }
  const std::string& path() const { return m_path; }
  const std::string& display() const { return m_display; }  // "<stdin>" or the path
  // Up to `n` bytes from the start of the file without moving its offset ("" for stdin,
  // which cannot be read twice, and for a file that cannot be read).
  std::string head(std::size_t n) const;
  // A new descriptor of the file from its start, for a reader that takes ownership
  // (libtracecmd); -1 with errno set on failure.
  int reopen_fd() const;

private:
  TraceInput() = default;
  int m_fd = -1;
  bool m_stdin = false;
  std::string m_path;
  std::string m_display;
};

} // namespace memmap::source
