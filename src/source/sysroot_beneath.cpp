// SysRoot's *_beneath calls (memmap snapshot copies a sysroot): every path component is
// resolved beneath the prefix (openat2 RESOLVE_BENEATH), so a link leading out of it fails.
#include <memmap/source/sysroot.hpp>

#include "sysroot_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <system_error>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <unistd.h>
#include <utility>

namespace fs = std::filesystem;

namespace memmap::source {

using namespace detail;

int
open_beneath(int dirfd, std::string_view rel_in, int flags, unsigned mode, bool no_symlinks)
{
  const std::string rel(rel_in.empty() ? std::string_view(".") : rel_in);
  struct open_how how {};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) != 0 ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  if (fd >= 0 || errno != ENOSYS) {
    return static_cast<int>(fd);
  }
  // No openat2 (Linux < 5.6): refuse ".." and absolute paths; the final component is not
  // followed when it is a link.
  if (rel != "." && !lexically_beneath(rel)) {
    errno = EXDEV;
    return -1;
  }
  return ::openat(dirfd, rel.c_str(), flags | O_CLOEXEC | (no_symlinks ? O_NOFOLLOW : 0),
                  static_cast<mode_t>(mode));
}

std::optional<std::string>
resolve_link_target(std::string_view link_rel, std::string_view target)
{
  if (target.empty() || target.front() == '/') {
    return std::nullopt;
  }
  std::vector<std::string> parts;
  auto push = [&](std::string_view path) -> bool {
    std::size_t pos = 0;
    while (pos <= path.size()) {
      const auto slash = path.find('/', pos);
      const auto part = path.substr(pos, slash == std::string_view::npos ? path.npos : slash - pos);
      if (part == "..") {
        if (parts.empty()) {
          return false;
        }
        parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.emplace_back(part);
      }
      if (slash == std::string_view::npos) {
        break;
      }
      pos = slash + 1;
    }
    return true;
  };
  link_rel = strip_slashes(link_rel);
  const auto slash = link_rel.rfind('/');
  if (slash != std::string_view::npos && !push(link_rel.substr(0, slash))) {
    return std::nullopt;
  }
  if (!push(target) || parts.empty()) {
    return std::nullopt;
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) {
      out += '/';
    }
    out += p;
  }
  return out;
}

SysRoot::Entry
SysRoot::entry(std::string_view rel) const
{
  Entry e;
  PrefixFd root(m_prefix);
  if (root.get() < 0) {
    e.error = errno;
    return e;
  }
  const int fd = open_beneath(root.get(), strip_slashes(rel), O_PATH | O_NOFOLLOW);
  if (fd < 0) {
    e.error = errno == ENOENT || errno == ENOTDIR ? 0 : errno;
    return e;
  }
  struct stat st {};
  const int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc != 0) {
    e.error = errno;
    return e;
  }
  e.size = static_cast<std::uint64_t>(st.st_size);
  if (S_ISREG(st.st_mode)) {
    e.type = EntryType::file;
  } else if (S_ISDIR(st.st_mode)) {
    e.type = EntryType::directory;
  } else if (S_ISLNK(st.st_mode)) {
    e.type = EntryType::symlink;
  } else {
    e.type = EntryType::other;
  }
  return e;
}

std::optional<std::string>
SysRoot::read_link(std::string_view rel) const
{
  rel = strip_slashes(rel);
  PrefixFd root(m_prefix);
  if (root.get() < 0 || rel.empty()) {
    return std::nullopt;
  }
  const auto slash = rel.rfind('/');
  const std::string_view parent = slash == std::string_view::npos ? "." : rel.substr(0, slash);
  const std::string leaf(slash == std::string_view::npos ? rel : rel.substr(slash + 1));
  const int dfd = open_beneath(root.get(), parent, O_PATH | O_DIRECTORY);
  if (dfd < 0) {
    return std::nullopt;
  }
  char buf[4096];
  const ssize_t n = ::readlinkat(dfd, leaf.c_str(), buf, sizeof buf);
  ::close(dfd);
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof buf) {
    return std::nullopt;
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

ReadResult
SysRoot::read_beneath(std::string_view rel, std::size_t limit) const
{
  PrefixFd root(m_prefix);
  if (root.get() < 0) {
    return open_failed(m_prefix.string());
  }
  const int fd = open_beneath(root.get(), strip_slashes(rel), O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    return open_failed(display(rel));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
    ::close(fd);
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    return open_failed(display(rel));
  }
  return read_fd(fd, display(rel), limit);
}

std::optional<std::vector<std::string>>
SysRoot::list_beneath(std::string_view rel, int* error) const
{
  PrefixFd root(m_prefix);
  const int fd = root.get() < 0 ? -1
                                : open_beneath(root.get(), strip_slashes(rel),
                                               O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    if (error != nullptr) {
      *error = errno;
    }
    return std::nullopt;
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    if (error != nullptr) {
      *error = errno;
    }
    ::close(fd);
    return std::nullopt;
  }
  std::vector<std::string> names;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace memmap::source

