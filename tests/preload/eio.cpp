// A test-only LD_PRELOAD shim: read(), pread() and pread64() on a file whose path contains
// one of the ','-separated substrings in MEMMAP_TEST_EIO fail with EIO, as a sysfs attribute
// whose driver callback returns -EIO does (a device that stops answering mid-read). The path
// comes from /proc/self/fd/N, so files opened by any means (openat2 included) are covered.
// Everything else is passed to the next definition (libc). Used by tests/cli/races.sh; it is
// not installed and memmap itself never loads it.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <dlfcn.h>
#include <sys/types.h>
#include <unistd.h>

namespace {

bool
should_fail(int fd)
{
  const char* spec = std::getenv("MEMMAP_TEST_EIO");
  if (spec == nullptr || *spec == '\0') {
    return false;
  }
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char target[4096];
  const ssize_t n = ::readlink(link, target, sizeof target - 1);
  if (n <= 0) {
    return false;
  }
  target[n] = '\0';
  const std::string path(target);
  const std::string all(spec);
  std::size_t pos = 0;
  while (pos <= all.size()) {
    std::size_t end = all.find(',', pos);
    if (end == std::string::npos) {
      end = all.size();
    }
    const std::string part = all.substr(pos, end - pos);
    if (!part.empty() && path.find(part) != std::string::npos) {
      return true;
    }
    pos = end + 1;
  }
  return false;
}

template <typename F>
F
next(const char* name)
{
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

} // namespace

extern "C" {

ssize_t
read(int fd, void* buf, size_t count)
{
  static auto real = next<ssize_t (*)(int, void*, size_t)>("read");
  if (should_fail(fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd, buf, count);
}

ssize_t
pread(int fd, void* buf, size_t count, off_t offset)
{
  static auto real = next<ssize_t (*)(int, void*, size_t, off_t)>("pread");
  if (should_fail(fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd, buf, count, offset);
}

ssize_t
pread64(int fd, void* buf, size_t count, off64_t offset)
{
  static auto real = next<ssize_t (*)(int, void*, size_t, off64_t)>("pread64");
  if (should_fail(fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd, buf, count, offset);
}

} // extern "C"
