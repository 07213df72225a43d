#include <memmap/source/kernel_log.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace memmap::source {

namespace {

bool
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

// A decimal field up to `stop`; nullopt unless all digits and it fits.
std::optional<std::uint64_t>
field(std::string_view& s, char stop)
{
  std::size_t i = 0;
  std::uint64_t v = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (i >= 19) {
      return std::nullopt;
    }
    v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
    ++i;
  }
  if (i == 0 || i >= s.size() || s[i] != stop) {
    return std::nullopt;
  }
  s.remove_prefix(i + 1);
  return v;
}

int
hex_value(char c)
{
  if (is_digit(c)) {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

// devkmsg_read() writes bytes below ' ', from 127 up, and '\' itself as "\xNN". Undo that
// for printable ASCII only; anything else stays escaped, so a line stays one line.
std::string
unescape(std::string_view s)
{
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
      const int hi = hex_value(s[i + 2]);
      const int lo = hex_value(s[i + 3]);
      const int c = hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
      if (c >= 0x20 && c < 0x7f) {
        out += static_cast<char>(c);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string
dmesg_line(const KmsgRecord& r)
{
  return fmt::format("[{:5}.{:06}] {}\n", r.ts_usec / 1000000, r.ts_usec % 1000000, r.text);
}

LogUnavailable
unavailable(const std::string& what, int error)
{
  LogUnavailable u;
  u.what = what;
  u.error = error;
  u.reason = std::strerror(error);
  if (error == EPERM || error == EACCES) {
    u.reason += what == kLiveKernelLog
                  ? " (reading the kernel log needs root or kernel.dmesg_restrict=0)"
                  : " (the log file is not readable by this user)";
  }
  return u;
}

KernelLogRead
failed(const std::string& what, int error)
{
  KernelLogRead r;
  r.unavailable = unavailable(what, error);
  return r;
}

} // namespace

std::optional<KmsgRecord>
parse_kmsg_record(std::string_view rec)
{
  const std::size_t nl = rec.find('\n');
  std::string_view head = rec.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view{} : rec.substr(nl + 1);
  KmsgRecord r;
  const auto prio = field(head, ',');
  const auto seq = prio ? field(head, ',') : std::nullopt;
  const auto ts = seq ? field(head, ',') : std::nullopt;
  if (!ts || *prio > 0xffff || head.empty()) {
    return std::nullopt;
  }
  r.facility = static_cast<unsigned>(*prio >> 3);
  r.level = static_cast<unsigned>(*prio & 7);
  r.seq = *seq;
  r.ts_usec = *ts;
  // flags, then optional ",caller=T1" style fields (CONFIG_PRINTK_CALLER), then ';'
  const std::size_t semi = head.find(';');
  if (semi == std::string_view::npos || semi == 0) {
    return std::nullopt;
  }
  r.flag = head[0];
  r.text = unescape(head.substr(semi + 1));
  while (!rest.empty() && rest[0] == ' ') {
    const std::size_t e = rest.find('\n');
    const std::string_view kv = rest.substr(1, e == std::string_view::npos ? e : e - 1);
    rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e + 1);
    const std::size_t eq = kv.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      r.dict.emplace_back(std::string(kv.substr(0, eq)), unescape(kv.substr(eq + 1)));
    }
  }
  return r;
}

bool
looks_like_kmsg(std::string_view text)
{
  const std::string_view first = text.substr(0, text.find('\n'));
  const auto r = parse_kmsg_record(first);
  return r.has_value();
}

std::string
kmsg_to_text(std::string_view records, std::size_t* count)
{
  std::string out;
  std::size_t n = 0;
  std::size_t pos = 0;
  while (pos < records.size()) {
    // a record: its header line and the " KEY=VALUE" lines after it
    std::size_t end = records.find('\n', pos);
    while (end != std::string_view::npos && end + 1 < records.size() && records[end + 1] == ' ') {
      end = records.find('\n', end + 1);
    }
    const std::size_t stop = end == std::string_view::npos ? records.size() : end;
    if (const auto r = parse_kmsg_record(records.substr(pos, stop - pos))) {
      out += dmesg_line(*r);
      ++n;
    }
    pos = stop + 1;
  }
  if (count) {
    *count = n;
  }
  return out;
}

KernelLogRead
read_kmsg(const std::string& device, std::size_t limit)
{
  const int fd = ::open(device.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return failed(device, errno);
  }
  KernelLog log;
  log.display = device;
  log.from_kmsg = true;
  std::string buf(16384, '\0');  // a record is at most 8 KiB of text plus its dictionary
  std::size_t bytes = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EPIPE) {
        ++log.lost;  // the ring overwrote records since the last read: go on with the next
        if (log.lost > 1000000) {
          break;
        }
        continue;
      }
      if (errno == EAGAIN) {
        break;  // the end of the log as it stands now
      }
      const int e = errno;
      ::close(fd);
      return failed(device, e);
    }
    if (n == 0) {
      break;  // a regular file given as the device (tests): its end
    }
    const std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
    bytes += chunk.size();
    std::size_t count = 0;
    log.text += kmsg_to_text(chunk, &count);
    log.records += count;
    log.raw.append(chunk);
    if (log.raw.empty() || log.raw.back() != '\n') {
      log.raw += '\n';  // one record per read(), each ends its line
    }
    if (bytes >= limit) {
      log.truncated = true;
      break;
    }
  }
  ::close(fd);
  KernelLogRead r;
  r.log = std::move(log);
  return r;
}

KernelLogRead
read_kernel_log_file(const std::string& path, std::size_t limit)
{
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return failed(path, errno);
  }
  KernelLog log;
  log.display = path;
  std::string data;
  std::string buf(1 << 16, '\0');
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int e = errno;
      ::close(fd);
      return failed(path, e);
    }
    if (n == 0) {
      break;
    }
    data.append(buf.data(), static_cast<std::size_t>(n));
    if (data.size() >= limit) {
      log.truncated = true;
      break;
    }
  }
  ::close(fd);
  if (looks_like_kmsg(data)) {
    log.from_kmsg = true;
    log.text = kmsg_to_text(data, &log.records);
  } else {
    log.text = std::move(data);
  }
  KernelLogRead r;
  r.log = std::move(log);
  return r;
}

KernelLogRead
read_kernel_log(const SysRoot& root)
{
  if (root.is_live()) {
    return read_kmsg();
  }
  KernelLogRead r = read_kernel_log_file(root.path(kSnapshotKernelLog).string());
  const std::string display = root.display(kSnapshotKernelLog);
  if (r.log) {
    r.log->display = display;
  } else {
    r.unavailable->what = display;
  }
  return r;
}

} // namespace memmap::source
