#include <memmap/source/sysroot.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <system_error>
#include <unistd.h>

namespace fs = std::filesystem;

namespace memmap::source {

ReadResult
read_file(const fs::path& path, const std::string& display, std::size_t limit)
{
  ReadResult res;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    res.error = errno;
    res.message = fmt::format("{}: {}", display, std::strerror(res.error));
    return res;
  }
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
  auto r = read(rel, 1 << 20);
  if (!r) {
    return std::nullopt;
  }
  auto nl = r.data.find('\n');
  std::string s = r.data.substr(0, nl);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

bool
SysRoot::exists(std::string_view rel) const
{
  std::error_code ec;
  return fs::exists(fs::symlink_status(path(rel), ec)) && !ec;
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
  std::error_code ec;
  const auto target = fs::read_symlink(path(rel), ec);
  if (ec) {
    return std::nullopt;
  }
  auto name = target.filename().string();
  if (name.empty()) {
    name = target.parent_path().filename().string();
  }
  return name;
}

} // namespace memmap::source
