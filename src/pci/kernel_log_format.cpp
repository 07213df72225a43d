// The pieces of a kernel log line that are not the PCI message itself: the %pR resource
// text, the log prefixes that dmesg, journalctl and syslog put in front of a message, and
// the kernel command line. The messages are in kernel_log.cpp.

#include "kernel_log_text.hpp"

#include <memmap/util/hex.hpp>

#include <array>

namespace memmap::pci {

namespace klog {

bool
eat(std::string_view& s, std::string_view prefix)
{
  if (!s.starts_with(prefix)) {
    return false;
  }
  s.remove_prefix(prefix.size());
  return true;
}

std::optional<std::uint64_t>
eat_hex(std::string_view& s)
{
  std::string_view t = s;
  if (t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    t.remove_prefix(2);
  }
  std::size_t n = 0;
  while (n < t.size() && util::hex_digit(t[n]) >= 0) {
    ++n;
  }
  if (n == 0) {
    return std::nullopt;
  }
  const auto v = util::parse_hex_u64(t.substr(0, n));  // nullopt past 64 bits
  if (v) {
    s = t.substr(n);
  }
  return v;
}

std::optional<std::uint64_t>
eat_dec(std::string_view& s)
{
  std::size_t n = 0;
  std::uint64_t v = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') {
    if (n >= 19) {
      return std::nullopt;  // more than fits: not a number the kernel printed
    }
    v = v * 10 + static_cast<std::uint64_t>(s[n] - '0');
    ++n;
  }
  if (n == 0) {
    return std::nullopt;
  }
  s.remove_prefix(n);
  return v;
}

// One resource as lib/vsprintf.c resource_string() writes it for %pR (decode) and %pr
// (raw), the same in 5.10, 6.1, 6.8 and 6.12 (only the buffer handling changed):
//   "[" + "io  " | "mem " | "irq " | "dma " | "bus " | "??? "   (the last: no decode)
//   + "size " SIZE                 when decoding and IORESOURCE_UNSET (no address yet)
//   | START [ "-" END ]           END left out when start == end
//   + " 64bit" " pref" " window" " disabled"   (decode)   | " flags 0x..."   (raw, ???)
//   + "]"
// io numbers are printed 0x%04llx-wide, mem 0x%08llx, bus %02llx without 0x, irq/dma decimal.
std::optional<LogRange>
eat_range(std::string_view& s)
{
  std::string_view t = s;
  if (!eat(t, "[")) {
    return std::nullopt;
  }
  LogRange r;
  if (eat(t, "io ")) {
    r.space = LogSpace::io;
  } else if (eat(t, "mem ")) {
    r.space = LogSpace::mem;
  } else if (eat(t, "irq ")) {
    r.space = LogSpace::irq;
  } else if (eat(t, "dma ")) {
    r.space = LogSpace::dma;
  } else if (eat(t, "bus ")) {
    r.space = LogSpace::bus;
  } else if (eat(t, "??? ")) {
    r.space = LogSpace::unknown;
  } else {
    return std::nullopt;
  }
  while (eat(t, " ")) {
  }
  const bool decimal = r.space == LogSpace::irq || r.space == LogSpace::dma;
  auto number = [&](std::string_view& u) { return decimal ? eat_dec(u) : eat_hex(u); };
  if (eat(t, "size ")) {
    const auto size = number(t);
    if (!size) {
      return std::nullopt;
    }
    r.size_only = true;
    r.size = *size;
  } else {
    const auto start = number(t);
    if (!start) {
      return std::nullopt;
    }
    r.start = r.end = *start;
    if (eat(t, "-")) {
      const auto end = number(t);
      if (!end || *end < *start) {
        return std::nullopt;
      }
      r.end = *end;
    }
    r.size = r.end - r.start + 1;  // 0 only for the whole 64-bit space
  }
  while (!eat(t, "]")) {
    if (eat(t, " 64bit")) {
      r.is_64bit = true;
    } else if (eat(t, " pref")) {
      r.prefetchable = true;
    } else if (eat(t, " window")) {
      r.window = true;
    } else if (eat(t, " disabled")) {
      r.disabled = true;
    } else if (eat(t, " flags ")) {
      r.raw_flags = eat_hex(t);
      if (!r.raw_flags) {
        return std::nullopt;
      }
    } else {
      return std::nullopt;  // a word resource_string() never writes, or a truncated line
    }
  }
  s = t;
  return r;
}

namespace {

bool
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

// "<6>" from dmesg -r or a raw /proc/kmsg read.
void
strip_syslog_priority(std::string_view& s)
{
  if (s.size() < 3 || s[0] != '<') {
    return;
  }
  std::size_t i = 1;
  while (i < s.size() && i < 5 && is_digit(s[i])) {
    ++i;
  }
  if (i > 1 && i < s.size() && s[i] == '>') {
    s.remove_prefix(i + 1);
  }
}

// dmesg -x: "kern  :info  : ".
void
strip_facility_level(std::string_view& s)
{
  auto word = [](std::string_view u, std::size_t i) {
    const std::size_t b = i;
    while (i < u.size() && u[i] >= 'a' && u[i] <= 'z') {
      ++i;
    }
    if (i == b) {
      return std::string_view::npos;
    }
    while (i < u.size() && u[i] == ' ') {
      ++i;
    }
    return i < u.size() && u[i] == ':' ? i + 1 : std::string_view::npos;
  };
  const std::size_t a = word(s, 0);
  if (a == std::string_view::npos) {
    return;
  }
  const std::size_t b = word(s, a);
  if (b == std::string_view::npos) {
    return;
  }
  s.remove_prefix(b);
  eat(s, " ");
}

// "[    0.214242] " (dmesg), "[Mon Dec  7 09:39:34 2026] " (dmesg -T), and after either a
// caller id "[    T1] " / "[  C0] " (CONFIG_PRINTK_CALLER). A message of its own that starts
// with a bracket ("[Firmware Bug]: ...") is left alone.
bool
strip_bracket_stamp(std::string_view& s)
{
  if (s.empty() || s[0] != '[') {
    return false;
  }
  const std::size_t close = s.substr(0, 40).find(']');
  if (close == std::string_view::npos || close < 2) {
    return false;
  }
  const std::string_view in = s.substr(1, close - 1);
  bool numeric = true;
  for (const char c : in) {
    numeric = numeric && (is_digit(c) || c == '.' || c == ' ' || c == ',');
  }
  const bool ctime = in.size() >= 20 && in[0] >= 'A' && in[0] <= 'Z' &&
                     in.find(':') != std::string_view::npos;
  if (!numeric && !ctime) {
    return false;
  }
  s.remove_prefix(close + 1);
  eat(s, " ");
  if (s.size() > 3 && s[0] == '[') {
    const std::size_t c2 = s.substr(0, 16).find(']');
    std::string_view id = c2 == std::string_view::npos ? std::string_view{} : s.substr(1, c2 - 1);
    while (!id.empty() && id[0] == ' ') {
      id.remove_prefix(1);
    }
    if (id.size() >= 2 && (id[0] == 'T' || id[0] == 'C') && is_digit(id[1])) {
      s.remove_prefix(c2 + 1);
      eat(s, " ");
    }
  }
  return true;
}

std::string_view
next_token(std::string_view s)
{
  const std::size_t sp = s.find(' ');
  return sp == std::string_view::npos ? s : s.substr(0, sp);
}

// A journalctl / syslog wall-clock stamp: "Dec 07 17:24:04[.123] ", "Dec  7 17:24:04 ",
// "2026-12-07T17:24:04[.123456][+0000] " (short-iso, dmesg --time-format=iso),
// "Mon 2026-12-07 17:24:04 UTC " (short-full), "1733592000.123456 " (short-unix).
bool
strip_wallclock(std::string_view& s)
{
  static constexpr std::array<std::string_view, 12> months = {
    "Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ", "Dec "};
  static constexpr std::array<std::string_view, 7> days = {"Mon ", "Tue ", "Wed ", "Thu ",
                                                           "Fri ", "Sat ", "Sun "};
  auto iso_date = [](std::string_view u) {
    return u.size() >= 10 && is_digit(u[0]) && is_digit(u[3]) && u[4] == '-' && u[7] == '-' &&
           is_digit(u[9]);
  };
  auto skip_token = [](std::string_view& u) {
    const std::size_t sp = u.find(' ');
    if (sp == std::string_view::npos) {
      return false;
    }
    u.remove_prefix(sp + 1);
    return true;
  };
  std::string_view t = s;
  for (const auto d : days) {
    if (t.starts_with(d) && iso_date(t.substr(4))) {
      t.remove_prefix(4);  // short-full: weekday, date, time, zone
      if (!skip_token(t) || !skip_token(t) || !skip_token(t)) {
        return false;
      }
      s = t;
      return true;
    }
  }
  for (const auto m : months) {
    if (t.starts_with(m)) {
      t.remove_prefix(4);
      eat(t, " ");
      if (t.size() < 2 || !is_digit(t[0]) || !skip_token(t)) {
        return false;
      }
      if (next_token(t).find(':') == std::string_view::npos || !skip_token(t)) {
        return false;
      }
      s = t;
      return true;
    }
  }
  if (iso_date(t) && t.size() > 10 && t[10] == 'T') {
    if (!skip_token(t)) {
      return false;
    }
    s = t;
    return true;
  }
  const std::string_view tok = next_token(t);
  if (tok.size() >= 10 && tok.size() < t.size() && tok.find('.') != std::string_view::npos &&
      tok.find_first_not_of("0123456789.") == std::string_view::npos) {
    s = t.substr(tok.size() + 1);
    return true;
  }
  return false;
}

enum class Origin { kernel, other, none };

// After a journal stamp: "HOST kernel: " is the kernel, "HOST ident[pid]: " another program.
// A second word with a colon inside ("0000:00:01.0:") is a device name: no host/ident there.
Origin
strip_host_ident(std::string_view& s)
{
  const std::string_view host = next_token(s);
  if (host.empty() || host.size() >= s.size() || host.find(':') != std::string_view::npos) {
    return Origin::none;
  }
  const std::string_view rest = s.substr(host.size() + 1);
  const std::string_view ident = next_token(rest);
  if (ident.size() < 2 || ident.back() != ':' ||
      ident.substr(0, ident.size() - 1).find(':') != std::string_view::npos) {
    return Origin::none;
  }
  if (ident != "kernel:") {
    return Origin::other;
  }
  s = rest.substr(ident.size());
  eat(s, " ");
  return Origin::kernel;
}

} // namespace

} // namespace klog

std::optional<LogRange>
parse_log_range(std::string_view s)
{
  auto r = klog::eat_range(s);
  return r && s.empty() ? r : std::nullopt;
}

std::optional<std::string_view>
strip_log_prefix(std::string_view s)
{
  using namespace klog;
  strip_syslog_priority(s);
  strip_facility_level(s);
  if (strip_bracket_stamp(s)) {
    // journalctl -o short-monotonic: "[    0.214242] host kernel: ...". Any other second
    // word with a colon ("Command line: ...") is the dmesg message itself.
    strip_host_ident(s);
    return s;
  }
  if (!strip_wallclock(s)) {
    return s;
  }
  switch (strip_host_ident(s)) {
  case Origin::other:
    return std::nullopt;
  case Origin::kernel:
    // /var/log/kern.log: "Dec  7 17:24:04 host kernel: [    0.214242] ..."
    strip_bracket_stamp(s);
    return s;
  case Origin::none:
    break;  // dmesg --time-format=iso: the message follows the stamp directly
  }
  return s;
}

namespace {

// simple_strtoull(s, &end, 0): 0x hex, a leading 0 octal, else decimal.
std::optional<std::uint64_t>
eat_base0(std::string_view& t)
{
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    return klog::eat_hex(t);
  }
  if (t.size() > 1 && t[0] == '0') {
    std::uint64_t v = 0;
    std::size_t n = 1;
    while (n < t.size() && t[n] >= '0' && t[n] <= '7') {
      if (v >> 61) {
        return std::nullopt;
      }
      v = v * 8 + static_cast<std::uint64_t>(t[n] - '0');
      ++n;
    }
    t.remove_prefix(n);
    return v;
  }
  return klog::eat_dec(t);
}

// drivers/pci/pci.c pci_setup() reads hp*size= with memparse() (lib/cmdline.c): a base-0
// number, then an optional K M G T P E suffix (either case); hpbussize= with a plain
// simple_strtoul(s, &end, 0).
std::optional<std::uint64_t>
memparse(std::string_view t, bool suffix = true)
{
  const auto n = eat_base0(t);
  if (!n) {
    return std::nullopt;
  }
  int shift = 0;
  if (suffix && t.size() == 1) {
    static constexpr std::string_view suffixes = "KMGTPE";
    const std::size_t i = suffixes.find(static_cast<char>(t[0] & ~0x20));
    if (i == std::string_view::npos) {
      return std::nullopt;
    }
    shift = static_cast<int>(10 * (i + 1));
    t.remove_prefix(1);
  }
  if (!t.empty() || (shift > 0 && *n > (~std::uint64_t{0} >> shift))) {
    return std::nullopt;
  }
  return *n << shift;
}

} // namespace

KernelCmdline
parse_kernel_cmdline(std::string_view text)
{
  KernelCmdline c;
  c.text = std::string(text);
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') {
      ++i;
    }
    std::size_t j = i;
    bool quoted = false;
    while (j < text.size() && (quoted || text[j] != ' ')) {
      quoted = text[j] == '"' ? !quoted : quoted;
      ++j;
    }
    const std::string_view tok = text.substr(i, j - i);
    i = j;
    if (tok == "--") {
      break;  // the rest is for init (init/main.c parse_args stops here)
    }
    std::string_view v = tok;
    if (!klog::eat(v, "pci=")) {
      continue;
    }
    while (!v.empty()) {
      const std::size_t comma = v.find(',');
      const std::string_view opt = v.substr(0, comma);
      v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
      if (opt.empty()) {
        continue;
      }
      c.pci_options.emplace_back(opt);
      std::string_view val = opt;
      if (opt == "realloc" || opt == "realloc=on") {
        c.realloc = true;
      } else if (opt == "realloc=off") {
        c.realloc = false;
      } else if (klog::eat(val, "hpiosize=")) {
        c.hpiosize = memparse(val);
      } else if (klog::eat(val, "hpmmiosize=")) {
        c.hpmmiosize = memparse(val);
      } else if (klog::eat(val, "hpmmioprefsize=")) {
        c.hpmmioprefsize = memparse(val);
      } else if (klog::eat(val, "hpmemsize=")) {
        c.hpmmiosize = c.hpmmioprefsize = memparse(val);
      } else if (klog::eat(val, "hpbussize=")) {
        c.hpbussize = memparse(val, false);
      }
    }
  }
  return c;
}

} // namespace memmap::pci
