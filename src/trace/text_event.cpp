// Saved text traces, one line at a time: the line prefix (task, pid, CPU, timestamp, event
// name) and the event body of each counted dma/iommu/swiotlb event (docs/trace-formats.md).
#include <memmap/trace/text_parser.hpp>

#include <fmt/format.h>

#include <memmap/error.hpp>

#include "text_fields.hpp"

namespace memmap::trace {

using namespace text_detail;

namespace {

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

} // namespace memmap::trace
