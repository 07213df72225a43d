#include <memmap/pci/diff.hpp>

#include <fmt/format.h>
#include <map>

namespace memmap::pci {

namespace {

using model::BusAddress;
using model::Change;
using model::ChangeKind;
using model::Delta;
using model::ResourceType;
using model::Span;

// An address range a function decodes (BAR, ROM, VF aperture, bridge window).
struct Placed {
  std::optional<std::uint64_t> cpu;
  std::optional<std::uint64_t> bus;
  std::optional<std::uint64_t> size;
  ResourceType type;
  // A bridge window the kernel or the registers disown (unset, disabled): no range.
  bool unset = false;

  // Where it decodes; a size that gives no range with the start is not shown (unknown).
  model::Placement placement() const
  {
    model::Placement p{cpu ? cpu : bus, size};
    if (p.start && !p.span()) {
      p.size.reset();
    }
    return p;
  }
  std::optional<Span> span() const { return placement().span(); }
  // A bus address worth showing: known and not the CPU address.
  bool bus_differs() const { return bus && cpu && *bus != *cpu; }
};

void
compare_placed(const std::vector<std::string>& path, const std::optional<Placed>& a,
               const std::optional<Placed>& b, std::vector<Change>& out)
{
  // A window without a range on one side and none at all on the other: nothing forwarded
  // either way.
  if ((!a && !b) || (!a && b->unset) || (!b && a->unset)) {
    return;
  }
  Change c;
  c.path = path;
  if (!a || !b) {
    const Placed& p = a ? *a : *b;
    c.kind = a ? ChangeKind::removed : ChangeKind::added;
    auto& span = a ? c.before : c.after;
    span = p.span();
    if (!span) {
      c.detail.emplace_back(p.placement());
    }
    c.detail.emplace_back(p.type);
    if (p.bus_differs()) {
      c.detail.emplace_back(BusAddress{p.bus});
    }
    out.push_back(std::move(c));
    return;
  }
  const auto sa = a->span();
  const auto sb = b->span();
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
  } else if (a->placement() != b->placement()) {
    differs = true;
    c.kind = ChangeKind::changed;
    c.before_value = a->placement();
    c.after_value = b->placement();
  }
  // The bus address: shown when it is not the CPU address on either side and it changed.
  if ((a->bus_differs() || b->bus_differs()) && a->bus != b->bus) {
    if (!differs) {
      differs = true;
      c.kind = ChangeKind::changed;
      c.before_value = BusAddress{a->bus};
      c.after_value = BusAddress{b->bus};
    } else {
      c.detail.emplace_back(Delta<BusAddress>{{a->bus}, {b->bus}});
    }
  }
  if (a->type != b->type) {
    if (!differs) {
      differs = true;
      c.kind = ChangeKind::changed;
      c.before_value = a->type;
      c.after_value = b->type;
    } else {
      c.detail.emplace_back(Delta<ResourceType>{a->type, b->type});
    }
  }
  if (differs) {
    out.push_back(std::move(c));
  }
}

// Normalised so that two types are equal exactly when they read the same: lspci's "64-bit"
// is the bits, its other words ("low-1M", "type 3") stand instead of them.
ResourceType
bar_type(const Bar& b)
{
  ResourceType t;
  t.of = ResourceType::Of::bar;
  if (b.kind == BarKind::io) {
    t.io = true;
    return t;
  }
  t.prefetchable = b.prefetchable;
  if (b.mem_type.empty() || b.mem_type == fmt::format("{}-bit", b.bits)) {
    t.bits = b.bits;
  } else if (b.mem_type == "32-bit" || b.mem_type == "64-bit") {
    t.bits = b.mem_type[0] == '3' ? 32 : 64;
  } else {
    t.mem_type = b.mem_type;
  }
  return t;
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
  p.type.of = ResourceType::Of::rom;
  p.type.enabled = r.enabled;
  p.type.shadow_copy = r.is_virtual;
  return p;
}

std::map<WindowKind, Placed>
windows_of(const Device& d)
{
  std::map<WindowKind, Placed> m;
  for (const auto& w : d.windows) {
    if (w.cardbus_index >= 0 || (w.enabled && w.upper_unknown && !w.cpu_start)) {
      continue;
    }
    Placed p;
    p.type.of = ResourceType::Of::window;
    if (w.bits) {
      p.type.bits = w.bits;
    }
    if (!w.enabled) {
      // Unset or disabled: no address; the kernel's size where it kept one.
      p.unset = true;
      p.size = w.kernel == KernelWindow::unset ? w.kernel_size : std::nullopt;
      m[w.kind] = p;
      continue;
    }
    p.cpu = w.cpu_start;
    if (const auto r = w.bus_range()) {
      p.bus = r->first;
    }
    p.size = w.end() - w.start() + 1;
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

model::DeviceIdentity
identity(const Device& d)
{
  return {d.vendor_id, d.device_id, d.name.empty() ? d.class_name : d.name, d.driver};
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
    c.detail = {std::string("another device at this address: its resources are not compared")};
    out.push_back(std::move(c));
    return;
  }
  if (a.driver != b.driver) {
    Change c;
    c.kind = ChangeKind::changed;
    c.path = {bdf, "driver"};
    c.before_value = model::Driver{a.driver};
    c.after_value = model::Driver{b.driver};
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
    c.before_value = model::Size{it->second};
    c.after_value = model::Size{size};
    c.detail = {std::string("current size")};
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
    c.detail = {identity(da ? *da : *db)};
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace memmap::pci
