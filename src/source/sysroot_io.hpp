// Helpers shared by source/sysroot.cpp and source/sysroot_beneath.cpp. Private to src/source.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <memmap/source/sysroot.hpp>

namespace memmap::source::detail {

// Read `fd` to EOF (sysfs sizes lie; /proc files stat as 0) and close it.
ReadResult read_fd(int fd, const std::string& display, std::size_t limit);
// The failed open's errno as a ReadResult ("DISPLAY: reason").
ReadResult open_failed(const std::string& display);
std::string_view strip_slashes(std::string_view rel);
// `rel` has no ".." that climbs above its start.
bool lexically_beneath(std::string_view rel);
std::optional<std::string> read_first_line(int fd);
std::optional<std::string> link_last_component(const char* buf, ssize_t n, std::size_t cap);

// Directory fd of the prefix, for the *_beneath calls.
class PrefixFd {
public:
  explicit PrefixFd(const std::filesystem::path& prefix)
    : m_fd(::open(prefix.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC))
  {
  }
  ~PrefixFd()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  PrefixFd(const PrefixFd&) = delete;
  PrefixFd& operator=(const PrefixFd&) = delete;
  int get() const { return m_fd; }

private:
  int m_fd;
};

} // namespace memmap::source::detail
