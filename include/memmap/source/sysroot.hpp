// The only place that touches the filesystem. Every path memmap reads is relative to a
// prefix: "/" when live, DIR with --root DIR (a captured sysroot), as util-linux does.
#pragma once

#include <cstddef>
#include <cstdint>
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
  // `rel` itself is there (a dangling symlink counts).
  bool exists(std::string_view rel) const;
  // `rel` and, for a symlink, its target are there.
  bool resolves(std::string_view rel) const;
  bool is_directory(std::string_view rel) const;  // following symlinks
  // access(2) of `rel` with `mode` (R_OK, W_OK, X_OK): the caller's real permissions.
  bool accessible(std::string_view rel, int mode) const;
  // Entry names in a directory, sorted; empty if it is missing.
  std::vector<std::string> list(std::string_view rel) const;
  // Last path component of a symlink's target ("driver" -> "nvme"); nullopt if not a link.
  std::optional<std::string> link_name(std::string_view rel) const;

  // A directory opened once, for reading many small files in it (a PCI function's sysfs
  // attributes): each read is then an openat(2) of one name instead of a walk of the whole
  // path and its symlink. Move-only; closes its descriptor.
  class Dir {
  public:
    Dir() = default;
    Dir(Dir&& o) noexcept;
    Dir& operator=(Dir&& o) noexcept;
    Dir(const Dir&) = delete;
    Dir& operator=(const Dir&) = delete;
    ~Dir();

    bool is_open() const { return m_fd >= 0; }
    int error() const { return m_error; }          // errno when the directory did not open
    const std::string& display() const { return m_display; }

    ReadResult read(std::string_view name, std::size_t limit = std::size_t{1} << 20) const;
    std::optional<std::string> read_line(std::string_view name) const;
    std::optional<std::string> link_name(std::string_view name) const;

  private:
    friend class SysRoot;
    int m_fd = -1;
    int m_error = 0;
    std::string m_display;
  };
  Dir open_dir(std::string_view rel) const;

  // --- Copying a sysroot (memmap snapshot). These resolve every component of `rel` beneath
  // the prefix (openat2 RESOLVE_BENEATH): a link that leads out of it, absolute or through
  // "..", fails with EXDEV instead of being followed.
  enum class EntryType { missing, file, directory, symlink, other };
  struct Entry {
    EntryType type = EntryType::missing;
    std::uint64_t size = 0;  // st_size (a lie for sysfs config and /proc files)
    int error = 0;           // errno when missing for another reason than ENOENT
  };
  // What `rel` itself is; a final symlink is not followed.
  Entry entry(std::string_view rel) const;
  // A symlink's target exactly as stored ("../../../devices/pci0000:00/0000:00:01.0").
  std::optional<std::string> read_link(std::string_view rel) const;
  ReadResult read_beneath(std::string_view rel, std::size_t limit = std::size_t{64} << 20) const;
  // Entry names, sorted; nullopt (with errno in *error) when `rel` is not a readable directory.
  std::optional<std::vector<std::string>> list_beneath(std::string_view rel,
                                                       int* error = nullptr) const;

private:
  std::filesystem::path m_prefix;
  bool m_live;
};

// Where a relative symlink stored at `link_rel` ("sys/bus/pci/devices/X") points, as a
// normalised path relative to the sysroot ("sys/devices/pci0000:00/X"); nullopt when the
// target is absolute, empty, or climbs above the sysroot.
std::optional<std::string> resolve_link_target(std::string_view link_rel,
                                               std::string_view target);

// Open `rel` beneath the directory `dirfd` (openat2 with RESOLVE_BENEATH, plus
// RESOLVE_NO_SYMLINKS when `no_symlinks`); falls back to a lexical check and O_NOFOLLOW on
// kernels without openat2. Returns -1 with errno set on failure.
int open_beneath(int dirfd, std::string_view rel, int flags, unsigned mode = 0,
                 bool no_symlinks = false);

} // namespace memmap::source
