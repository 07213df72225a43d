#include <memmap/source/tracefs.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <memmap/error.hpp>
#include <memmap/util/text.hpp>

namespace memmap::source {

std::string
tracefs_mount_point(std::string_view mounts)
{
  std::string found;
  std::size_t pos = 0;
  while (pos < mounts.size()) {
    const auto nl = mounts.find('\n', pos);
    const std::string_view line =
      mounts.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? mounts.size() : nl + 1;
    const auto fields = util::split_ws(line);
    if (fields.size() < 3 || fields[2] != "tracefs") {
      continue;
    }
    if (fields[1] == k_default_tracefs) {
      return std::string(fields[1]);
    }
    if (found.empty()) {
      found = std::string(fields[1]);
    }
  }
  return found;
}

std::string
find_tracefs(const SysRoot& root)
{
  const auto r = root.read("proc/mounts");
  return r ? tracefs_mount_point(r.data) : std::string();
}

bool
EventsDir::has_header_page() const
{
  return m_root.exists("header_page");
}

std::string
EventsDir::header_page() const
{
  auto r = m_root.read("header_page");
  if (!r) {
    throw SourceError(r.message);
  }
  return std::move(r.data);
}

std::vector<std::pair<std::string, std::string>>
EventsDir::all_formats() const
{
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& sys : m_root.list("")) {
    if (!m_root.is_directory(sys)) {
      continue;
    }
    for (const auto& ev : events(sys)) {
      out.emplace_back(sys, ev);
    }
  }
  return out;
}

std::vector<std::string>
EventsDir::events(const std::string& system) const
{
  std::vector<std::string> out;
  if (system.empty()) {
    return out;
  }
  for (const auto& ev : m_root.list(system)) {
    if (m_root.resolves(system + "/" + ev + "/format")) {
      out.push_back(ev);
    }
  }
  return out;
}

bool
EventsDir::has_system(const std::string& system) const
{
  return !system.empty() && m_root.is_directory(system);
}

std::string
EventsDir::format(const std::string& system, const std::string& event) const
{
  auto r = m_root.read(system + "/" + event + "/format");
  if (!r) {
    throw SourceError(r.message);
  }
  return std::move(r.data);
}

std::optional<std::string>
EventsDir::try_format(const std::string& system, const std::string& event) const
{
  auto r = m_root.read(system + "/" + event + "/format");
  if (!r) {
    return std::nullopt;
  }
  return std::move(r.data);
}

std::string
EventsDir::format_display(const std::string& system, const std::string& event) const
{
  return m_root.display(system + "/" + event + "/format");
}

TraceInput
TraceInput::open(const std::string& path)
{
  TraceInput in;
  in.m_path = path;
  if (path == "-") {
    in.m_fd = STDIN_FILENO;
    in.m_stdin = true;
    in.m_display = "<stdin>";
    return in;
  }
  in.m_display = path;
  in.m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in.m_fd < 0) {
    throw SourceError(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  return in;
}

TraceInput::TraceInput(TraceInput&& o) noexcept
  : m_fd(std::exchange(o.m_fd, -1)), m_stdin(o.m_stdin), m_path(std::move(o.m_path)),
    m_display(std::move(o.m_display))
{
}

TraceInput::~TraceInput()
{
  if (m_fd >= 0 && !m_stdin) {
    ::close(m_fd);
  }
}

std::string
TraceInput::head(std::size_t n) const
{
  if (m_stdin || m_fd < 0) {
    return {};
  }
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(m_fd, out.data() + got, n - got, static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      break;
    }
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

int
TraceInput::reopen_fd() const
{
  if (m_stdin) {
    errno = EBADF;
    return -1;
  }
  return ::fcntl(m_fd, F_DUPFD_CLOEXEC, 0);  // offset 0: head() only preads
}

} // namespace memmap::source
