// Test helper: parse what `lspci -vvv` prints (BARs, ROM, bridge windows, capability
// offsets, Resizable BAR, SR-IOV) so memmap's decode can be compared with it.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace lspci_out {

struct Region {
  int index = -1;
  bool io = false;
  std::optional<std::uint64_t> address;  // nullopt: <unassigned>/<ignored>
  std::string words;                     // the rest of the line
  int bits = 32;
  bool prefetchable = false;
  bool broken = false;
};

struct Window {
  std::string kind;  // "io", "mem", "prefetchable"
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  int bits = 0;
};

struct Cap {
  int offset = 0;
  bool extended = false;
  std::string text;
};

struct Rebar {
  int bar = 0;
  std::uint64_t current = 0;
  std::vector<std::uint64_t> supported;
};

struct Device {
  std::string bdf;
  std::vector<Region> regions;
  bool rom = false;
  std::optional<std::uint64_t> rom_address;
  bool rom_enabled = false;
  std::vector<Window> windows;
  // "... behind bridge: [disabled]" lines (start/end 0 unless -vvv printed a range).
  std::vector<Window> disabled_windows;
  std::vector<Cap> caps;
  bool caps_denied = false;
  std::vector<Rebar> rebar;
  bool rebar_error = false;
  bool sriov = false;
  int total_vfs = -1;
  int num_vfs = -1;
  std::vector<Region> vf_regions;
};

inline std::string
run(const std::string& cmd)
{
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
    out.append(buf, n);
  }
  pclose(p);
  return out;
}

inline bool
starts(const std::string& s, const std::string& p)
{
  return s.compare(0, p.size(), p) == 0;
}

inline std::uint64_t
hexv(const std::string& s)
{
  return std::stoull(s, nullptr, 16);
}

// "256MB" -> bytes.
inline std::uint64_t
rebar_size(const std::string& s)
{
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    ++i;
  }
  std::uint64_t v = std::stoull(s.substr(0, i));
  const std::string unit = s.substr(i);
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  for (int k = 0; k < 7; ++k) {
    if (unit == units[k]) {
      return v << (10 * k);
    }
  }
  return 0;
}

inline bool
parse_region(std::string body, Region& r)
{
  for (const std::string pre : {"[virtual] ", "[enhanced] "}) {
    if (starts(body, pre)) {
      body = body.substr(pre.size());
    }
  }
  std::string rest;
  if (starts(body, "Memory at ")) {
    rest = body.substr(10);
  } else if (starts(body, "I/O ports at ")) {
    r.io = true;
    rest = body.substr(13);
  } else {
    return false;
  }
  std::size_t n = 0;
  while (n < rest.size() && std::isxdigit(static_cast<unsigned char>(rest[n]))) {
    ++n;
  }
  if (n > 0) {
    r.address = hexv(rest.substr(0, n));
  }
  r.broken = starts(rest, "<broken-64-bit-slot>") || starts(rest, "<invalid-64bit-slot>");
  r.words = rest.substr(n);
  if (!r.io) {
    r.bits = rest.find("(64-bit") != std::string::npos ? 64 : 32;
    r.prefetchable = rest.find(", prefetchable)") != std::string::npos;
  }
  return true;
}

inline std::vector<Device>
parse(const std::string& text)
{
  std::vector<Device> devs;
  Device* cur = nullptr;
  std::string section;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) {
      continue;
    }
    if (line[0] != '\t') {
      // Header: [DDDD:]BB:DD.F
      const auto sp = line.find(' ');
      std::string id = line.substr(0, sp);
      if (std::count(id.begin(), id.end(), ':') == 1) {
        id = "0000:" + id;
      }
      if (id.size() > 12) {
        id = id.substr(id.size() - 12);  // keep 4-digit domains only (corpus has none wider)
      }
      devs.push_back(Device{});
      cur = &devs.back();
      cur->bdf = id;
      section.clear();
      continue;
    }
    if (!cur) {
      continue;
    }
    if (starts(line, "\tCapabilities: ")) {
      const std::string body = line.substr(15);
      section = body;
      if (starts(body, "<access denied>")) {
        cur->caps_denied = true;
        continue;
      }
      if (body.size() > 2 && body[0] == '[') {
        const auto close = body.find(']');
        std::string off = body.substr(1, close - 1);
        Cap c;
        c.extended = off.find(' ') != std::string::npos || off.size() == 3;
        c.offset = static_cast<int>(hexv(off.substr(0, off.find(' '))));
        c.text = body.substr(close + 2);
        if (!starts(c.text, "<chain")) {
          cur->caps.push_back(c);
        }
      }
      continue;
    }
    if (starts(line, "\tRegion ")) {
      Region r;
      r.index = std::stoi(line.substr(8));
      const auto colon = line.find(": ");
      if (parse_region(line.substr(colon + 2), r)) {
        cur->regions.push_back(r);
      }
      continue;
    }
    if (starts(line, "\tExpansion ROM at ")) {
      cur->rom = true;
      const std::string rest = line.substr(18);
      std::size_t n = 0;
      while (n < rest.size() && std::isxdigit(static_cast<unsigned char>(rest[n]))) {
        ++n;
      }
      if (n > 0) {
        cur->rom_address = hexv(rest.substr(0, n));
      }
      cur->rom_enabled = rest.find("[disabled]") == std::string::npos;
      continue;
    }
    for (const auto& [prefix, kind] : std::vector<std::pair<std::string, std::string>>{
           {"\tI/O behind bridge: ", "io"},
           {"\tMemory behind bridge: ", "mem"},
           {"\tPrefetchable memory behind bridge: ", "prefetchable"}}) {
      if (starts(line, prefix)) {
        const std::string rest = line.substr(prefix.size());
        Window w;
        w.kind = kind;
        if (rest.find("[disabled]") != std::string::npos) {
          const auto dash = rest.find('-');
          if (dash != std::string::npos && dash < rest.find('[')) {
            w.start = hexv(rest.substr(0, dash));
            w.end = hexv(rest.substr(dash + 1, rest.find(' ') - dash - 1));
          }
          cur->disabled_windows.push_back(w);
          break;
        }
        const auto dash = rest.find('-');
        const auto sp = rest.find(' ');
        w.start = hexv(rest.substr(0, dash));
        w.end = hexv(rest.substr(dash + 1, sp - dash - 1));
        const auto b = rest.find("-bit]");
        w.bits = b != std::string::npos ? std::stoi(rest.substr(rest.rfind('[', b) + 1)) : 0;
        cur->windows.push_back(w);
        break;
      }
    }
    for (const auto& [prefix, kind] : std::vector<std::pair<std::string, std::string>>{
           {"\tMemory window ", "mem"}, {"\tI/O window ", "io"}}) {
      if (starts(line, prefix)) {
        // CardBus: "\tMemory window 0: 10000000-10fff [disabled] (prefetchable)"
        const std::string rest = line.substr(line.find(": ") + 2);
        Window w;
        w.kind = kind == "mem" && rest.find("(prefetchable)") != std::string::npos ? "prefetchable" : kind;
        const auto dash = rest.find('-');
        const auto sp = rest.find_first_of(" \n", dash);
        w.start = hexv(rest.substr(0, dash));
        w.end = hexv(rest.substr(dash + 1, sp == std::string::npos ? std::string::npos : sp - dash - 1));
        w.bits = -1;  // lspci does not say
        cur->windows.push_back(w);
      }
    }
    if (section.find("Physical Resizable BAR") != std::string::npos) {
      if (line.find("<error in resizable BAR") != std::string::npos) {
        cur->rebar_error = true;
      } else if (starts(line, "\t\tBAR ")) {
        Rebar rb;
        rb.bar = std::stoi(line.substr(6));
        const auto cur_pos = line.find("current size: ");
        const auto comma = line.find(',', cur_pos);
        rb.current = rebar_size(line.substr(cur_pos + 14, comma - cur_pos - 14));
        std::istringstream sizes(line.substr(line.find("supported: ") + 11));
        std::string s;
        while (sizes >> s) {
          rb.supported.push_back(rebar_size(s));
        }
        cur->rebar.push_back(rb);
      }
    }
    if (section.find("(SR-IOV)") != std::string::npos) {
      cur->sriov = true;
      const auto t = line.find("Total VFs: ");
      if (t != std::string::npos) {
        cur->total_vfs = std::stoi(line.substr(t + 11));
        cur->num_vfs = std::stoi(line.substr(line.find("Number of VFs: ") + 15));
      }
      if (starts(line, "\t\tRegion ")) {
        Region r;
        r.index = std::stoi(line.substr(9));
        parse_region(line.substr(line.find(": ") + 2), r);
        cur->vf_regions.push_back(r);
      }
    }
  }
  return devs;
}

// What `lspci -vmmn` prints of each function's identity (machine-readable, numeric).
struct Ident {
  std::string bdf;
  int cls = -1;      // base << 8 | sub
  int vendor = -1;
  int device = -1;
  int rev = 0;       // lspci leaves "Rev:" out when it is 0
  int prog_if = 0;   // likewise "ProgIf:"
};

inline std::vector<Ident>
parse_vmmn(const std::string& text)
{
  std::vector<Ident> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto tab = line.find(":\t");
    if (tab == std::string::npos) {
      continue;
    }
    const std::string key = line.substr(0, tab);
    const std::string val = line.substr(tab + 2);
    if (key == "Slot") {
      out.push_back(Ident{});
      out.back().bdf = std::count(val.begin(), val.end(), ':') == 1 ? "0000:" + val : val;
    } else if (out.empty()) {
      continue;
    } else if (key == "Class") {
      out.back().cls = static_cast<int>(hexv(val));
    } else if (key == "Vendor") {
      out.back().vendor = static_cast<int>(hexv(val));
    } else if (key == "Device") {
      out.back().device = static_cast<int>(hexv(val));
    } else if (key == "Rev") {
      out.back().rev = static_cast<int>(hexv(val));
    } else if (key == "ProgIf") {
      out.back().prog_if = static_cast<int>(hexv(val));
    }
  }
  return out;
}

} // namespace lspci_out
