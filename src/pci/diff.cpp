#include <memmap/pci/diff.hpp>

#include <memmap/render/format.hpp>

#include <fmt/format.h>
#include <map>

namespace memmap::pci {

namespace {

using model::Change;
using model::ChangeKind;
using model::Span;

// An address range a function decodes (BAR, ROM, VF aperture, bridge window).
struct Placed {
  std::optional<std::uint64_t> cpu;
  std::optional<std::uint64_t> bus;
  std::optional<std::uint64_t> size;
  std::string type;  // "mem 64-bit prefetchable", "io", "enabled"

  std::optional<std::uint64_t> start() const { return cpu ? cpu : bus; }
  std::optional<Span> span() const
  {
    const auto s = start();
    if (!s || !size || *size == 0 || *size - 1 > ~std::uint64_t{0} - *s) {
      return std::nullopt;
    }
    return Span{*s, *s + *size - 1};
  }
  // A bus address worth showing: known and not the CPU address.
  bool bus_differs() const { return bus && cpu && *bus != *cpu; }
};

std::string
placed_text(const Placed& p)
{
  std::string s;
  if (const auto sp = p.span()) {
    s = fmt::format("{}-{} ({})", render::hex(sp->start, 8), render::hex(sp->end, 8),
                    render::human_size(sp->size()));
  } else if (const auto st = p.start()) {
    s = render::hex(*st, 8) + " (size unknown)";
  } else {
    s = p.size ? "unassigned (" + render::human_size(*p.size) + ")" : "unassigned";
  }
  return s;
}

void
compare_placed(const std::vector<std::string>& path, const std::optional<Placed>& a,
               const std::optional<Placed>& b, std::vector<Change>& out)
{
  if (!a && !b) {
    return;
  }
  Change c;
  c.path = path;
  if (!a || !b) {
    const Placed& p = a ? *a : *b;
    c.kind = a ? ChangeKind::removed : ChangeKind::added;
    auto& span = a ? c.before : c.after;
    span = p.span();
    std::string detail;
    if (!span) {
      detail = placed_text(p);
    }
    if (!p.type.empty()) {
      detail += (detail.empty() ? "" : ", ") + p.type;
    }
    if (p.bus_differs()) {
      detail += (detail.empty() ? "" : ", ") + ("bus " + render::hex(*p.bus, 8));
    }
    c.detail = detail;
    out.push_back(std::move(c));
    return;
  }
  const auto sa = a->span();
  const auto sb = b->span();
  std::vector<std::string> details;
  bool differs = false;
  if (sa && sb) {
    if (*sa != *sb) {
      differs = true;
      c.before = sa;
      c.after = sb;
      if (sa->start == sb->start) {
        c.kind = ChangeKind::resized;
      } else if (sa->size() == sb->size()) {
        c.kind = ChangeKind::moved;
      } else {
        c.kind = ChangeKind::changed;
      }
    }
  } else if (placed_text(*a) != placed_text(*b)) {
    differs = true;
    c.kind = ChangeKind::changed;
    c.before_value = placed_text(*a);
    c.after_value = placed_text(*b);
  }
  // The bus address: shown when it is not the CPU address on either side and it changed.
  if ((a->bus_differs() || b->bus_differs()) && a->bus != b->bus) {
    const auto bus_text = [](const Placed& p) {
      return p.bus ? render::hex(*p.bus, 8) : std::string("unknown");
    };
    if (!differs) {
      differs = true;
      c.kind = ChangeKind::changed;
      c.before_value = "bus " + bus_text(*a);
      c.after_value = "bus " + bus_text(*b);
    } else {
      details.push_back("bus " + bus_text(*a) + " -> " + bus_text(*b));
    }
  }
  if (a->type != b->type) {
    if (!differs) {
      differs = true;
      c.kind = ChangeKind::changed;
      c.before_value = a->type;
      c.after_value = b->type;
    } else {
      details.push_back(a->type + " -> " + b->type);
    }
  }
  if (!differs) {
    return;
  }
  for (const auto& d : details) {
    c.detail += (c.detail.empty() ? "" : ", ") + d;
  }
  out.push_back(std::move(c));
}

std::string
bar_type(const Bar& b)
{
  if (b.kind == BarKind::io) {
    return "io";
  }
  std::string s = "mem " + (b.mem_type.empty() ? std::to_string(b.bits) + "-bit" : b.mem_type);
  if (b.prefetchable) {
    s += " prefetchable";
  }
  return s;
}

Placed
placed_bar(const Bar& b, std::optional<std::uint64_t> size)
{
  Placed p;
  p.cpu = b.cpu_address;
  p.bus = b.bus_address;
  p.size = size;
  p.type = bar_type(b);
  if (b.unassigned) {
    p.cpu.reset();
    p.bus.reset();
  }
  return p;
}

std::map<int, Placed>
bars_of(const Device& d)
{
  std::map<int, Placed> m;
  for (const auto& b : d.bars) {
    m[b.index] = placed_bar(b, b.size);
  }
  return m;
}

std::map<int, Placed>
vf_bars_of(const Device& d)
{
  std::map<int, Placed> m;
  if (d.sriov) {
    for (std::size_t i = 0; i < d.sriov->vf_bars.size(); ++i) {
      const auto& b = d.sriov->vf_bars[i];
      m[b.index] = placed_bar(b, i < d.sriov->vf_apertures.size() ? d.sriov->vf_apertures[i]
                                                                   : std::nullopt);
    }
  }
  return m;
}

std::optional<Placed>
rom_of(const Device& d)
{
  if (!d.rom) {
    return std::nullopt;
  }
  const auto& r = *d.rom;
  Placed p;
  p.cpu = r.cpu_address;
  p.bus = r.bus_address;
  p.size = r.size;
  if (r.unassigned) {
    p.cpu.reset();
    p.bus.reset();
  }
  p.type = r.enabled ? "enabled" : "disabled";
  if (r.is_virtual) {
    p.type += ", shadow copy";
  }
  return p;
}

std::map<WindowKind, Placed>
windows_of(const Device& d)
{
  std::map<WindowKind, Placed> m;
  for (const auto& w : d.windows) {
    if (!w.enabled || w.cardbus_index >= 0 || (w.upper_unknown && !w.cpu_start)) {
      continue;
    }
    Placed p;
    p.cpu = w.cpu_start;
    if (const auto r = w.bus_range()) {
      p.bus = r->first;
    }
    p.size = w.end() - w.start() + 1;
    p.type = w.bits ? fmt::format("{}-bit", w.bits) : std::string("?-bit");
    m[w.kind] = p;
  }
  return m;
}

std::map<std::pair<bool, int>, std::uint64_t>
rebar_sizes(const Device& d)
{
  std::map<std::pair<bool, int>, std::uint64_t> m;
  for (const auto& r : d.rebars) {
    for (const auto& e : r.entries) {
      if (e.current_size) {
        m[{r.vf, e.bar}] = *e.current_size;
      }
    }
  }
  return m;
}

template <typename K, typename F>
void
compare_maps(const std::map<K, Placed>& a, const std::map<K, Placed>& b, F&& name,
             const std::string& bdf, std::vector<Change>& out)
{
  std::map<K, std::pair<std::optional<Placed>, std::optional<Placed>>> all;
  for (const auto& [k, p] : a) {
    all[k].first = p;
  }
  for (const auto& [k, p] : b) {
    all[k].second = p;
  }
  for (const auto& [k, ab] : all) {
    compare_placed({bdf, name(k)}, ab.first, ab.second, out);
  }
}

std::string
identity(const Device& d)
{
  std::string s = render::hex_or_unknown(d.vendor_id, 4) + ":" + render::hex_or_unknown(d.device_id, 4);
  const std::string& name = d.name.empty() ? d.class_name : d.name;
  if (!name.empty()) {
    s += " " + name;
  }
  if (!d.driver.empty()) {
    s += " [" + d.driver + "]";
  }
  return s;
}

void
compare_device(const Device& a, const Device& b, std::vector<Change>& out)
{
  const std::string& bdf = b.bdf;
  // Another device only when both sides read the ids and they differ: an id one side could
  // not read (config unreadable, sysfs file missing) says nothing about a change.
  auto differ = [](const auto& x, const auto& y) { return x && y && *x != *y; };
  if (differ(a.vendor_id, b.vendor_id) || differ(a.device_id, b.device_id)
      || differ(a.class_code, b.class_code)) {
    Change c;
    c.kind = ChangeKind::changed;
    c.path = {bdf, "ids"};
    c.before_value = identity(a);
    c.after_value = identity(b);
    c.detail = "another device at this address: its resources are not compared";
    out.push_back(std::move(c));
    return;
  }
  if (a.driver != b.driver) {
    Change c;
    c.kind = ChangeKind::changed;
    c.path = {bdf, "driver"};
    c.before_value = a.driver.empty() ? "none" : a.driver;
    c.after_value = b.driver.empty() ? "none" : b.driver;
    out.push_back(std::move(c));
  }
  compare_maps(bars_of(a), bars_of(b), [](int i) { return fmt::format("BAR{}", i); }, bdf, out);
  compare_placed({bdf, "ROM"}, rom_of(a), rom_of(b), out);
  compare_maps(vf_bars_of(a), vf_bars_of(b), [](int i) { return fmt::format("VF BAR{}", i); },
               bdf, out);
  compare_maps(windows_of(a), windows_of(b),
               [](WindowKind k) { return std::string("window ") + to_string(k); }, bdf, out);
  const auto ra = rebar_sizes(a);
  const auto rb = rebar_sizes(b);
  for (const auto& [k, size] : rb) {
    auto it = ra.find(k);
    if (it == ra.end() || it->second == size) {
      continue;
    }
    Change c;
    c.kind = ChangeKind::changed;
    c.path = {bdf, fmt::format("{}Resizable BAR{}", k.first ? "VF " : "", k.second)};
    c.before_value = render::human_size(it->second);
    c.after_value = render::human_size(size);
    c.detail = "current size";
    out.push_back(std::move(c));
  }
}

} // namespace

std::vector<Change>
diff_models(const PciModel& a, const PciModel& b)
{
  std::map<std::string, std::pair<const Device*, const Device*>> all;
  for (const auto& d : a.devices) {
    all[d.bdf].first = &d;
  }
  for (const auto& d : b.devices) {
    all[d.bdf].second = &d;
  }
  std::vector<Change> out;
  for (const auto& [bdf, ab] : all) {
    const auto [da, db] = ab;
    if (da && db) {
      compare_device(*da, *db, out);
      continue;
    }
    Change c;
    c.kind = da ? ChangeKind::removed : ChangeKind::added;
    c.path = {bdf};
    c.detail = identity(da ? *da : *db);
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace memmap::pci
