#include <memmap/trace/dma_debug.hpp>
#include <memmap/render/json.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <ostream>

#include <fmt/format.h>

#include <memmap/error.hpp>
#include <memmap/util/hex.hpp>

namespace memmap::trace {

namespace {

std::string_view
next_token(std::string_view& s)
{
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') {
    ++i;
  }
  s.remove_prefix(i);
  const auto sp = s.find(' ');
  const std::string_view tok = s.substr(0, sp);
  s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp);
  return tok;
}

} // namespace

std::vector<DebugEntry>
parse_dma_debug_dump(std::string_view text, const std::string& display)
{
  std::vector<DebugEntry> out;
  int lineno = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++lineno;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      continue;
    }
    auto fail = [&](const std::string& why) {
      throw InputError(fmt::format("{}:{}: {}", display, lineno, why));
    };
    DebugEntry e;
    e.line = lineno;
    e.driver = std::string(next_token(line));
    e.device = std::string(next_token(line));
    e.type = std::string(next_token(line));
    if (next_token(line) != "idx") {
      fail("expected 'DRIVER DEVICE TYPE idx N P=... D=... L=...'");
    }
    const std::string_view idx = next_token(line);
    if (std::from_chars(idx.data(), idx.data() + idx.size(), e.bucket).ec != std::errc{}) {
      fail(fmt::format("bad bucket index '{}'", idx));
    }
    bool have_p = false;
    bool have_d = false;
    bool have_l = false;
    bool have_dir = false;
    while (!line.empty()) {
      std::string_view save = line;
      const std::string_view tok = next_token(line);
      if (tok.empty()) {
        break;
      }
      const auto eq = tok.find('=');
      if (eq != std::string_view::npos) {
        const std::string_view k = tok.substr(0, eq);
        const std::string_view v = tok.substr(eq + 1);
        const auto parsed = util::parse_hex_u64(v);
        const bool ok = parsed.has_value();
        const std::uint64_t x = parsed.value_or(0);
        if (k == "P") {
          have_p = ok;
          e.phys = x;
        } else if (k == "D") {
          have_d = ok;
          e.dma = x;
        } else if (k == "L") {
          have_l = ok;
          e.length = x;
        } else if (k == "attrs") {
          e.attrs = x;
        }
        // N= (pfn, before 6.13) and cln= (cacheline) are not needed.
        if (!ok && (k == "P" || k == "D" || k == "L")) {
          fail(fmt::format("bad hex value in '{}'", tok));
        }
        continue;
      }
      if (!have_dir && tok.substr(0, 4) == "DMA_") {
        const auto d = dir_from_string(tok);
        if (!d) {
          fail(fmt::format("unknown direction '{}'", tok));
        }
        e.dir = *d;
        have_dir = true;
        // The rest is the map-error state (with spaces), maybe followed by attrs=0x...
        std::string_view rest = line;
        while (!rest.empty() && rest.front() == ' ') {
          rest.remove_prefix(1);
        }
        const auto at = rest.find(" attrs=");
        if (at != std::string_view::npos) {
          if (const auto x = util::parse_hex_u64(rest.substr(at + 7))) {
            e.attrs = *x;
          }
          rest = rest.substr(0, at);
        }
        e.map_error = std::string(rest);
        line = {};
        break;
      }
      (void)save;
      fail(fmt::format("unexpected '{}'", tok));
    }
    if (!have_p || !have_d || !have_l || !have_dir) {
      fail("missing P=, D=, L= or the direction");
    }
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

struct DevTotals {
  std::string driver;
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_type;  // count, bytes
  std::uint64_t unchecked = 0;  // "dma map error not checked"
  std::uint64_t untranslated = 0;
};

std::map<std::string, DevTotals>
totals(const std::vector<DebugEntry>& entries)
{
  std::map<std::string, DevTotals> m;
  for (const auto& e : entries) {
    auto& t = m[e.device];
    t.driver = e.driver;
    ++t.count;
    t.bytes += e.length;
    auto& bt = t.by_type[e.type];
    ++bt.first;
    bt.second += e.length;
    if (e.map_error.find("not checked") != std::string::npos) {
      ++t.unchecked;
    }
    if (e.phys == e.dma) {
      ++t.untranslated;
    }
  }
  return m;
}

} // namespace

nlohmann::ordered_json
dma_debug_to_json(const std::vector<DebugEntry>& entries, const DebugCounters& c)
{
  using json = render::Json;
  json j = render::json_document();
  j["type"] = "dma_debug";
  auto opt = [](const std::optional<std::uint64_t>& v) { return v ? json(*v) : json(nullptr); };
  j["error_count"] = opt(c.error_count);
  j["num_errors"] = opt(c.num_errors);
  j["num_free_entries"] = opt(c.num_free_entries);
  j["min_free_entries"] = opt(c.min_free_entries);
  j["nr_total_entries"] = opt(c.nr_total_entries);
  j["disabled"] = c.disabled ? json(*c.disabled) : json(nullptr);
  j["driver_filter"] = c.driver_filter ? json(*c.driver_filter) : json(nullptr);
  json devs = json::array();
  for (const auto& [dev, t] : totals(entries)) {
    json types = json::object();
    for (const auto& [type, cb] : t.by_type) {
      types[type] = {{"count", cb.first}, {"bytes", cb.second}};
    }
    devs.push_back({{"device", dev},
                    {"driver", t.driver},
                    {"outstanding_count", t.count},
                    {"outstanding_bytes", t.bytes},
                    {"by_type", types},
                    {"error_not_checked", t.unchecked},
                    {"untranslated", t.untranslated}});
  }
  j["devices"] = devs;
  json list = json::array();
  for (const auto& e : entries) {
    list.push_back({{"device", e.device},
                    {"driver", e.driver},
                    {"kind", e.type},
                    {"phys_addr", render::hex0x(e.phys)},
                    {"dma_addr", render::hex0x(e.dma)},
                    {"size", e.length},
                    {"dir", std::string(to_string(e.dir))},
                    {"translated", e.phys != e.dma},
                    {"map_error", e.map_error}});
  }
  j["entries"] = list;
  return j;
}

void
render_dma_debug_text(const std::vector<DebugEntry>& entries, const DebugCounters& c,
                      const render::Style& style, std::ostream& out)
{
  out << style.paint("DMA-API debug (CONFIG_DMA_API_DEBUG)", render::Color::bold) << ": "
      << entries.size() << " active mappings";
  if (c.error_count) {
    out << ", " << style.paint(fmt::format("error_count {}", *c.error_count),
                               *c.error_count != 0 ? render::Color::red : render::Color::green);
  }
  if (c.num_free_entries && c.nr_total_entries) {
    out << fmt::format(", {} of {} tracking entries free", *c.num_free_entries, *c.nr_total_entries);
    if (c.min_free_entries) {
      out << fmt::format(" (minimum {})", *c.min_free_entries);
    }
  }
  out << '\n';
  if (c.disabled && *c.disabled) {
    out << style.paint("dma-debug is disabled (dma_debug=off or it ran out of entries): the "
                       "dump is incomplete",
                       render::Color::yellow)
        << '\n';
  }
  if (!c.driver_filter) {
    out << "driver_filter: ? (not read): whether every driver is checked is unknown\n";
  } else if (!c.driver_filter->empty()) {
    out << "driver_filter: only " << *c.driver_filter << " is checked\n";
  }
  const auto t = totals(entries);
  if (t.empty()) {
    return;
  }
  out << '\n'
      << fmt::format("{:<24} {:<12} {:>7} {:>9} {:>9}  {}\n", "DEVICE", "DRIVER", "COUNT",
                     "BYTES", "UNCHECKED", "BY TYPE");
  for (const auto& [dev, d] : t) {
    std::string types;
    for (const auto& [type, cb] : d.by_type) {
      types += fmt::format("{}{} {}/{}", types.empty() ? "" : ", ", type, cb.first,
                           render::human_size(cb.second));
    }
    out << fmt::format("{:<24} {:<12} {:>7} {:>9} {:>9}  {}\n", dev, d.driver, d.count,
                       render::human_size(d.bytes), d.unchecked, types);
  }
}

} // namespace memmap::trace
