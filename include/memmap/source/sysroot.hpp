// The only place that touches the filesystem. Every path memmap reads is relative to a
// prefix: "/" when live, DIR with --root DIR (a captured sysroot), as util-linux does.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memmap::source {

struct ReadResult {
  bool ok = false;
  std::string data;
  int error = 0;            // errno when !ok
  std::string message;      // "DISPLAY: reason" when !ok

  explicit operator bool() const { return ok; }
};

// Read a whole file (works for /proc and sysfs files whose stat size is 0 or a lie).
// Reads at most `limit` bytes; `display` names the file in messages.
ReadResult read_file(const std::filesystem::path& path, const std::string& display,
                     std::size_t limit = std::size_t{64} << 20);

class SysRoot {
public:
  explicit SysRoot(std::filesystem::path prefix = "/");

  const std::filesystem::path& prefix() const { return m_prefix; }
  bool is_live() const { return m_live; }

  // Absolute path of `rel` ("proc/iomem") under the prefix.
  std::filesystem::path path(std::string_view rel) const;
  // How to name `rel` to the user: "/proc/iomem" live, "DIR/proc/iomem" under --root.
  std::string display(std::string_view rel) const;

  ReadResult read(std::string_view rel, std::size_t limit = std::size_t{64} << 20) const;
  // First line, trailing whitespace removed; nullopt if unreadable.
  std::optional<std::string> read_line(std::string_view rel) const;
  bool exists(std::string_view rel) const;
  // Entry names in a directory, sorted; empty if it is missing.
  std::vector<std::string> list(std::string_view rel) const;
  // Last path component of a symlink's target ("driver" -> "nvme"); nullopt if not a link.
  std::optional<std::string> link_name(std::string_view rel) const;

private:
  std::filesystem::path m_prefix;
  bool m_live;
};

} // namespace memmap::source
