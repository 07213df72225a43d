#include <memmap/trace/text_parser.hpp>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <unistd.h>

#include <fmt/format.h>

#include <memmap/error.hpp>
#include <memmap/util/hex.hpp>

namespace memmap::trace {

namespace {

constexpr std::size_t k_max_errors = 10;

bool
starts_with(std::string_view s, std::string_view p)
{
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}

std::string_view
trim_left(std::string_view s)
{
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') {
    ++i;
  }
  return s.substr(i);
}

std::string_view
trim_right(std::string_view s)
{
  std::size_t n = s.size();
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\t')) {
    --n;
  }
  return s.substr(0, n);
}

bool
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

// Parse an unsigned number: "0x"-prefixed values are hex whatever `base` says.
bool
parse_u64(std::string_view s, int base, std::uint64_t& out)
{
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) {
    return false;
  }
  const auto res = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return res.ec == std::errc{} && res.ptr == s.data() + s.size();
}

bool
parse_int(std::string_view s, int& out)
{
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    std::uint64_t v = 0;
    if (!parse_u64(s, 16, v)) {
      return false;
    }
    out = static_cast<int>(v);
    return true;
  }
  const auto res = std::from_chars(s.data(), s.data() + s.size(), out, 10);
  return res.ec == std::errc{} && res.ptr == s.data() + s.size();
}

// "{0x1000,0x2000}" (kernel __print_array) -> values; "{}" -> empty.
bool
parse_brace_array(std::string_view v, std::vector<std::uint64_t>& out)
{
  out.clear();
  if (v.size() < 2 || v.front() != '{' || v.back() != '}') {
    return false;
  }
  v = v.substr(1, v.size() - 2);
  while (!v.empty()) {
    const auto comma = v.find(',');
    const std::string_view item = v.substr(0, comma);
    std::uint64_t x = 0;
    if (!parse_u64(item, 16, x)) {
      return false;
    }
    out.push_back(x);
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
  }
  return true;
}

// "ARRAY[00, e0, 6f, ...]" (libtraceevent 1.7 raw bytes, little-endian) -> values of
// `width` bytes each.
bool
parse_byte_array(std::string_view v, std::size_t width, std::vector<std::uint64_t>& out)
{
  out.clear();
  if (!starts_with(v, "ARRAY[") || v.back() != ']') {
    return false;
  }
  v = v.substr(6, v.size() - 7);
  std::uint64_t cur = 0;
  std::size_t nbytes = 0;
  std::size_t i = 0;
  while (i < v.size()) {
    if (v[i] == ' ' || v[i] == ',') {
      ++i;
      continue;
    }
    if (i + 1 >= v.size()) {
      return false;
    }
    const int hi = util::hex_digit(v[i]);
    const int lo = util::hex_digit(v[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < v.size() && v[i + 2] != ',')) {
      return false;
    }
    cur |= static_cast<std::uint64_t>(hi * 16 + lo) << (8 * nbytes);
    i += 2;
    if (++nbytes == width) {
      out.push_back(cur);
      cur = 0;
      nbytes = 0;
    }
  }
  return nbytes == 0;
}

// Timestamp "19611.596887" (seconds.micro- or nanoseconds) or a raw counter "123456".
bool
parse_timestamp(std::string_view s, std::uint64_t& ns)
{
  const auto dot = s.find('.');
  std::uint64_t sec = 0;
  if (!parse_u64(s.substr(0, dot), 10, sec)) {
    return false;
  }
  if (dot == std::string_view::npos) {
    ns = sec;  // raw clock (counter, x86-tsc...): kept as is
    return true;
  }
  std::string_view frac = s.substr(dot + 1);
  if (frac.empty() || frac.size() > 9) {
    return false;
  }
  std::uint64_t f = 0;
  if (!parse_u64(frac, 10, f)) {
    return false;
  }
  for (std::size_t i = frac.size(); i < 9; ++i) {
    f *= 10;
  }
  ns = sec * 1000000000ULL + f;
  return true;
}

// The text after the name; `raw` when libtraceevent printed "[FAILED TO PARSE] f=v ...".
class BodyParser {
public:
  BodyParser(DmaEvent& ev, bool raw) : m_ev(ev), m_raw(raw) {}

  // Returns "" on success, else the reason.
  std::string parse(std::string_view body)
  {
    std::size_t index = 0;
    bool after_dash = false;
    while (true) {
      body = trim_left(body);
      if (body.empty()) {
        break;
      }
      std::string_view tok;
      const auto sp = body.find(' ');
      const auto eq = body.substr(0, sp).find('=');
      if (eq != std::string_view::npos && starts_with(body.substr(eq + 1), "ARRAY[")) {
        const auto close = body.find(']', eq);
        if (close == std::string_view::npos) {
          return fmt::format("unterminated ARRAY[ in '{}'", body.substr(0, eq));
        }
        tok = body.substr(0, close + 1);
      } else {
        tok = body.substr(0, sp);
      }
      body.remove_prefix(tok.size());
      std::string err = token(tok, index++, after_dash);
      if (!err.empty()) {
        return err;
      }
    }
    return check();
  }

private:
  enum Seen : unsigned {
    k_device = 1u << 0,
    k_dma = 1u << 1,
    k_size = 1u << 2,
    k_phys_list = 1u << 3,
    k_iova = 1u << 4,
  };

  std::string check() const
  {
    unsigned need = 0;
    switch (event_class(m_ev.type)) {
    case EventClass::map_single:
    case EventClass::alloc:
    case EventClass::free:
      need = k_device | k_dma | k_size;
      break;
    case EventClass::unmap_single:
      need = k_device | k_dma;
      break;
    case EventClass::map_sg:
    case EventClass::unmap_sg:
      need = k_device | k_phys_list;
      break;
    case EventClass::bounce:
    case EventClass::fault:
      need = k_device;
      break;
    case EventClass::iommu_map:
    case EventClass::iommu_unmap:
      need = k_iova;
      break;
    case EventClass::error:
    case EventClass::sync:
    case EventClass::group:
      break;
    }
    const unsigned missing = need & ~m_seen;
    if (missing == 0) {
      return {};
    }
    std::string names;
    const std::pair<unsigned, const char*> k_names[] = {
      {k_device, "device"}, {k_dma, "dma_addr"}, {k_size, "size"}, {k_phys_list, "phys_addrs"},
      {k_iova, "iova"}};
    for (const auto& [bit, name] : k_names) {
      if ((missing & bit) != 0) {
        names += names.empty() ? "" : ", ";
        names += name;
      }
    }
    return "missing " + names;
  }

  std::string bad(std::string_view key, std::string_view value) const
  {
    return fmt::format("bad value '{}' for {}", value, key);
  }

  std::string number(std::string_view key, std::string_view v, int base, std::uint64_t& out)
  {
    if (!parse_u64(v, m_raw ? 10 : base, out)) {
      return bad(key, v);
    }
    return {};
  }

  std::string token(std::string_view tok, std::size_t index, bool& after_dash)
  {
    const auto eq = tok.find('=');
    const EventClass cls = event_class(m_ev.type);
    if (eq == std::string_view::npos) {
      return bare(tok, index, cls, after_dash);
    }
    const std::string_view key = tok.substr(0, eq);
    const std::string_view v = tok.substr(eq + 1);
    std::uint64_t x = 0;
    std::string err;
    if (key == "device") {
      m_ev.device.assign(v);
      m_seen |= k_device;
    } else if (key == "dir") {
      if (v.empty()) {
        return {};
      }
      if (auto d = dir_from_string(v)) {
        m_ev.dir = *d;
      } else if (parse_u64(v, 10, x) && x <= 3) {
        m_ev.dir = static_cast<DmaDir>(x);
      } else {
        return bad(key, v);
      }
      m_ev.has_dir = true;
    } else if (key == "dma_addr" || key == "addr") {
      err = number(key, v, 16, m_ev.dma_addr);
      m_seen |= k_dma;
    } else if (key == "phys_addr") {
      err = number(key, v, 16, m_ev.phys_addr);
      m_ev.has_phys = true;
    } else if (key == "size") {
      err = number(key, v, 10, m_ev.size);
      m_seen |= k_size;
    } else if (key == "attrs") {
      if (m_raw || (v.size() > 2 && v[1] == 'x')) {
        if (!v.empty() && !parse_u64(v, 16, m_ev.attrs)) {
          return bad(key, v);
        }
      } else {
        m_ev.attrs = attrs_from_string(v);
      }
    } else if (key == "virt_addr") {
      m_ev.has_virt = true;
      if (v == "(nil)") {
        m_ev.virt_addr = 0;
      } else if (!parse_u64(v, 16, m_ev.virt_addr)) {
        return bad(key, v);
      }
    } else if (key == "flags") {
      if (cls == EventClass::fault) {
        int f = 0;
        if (!parse_int(v, f)) {
          return bad(key, v);
        }
        m_ev.flags = f;
      } else {
        m_ev.gfp.assign(v);
      }
    } else if (key == "phys_addrs" || key == "addrs") {
      err = array(key, v, 8, m_ev.phys_addrs);
      m_seen |= k_phys_list;
    } else if (key == "dma_addrs") {
      // dma_map_sg_err's list labelled dma_addrs holds physical addresses.
      err = array(key, v, 8, m_ev.type == EventType::dma_map_sg_err ? m_ev.phys_addrs
                                                                     : m_ev.dma_addrs);
    } else if (key == "sizes" || key == "lengths") {
      err = array(key, v, key == "lengths" ? 4 : 8, m_ev.sizes);
    } else if (key == "nents" || key == "ents") {
      const auto slash = v.find('/');
      int full = 0;
      if (slash == std::string_view::npos || !parse_int(v.substr(slash + 1), full)) {
        return bad(key, v);
      }
      (key == "nents" ? m_ev.full_nents : m_ev.full_ents) = full;
    } else if (key == "full_nents" || key == "full_ents") {
      int full = 0;
      if (!parse_int(v, full)) {
        return bad(key, v);
      }
      (key == "full_nents" ? m_ev.full_nents : m_ev.full_ents) = full;
    } else if (key == "truncated") {
      m_ev.truncated = v != "0" && v != "false";
    } else if (key == "err") {
      if (!parse_int(v, m_ev.err)) {
        return bad(key, v);
      }
    } else if (key == "iova") {
      err = number(key, v, 16, m_ev.iova);
      m_seen |= k_iova;
    } else if (key == "paddr") {
      err = number(key, v, 16, m_ev.phys_addr);
      m_ev.has_phys = true;
    } else if (key == "unmapped_size") {
      err = number(key, v, 10, m_ev.unmapped_size);
    } else if (key == "groupID" || key == "gid") {
      if (!parse_int(v, m_ev.group)) {
        return bad(key, v);
      }
    } else if (key == "dev_addr") {
      err = number(key, v, 16, m_ev.dma_addr);
    } else if (key == "dma_mask") {
      err = number(key, v, 16, m_ev.dma_mask);
    } else if (key == "dev_name") {
      m_ev.device.assign(v);
      m_seen |= k_device;
    } else if (key == "force") {
      m_ev.force = v != "0";
    } else if (key == "driver") {
      m_ev.driver.assign(v);
    }
    // Unknown keys (future fields) are ignored.
    return err;
  }

  std::string array(std::string_view key, std::string_view v, std::size_t width,
                    std::vector<std::uint64_t>& out)
  {
    const bool ok = starts_with(v, "ARRAY[") ? parse_byte_array(v, width, out)
                                             : parse_brace_array(v, out);
    return ok ? std::string{} : bad(key, v.substr(0, 40));
  }

  std::string bare(std::string_view tok, std::size_t index, EventClass cls, bool& after_dash)
  {
    if (after_dash) {
      after_dash = false;  // the exclusive end iova of iommu map/unmap
      return {};
    }
    if (tok == "-") {
      after_dash = true;
      return {};
    }
    if (tok == "[TRUNCATED]") {
      m_ev.truncated = true;
      return {};
    }
    switch (event_system(m_ev.type).front()) {
    case 'd':  // dma: "DEVICE dir=..."
      if (index == 0 && !m_raw) {
        m_ev.device.assign(tok);
        m_seen |= k_device;
        return {};
      }
      break;
    case 'i':  // iommu: "IOMMU: ..." or "IOMMU:drv dev ..."
      if (index == 0 && starts_with(tok, "IOMMU:")) {
        m_ev.driver.assign(tok.substr(6));
        return {};
      }
      if (index == 1 && cls == EventClass::fault) {
        m_ev.device.assign(tok);
        m_seen |= k_device;
        return {};
      }
      break;
    case 's':  // swiotlb: "dev_name: DEV ... NORMAL|FORCE"
      if (index == 0 && tok == "dev_name:") {
        return {};
      }
      if (index == 1) {
        m_ev.device.assign(tok);
        m_seen |= k_device;
        return {};
      }
      if (tok == "FORCE" || tok == "NORMAL") {
        m_ev.force = tok == "FORCE";
        return {};
      }
      break;
    default:
      break;
    }
    if (m_raw) {
      return {};  // raw dumps may carry tokens we do not know; fields come as key=value
    }
    return fmt::format("unexpected '{}'", tok.substr(0, 40));
  }

  DmaEvent& m_ev;
  bool m_raw;
  unsigned m_seen = 0;
};

} // namespace

LineResult
parse_trace_line(std::string_view line, DmaEvent& ev)
{
  LineResult r;
  line = trim_right(line);
  if (line.empty() || line.front() == '#' || starts_with(line, "cpus=")) {
    return r;
  }
  if (starts_with(line, "CPU:")) {
    // "CPU:3 [LOST 3646 EVENTS]" (tracefs) or "CPU:0 [372 EVENTS DROPPED]" (trace-cmd)
    const auto open = line.find('[');
    if (open != std::string_view::npos) {
      std::string_view rest = line.substr(open + 1);
      if (starts_with(rest, "LOST ")) {
        rest.remove_prefix(5);
      }
      const auto sp = rest.find(' ');
      std::uint64_t n = 0;
      if (parse_u64(rest.substr(0, sp), 10, n) &&
          (rest.find("EVENTS") != std::string_view::npos)) {
        r.kind = LineKind::lost;
        r.lost = n;
        return r;
      }
    }
    return r;
  }
  // Find "[CPU]": the first " [" followed by digits and "]".
  std::size_t open = 0;
  std::size_t close = 0;
  for (std::size_t from = 0;;) {
    open = line.find(" [", from);
    if (open == std::string_view::npos) {
      return r;  // not an event line
    }
    close = open + 2;
    while (close < line.size() && is_digit(line[close])) {
      ++close;
    }
    if (close > open + 2 && close < line.size() && line[close] == ']') {
      break;
    }
    from = open + 1;
  }
  // Task: "comm-pid" with an optional "(tgid)" column before the CPU.
  std::string_view task = trim_right(line.substr(0, open));
  if (!task.empty() && task.back() == ')') {
    const auto lp = task.rfind('(');
    if (lp != std::string_view::npos) {
      task = trim_right(task.substr(0, lp));
    }
  }
  const auto dash = task.rfind('-');
  int pid = -1;
  if (dash != std::string_view::npos) {
    if (!parse_int(task.substr(dash + 1), pid)) {
      pid = -1;
    }
  }
  int cpu = 0;
  parse_int(line.substr(open + 2, close - open - 2), cpu);
  std::string_view rest = trim_left(line.substr(close + 1));
  // Optional latency/irq-info column ("d..2."), then the timestamp ending in ':'.
  auto sp = rest.find(' ');
  if (sp == std::string_view::npos) {
    return r;
  }
  std::string_view tok = rest.substr(0, sp);
  if (tok.back() != ':') {
    rest = trim_left(rest.substr(sp + 1));
    sp = rest.find(' ');
    if (sp == std::string_view::npos) {
      return r;
    }
    tok = rest.substr(0, sp);
    if (tok.back() != ':') {
      return r;
    }
  }
  std::uint64_t ts = 0;
  if (!parse_timestamp(tok.substr(0, tok.size() - 1), ts)) {
    return r;
  }
  rest = trim_left(rest.substr(sp + 1));
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return r;
  }
  const std::string_view name = rest.substr(0, colon);
  r.kind = LineKind::record;
  const auto type = event_type_from_name(name);
  if (!type) {
    return r;
  }
  ev.reset(*type);
  ev.ts_ns = ts;
  ev.cpu = cpu;
  ev.pid = pid;
  if (dash != std::string_view::npos) {
    ev.comm.assign(trim_left(task.substr(0, dash)));
  }
  std::string_view body = trim_left(rest.substr(colon + 1));
  constexpr std::string_view k_failed = "[FAILED TO PARSE]";
  const bool raw = starts_with(body, k_failed);
  if (raw) {
    body.remove_prefix(k_failed.size());
  }
  BodyParser parser(ev, raw);
  r.error = parser.parse(body);
  r.kind = r.error.empty() ? LineKind::event : LineKind::malformed;
  if (r.error.empty() && ev.type == EventType::dma_map_sg && !ev.truncated && ev.full_nents > 0 &&
      static_cast<std::size_t>(ev.full_nents) > ev.phys_addrs.size()) {
    ev.truncated = true;  // raw form of a capped list without the flag
  }
  return r;
}

namespace {

class StreamState {
public:
  StreamState(const std::string& display, const EventSink& sink)
    : m_display(display), m_sink(sink)
  {
  }

  void line(std::string_view text)
  {
    ++m_stats.lines;
    const LineResult r = parse_trace_line(text, m_ev);
    switch (r.kind) {
    case LineKind::event:
      ++m_stats.records;
      ++m_stats.events;
      m_sink.event(m_ev);
      break;
    case LineKind::lost:
      m_stats.lost += r.lost;
      if (m_sink.lost) {
        m_sink.lost(r.lost);
      }
      break;
    case LineKind::record:
      ++m_stats.records;
      break;
    case LineKind::malformed:
      ++m_stats.records;
      ++m_stats.malformed;
      if (m_stats.first_errors.size() < k_max_errors) {
        m_stats.first_errors.push_back(
          fmt::format("{}:{}: {}: {}", m_display, m_stats.lines, event_name(m_ev.type), r.error));
      }
      break;
    case LineKind::other:
      break;
    }
  }

  void block(std::string_view data)
  {
    while (!data.empty()) {
      const void* nl = std::memchr(data.data(), '\n', data.size());
      if (nl == nullptr) {
        m_partial.append(data);
        return;
      }
      const auto n = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data());
      if (!m_partial.empty()) {
        m_partial.append(data.substr(0, n));
        line(m_partial);
        m_partial.clear();
      } else {
        line(data.substr(0, n));
      }
      data.remove_prefix(n + 1);
    }
  }

  TextStats finish()
  {
    if (!m_partial.empty()) {
      line(m_partial);
      m_partial.clear();
    }
    return m_stats;
  }

private:
  const std::string& m_display;
  const EventSink& m_sink;
  TextStats m_stats;
  DmaEvent m_ev;
  std::string m_partial;
};

} // namespace

TextStats
read_text_trace(std::string_view text, const std::string& display, const EventSink& sink)
{
  StreamState st(display, sink);
  st.block(text);
  return st.finish();
}

TextStats
read_text_trace(int fd, const std::string& display, const EventSink& sink,
                const std::function<bool()>& stop)
{
  StreamState st(display, sink);
  std::vector<char> buf(std::size_t{1} << 20);
  while (true) {
    if (stop && stop()) {
      break;
    }
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw SourceError(fmt::format("{}: {}", display, std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    st.block(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
  return st.finish();
}

} // namespace memmap::trace
