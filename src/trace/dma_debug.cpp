#include <memmap/trace/dma_debug.hpp>

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

DebugReport
make_debug_report(std::vector<DebugEntry> entries, DebugCounters counters)
{
  DebugReport r;
  for (const auto& e : entries) {
    auto& t = r.devices[e.device];
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
  r.entries = std::move(entries);
  r.counters = std::move(counters);
  return r;
}

} // namespace memmap::trace
