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

namespace detail {

// Read `fd` to EOF (sysfs sizes lie; /proc files stat as 0) and close it.
ReadResult
read_fd(int fd, const std::string& display, std::size_t limit)
{
  ReadResult res;
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      res.error = errno;
      res.message = fmt::format("{}: read failed at offset {}: {}", display, data.size(),
                                std::strerror(res.error));
      ::close(fd);
      return res;
    }
    if (n == 0) {
      break;
    }
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > limit) {
      res.error = EFBIG;
      res.message = fmt::format("{}: larger than {} bytes; refusing to read further",
                                display, limit);
      ::close(fd);
      return res;
    }
  }
  ::close(fd);
  res.ok = true;
  res.data = std::move(data);
  return res;
}

ReadResult
open_failed(const std::string& display)
{
  ReadResult res;
  res.error = errno;
  res.message = res.error == EXDEV
                  ? fmt::format("{}: a symbolic link on the way leads out of the sysroot; "
                                "not followed", display)
                  : fmt::format("{}: {}", display, std::strerror(res.error));
  return res;
}

std::string_view
strip_slashes(std::string_view rel)
{
  while (!rel.empty() && rel.front() == '/') {
    rel.remove_prefix(1);
  }
  while (!rel.empty() && rel.back() == '/') {
    rel.remove_suffix(1);
  }
  return rel;
}

// Lexical check for kernels without openat2: no "..", no absolute path.
bool
lexically_beneath(std::string_view rel)
{
  if (rel.empty() || rel.front() == '/') {
    return false;
  }
  std::size_t pos = 0;
  while (pos <= rel.size()) {
    const auto slash = rel.find('/', pos);
    const auto part = rel.substr(pos, slash == std::string_view::npos ? rel.npos : slash - pos);
    if (part == "..") {
      return false;
    }
    if (slash == std::string_view::npos) {
      break;
    }
    pos = slash + 1;
  }
  return true;
}

// The first line of `fd` (which this closes), trailing whitespace removed; nullopt if fd < 0
// or a read fails. Reads until the first newline only: a sysfs attribute comes whole in one
// read(2), so this skips the read that would only confirm the end of the file.
std::optional<std::string>
read_first_line(int fd)
{
  if (fd < 0) {
    return std::nullopt;
  }
  std::string s;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) {
      break;
    }
    const std::string_view chunk(buf, static_cast<std::size_t>(n));
    const auto nl = chunk.find('\n');
    s.append(chunk.substr(0, nl));
    if (nl != std::string_view::npos || s.size() > (std::size_t{1} << 20)) {
      break;
    }
  }
  ::close(fd);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

// The last component of a link target of length `n` read into `buf` ("../../nvme" -> "nvme");
// nullopt when readlink failed, the target filled the buffer, or it ends in "." or "..".
std::optional<std::string>
link_last_component(const char* buf, ssize_t n, std::size_t cap)
{
  if (n <= 0 || static_cast<std::size_t>(n) >= cap) {
    return std::nullopt;
  }
  std::string_view target(buf, static_cast<std::size_t>(n));
  while (target.size() > 1 && target.back() == '/') {
    target.remove_suffix(1);
  }
  const auto slash = target.rfind('/');
  const std::string name(slash == std::string_view::npos ? target : target.substr(slash + 1));
  if (name.empty() || name == "." || name == "..") {
    return std::nullopt;
  }
  return name;
}

} // namespace detail

using namespace detail;

ReadResult
read_file(const fs::path& path, const std::string& display, std::size_t limit)
{
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return open_failed(display);
  }
  return read_fd(fd, display, limit);
}

SysRoot::SysRoot(fs::path prefix)
  : m_prefix(prefix.empty() ? fs::path("/") : std::move(prefix)),
    m_live(m_prefix == "/")
{
}

fs::path
SysRoot::path(std::string_view rel) const
{
  while (!rel.empty() && rel.front() == '/') {
    rel.remove_prefix(1);
  }
  return m_prefix / fs::path(rel);
}

std::string
SysRoot::display(std::string_view rel) const
{
  return path(rel).lexically_normal().string();
}

ReadResult
SysRoot::read(std::string_view rel, std::size_t limit) const
{
  return read_file(path(rel), display(rel), limit);
}

std::optional<std::string>
SysRoot::read_line(std::string_view rel) const
{
  return read_first_line(::open(path(rel).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
}

bool
SysRoot::exists(std::string_view rel) const
{
  std::error_code ec;
  return fs::exists(fs::symlink_status(path(rel), ec)) && !ec;
}

bool
SysRoot::resolves(std::string_view rel) const
{
  std::error_code ec;
  return fs::exists(path(rel), ec) && !ec;
}

bool
SysRoot::is_directory(std::string_view rel) const
{
  std::error_code ec;
  return fs::is_directory(path(rel), ec) && !ec;
}

bool
SysRoot::accessible(std::string_view rel, int mode) const
{
  return ::access(path(rel).c_str(), mode) == 0;
}

std::vector<std::string>
SysRoot::list(std::string_view rel) const
{
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(path(rel), ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::string>
SysRoot::link_name(std::string_view rel) const
{
  char buf[4096];
  return link_last_component(buf, ::readlink(path(rel).c_str(), buf, sizeof buf), sizeof buf);
}

SysRoot::Dir::Dir(Dir&& o) noexcept
  : m_fd(std::exchange(o.m_fd, -1)), m_error(o.m_error), m_display(std::move(o.m_display))
{
}

SysRoot::Dir&
SysRoot::Dir::operator=(Dir&& o) noexcept
{
  if (this != &o) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = std::exchange(o.m_fd, -1);
    m_error = o.m_error;
    m_display = std::move(o.m_display);
  }
  return *this;
}

SysRoot::Dir::~Dir()
{
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

SysRoot::Dir
SysRoot::open_dir(std::string_view rel) const
{
  Dir d;
  d.m_display = display(rel);
  d.m_fd = ::open(path(rel).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  d.m_error = d.m_fd < 0 ? errno : 0;
  return d;
}

ReadResult
SysRoot::Dir::read(std::string_view name, std::size_t limit) const
{
  const std::string leaf(name);
  const std::string shown = m_display + "/" + leaf;
  if (m_fd < 0) {
    errno = m_error;
    return open_failed(shown);
  }
  const int fd = ::openat(m_fd, leaf.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return open_failed(shown);
  }
  return read_fd(fd, shown, limit);
}

std::optional<std::string>
SysRoot::Dir::read_line(std::string_view name) const
{
  if (m_fd < 0) {
    return std::nullopt;
  }
  return read_first_line(::openat(m_fd, std::string(name).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
}

std::optional<std::string>
SysRoot::Dir::link_name(std::string_view name) const
{
  if (m_fd < 0) {
    return std::nullopt;
  }
  char buf[4096];
  return link_last_component(buf, ::readlinkat(m_fd, std::string(name).c_str(), buf, sizeof buf),
                             sizeof buf);
}

} // namespace memmap::source
