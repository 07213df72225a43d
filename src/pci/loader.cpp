#include <memmap/pci/loader.hpp>

#include <memmap/error.hpp>
#include <memmap/pci/decode.hpp>
#include <memmap/pci/lspci_text.hpp>

#include <algorithm>
#include <charconv>
#include <csetjmp>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <tuple>

#include <fmt/format.h>

extern "C" {
#include <pci/pci.h>
}

namespace memmap::pci {

namespace {

// libpci reports fatal errors through a callback that must not return. memmap jumps back
// to the guarded call below and turns the message into an exception there. Only libpci's
// own C frames lie between the setjmp and the callback.
thread_local std::jmp_buf* t_jump = nullptr;
thread_local char t_error[512];

extern "C" __attribute__((noreturn, format(printf, 1, 2))) void
libpci_error(char* msg, ...)
{
  va_list ap;
  va_start(ap, msg);
  std::vsnprintf(t_error, sizeof t_error, msg, ap);
  va_end(ap);
  if (t_jump) {
    std::longjmp(*t_jump, 1);
  }
  std::fprintf(stderr, "memmap: libpci: %s\n", t_error);
  std::abort();
}

extern "C" void
libpci_quiet(char*, ...)
{
}

// For sysfs, libpci lists the functions and reads config space; memmap reads the
// attributes itself, each file once: pci_fill_info would read vendor and device again
// (config space has them) and realpath() the driver and iommu_group links (a readlink per
// path component, 35 system calls a function: half of `bar`'s time at N=4096).
constexpr unsigned k_fill_dump = PCI_FILL_IDENT | PCI_FILL_CLASS;

// pci_init + pci_scan_bus under the error guard. Returns false with t_error set if libpci
// gave up. No C++ object with a destructor lives in this frame.
bool
scan_guarded(pci_access* a)
{
  std::jmp_buf jb;
  t_jump = &jb;
  if (setjmp(jb) != 0) {
    t_jump = nullptr;
    return false;
  }
  pci_init(a);
  pci_scan_bus(a);
  t_jump = nullptr;
  return true;
}

// pci_fill_info for one function under the error guard: a function hot-removed between the
// directory listing and this read makes libpci give up on that function only ("Cannot open
// .../vendor"). Returns false with t_error set. No C++ object with a destructor lives here.
bool
fill_guarded(pci_dev* d, unsigned fill)
{
  std::jmp_buf jb;
  t_jump = &jb;
  if (setjmp(jb) != 0) {
    t_jump = nullptr;
    return false;
  }
  pci_fill_info(d, static_cast<int>(fill));
  t_jump = nullptr;
  return true;
}

struct AccessDeleter {
  void operator()(pci_access* a) const
  {
    if (a) {
      pci_cleanup(a);
    }
  }
};
using AccessPtr = std::unique_ptr<pci_access, AccessDeleter>;

AccessPtr
make_access(unsigned method)
{
  AccessPtr a(pci_alloc());
  a->method = method;
  a->error = libpci_error;
  a->warning = libpci_quiet;
  a->debug = libpci_quiet;
  return a;
}

// Read as much config space as the method gives: whole blocks as lspci does (4096, 256,
// 128, 64), then dword by dword for odd-sized dumps. Each byte read is marked present.
ConfigSpace
read_config(pci_dev* d)
{
  std::vector<std::uint8_t> bytes(4096, 0);
  std::size_t got = 0;
  for (int len : {4096, 256, 128, 64}) {
    if (pci_read_block(d, 0, bytes.data(), len)) {
      got = static_cast<std::size_t>(len);
      break;
    }
  }
  // An odd-sized dump: continue dword by dword up to where it ends.
  while (got < bytes.size() && pci_read_block(d, static_cast<int>(got), bytes.data() + got, 4)) {
    got += 4;
  }
  bytes.resize(got);
  return ConfigSpace::from_bytes(std::move(bytes));
}

std::optional<int>
parse_int(const std::optional<std::string>& s)
{
  if (!s) {
    return std::nullopt;
  }
  int v = 0;
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v, 10);
  if (ec != std::errc() || ptr != s->data() + s->size()) {
    return std::nullopt;
  }
  return v;
}

std::string
canonical_bdf(const pci_dev* d)
{
  return fmt::format("{:04x}:{:02x}:{:02x}.{}", static_cast<unsigned>(d->domain), d->bus, d->dev,
                     d->func);
}

void
sort_devices(PciModel& m)
{
  std::sort(m.devices.begin(), m.devices.end(), [](const Device& a, const Device& b) {
    return std::tie(a.domain, a.bus, a.dev, a.func) < std::tie(b.domain, b.bus, b.dev, b.func);
  });
}

// A sysfs "0x8086" ID file; 0 when missing or malformed.
std::uint16_t
read_id(const source::SysRoot::Dir& dir, std::string_view name)
{
  if (auto line = dir.read_line(name)) {
    if (auto v = source::parse_sysfs_hex(*line); v && *v <= 0xffff) {
      return static_cast<std::uint16_t>(*v);
    }
  }
  return 0;
}

void
name_device(Device& dev, const source::PciNames& names)
{
  dev.name = names.device(dev.vendor_id, dev.device_id);
  dev.class_name = names.class_name(dev.class_code);
}

} // namespace

PciModel
load_sysfs(const source::SysRoot& root, const source::PciNames& names, const LoadOptions& opts)
{
  PciModel model;
  model.origin = Origin::sysfs;
  model.source = root.display("sys/bus/pci");
  if (!root.exists("sys/bus/pci/devices")) {
    throw SourceError(root.display("sys/bus/pci/devices") + ": no such directory (no PCI sysfs)");
  }

  AccessPtr a = make_access(PCI_ACCESS_SYS_BUS_PCI);
  const std::string sysfs_path = root.path("sys/bus/pci").string();
  pci_set_param(a.get(), const_cast<char*>("sysfs.path"), const_cast<char*>(sysfs_path.c_str()));
  if (!scan_guarded(a.get())) {
    throw InputError(fmt::format("{}: libpci: {}", model.source, t_error));
  }

  std::size_t listed = 0;
  for (pci_dev* p = a->devices; p; p = p->next) {
    ++listed;
  }
  model.devices.reserve(listed);  // a Device is ~1 KiB: no doubling on a 16k-function machine
  for (pci_dev* p = a->devices; p; p = p->next) {
    Device dev;
    dev.domain = static_cast<std::uint32_t>(p->domain);
    dev.bus = p->bus;
    dev.dev = p->dev;
    dev.func = p->func;
    dev.bdf = canonical_bdf(p);
    const std::string dir = "sys/bus/pci/devices/" + dev.bdf;

    // Sysfs attributes first: they never touch the device. A directory (or its `class`, the
    // first file read) that is gone means the function was listed, then removed (or a
    // capture has a dangling link): skipped with a warning.
    const source::SysRoot::Dir attrs = root.open_dir(dir);
    const auto cls = attrs.read("class", 4096);
    if (!cls && (cls.error == ENOENT || cls.error == ENOTDIR)) {
      model.problems.push_back(model::Diagnostic{
          model::Severity::warning, "pci-function-vanished", attrs.display(), 0,
          fmt::format("listed but unreadable (removed while memmap read it?); skipped: {}",
                      attrs.is_open() ? cls.message
                                      : attrs.display() + ": " + std::strerror(attrs.error()))});
      continue;
    }
    if (cls) {
      if (auto c = source::parse_sysfs_hex(cls.data.substr(0, cls.data.find('\n')))) {
        dev.class_code = static_cast<std::uint32_t>(*c & 0xffffff);
      }
    } else {
      // There but unreadable (EIO): the class comes from config space instead.
      dev.problems.push_back(model::Diagnostic{model::Severity::warning, "sysfs-unreadable", "",
                                               0, cls.message + "; class taken from config space"});
    }
    if (!opts.addresses) {
      // identity and topology only (LoadOptions::addresses)
    } else if (auto res = attrs.read("resource", 1 << 16)) {
      dev.resource = parse_sysfs_resource(res.data, attrs.display() + "/resource");
      for (const auto& pr : dev.resource->problems) {
        dev.problems.push_back(pr);
      }
    } else if (res.error != ENOENT) {
      // There but unreadable (EIO from a device that stopped answering): say so, go on.
      dev.problems.push_back(model::Diagnostic{model::Severity::warning, "sysfs-unreadable", "",
                                               0, res.message + "; CPU addresses and sizes unknown"});
    }
    dev.power_state = attrs.read_line("power_state").value_or("");
    if (opts.addresses) {
      dev.dma_mask_bits = parse_int(attrs.read_line("dma_mask_bits"));
      dev.consistent_dma_mask_bits = parse_int(attrs.read_line("consistent_dma_mask_bits"));
      if (auto node = parse_int(attrs.read_line("numa_node")); node && *node >= 0) {
        dev.numa_node = node;
      }
    }
    if (auto link = attrs.link_name("driver")) {
      dev.driver = *link;  // the target's last component; in a capture it need not exist
    }
    if (auto grp = attrs.link_name("iommu_group")) {
      dev.iommu_group = parse_int(grp);
    }

    // Then config space, unless that would wake a sleeping function.
    if (dev.power_state == "D3cold" && !opts.wake) {
      dev.asleep = true;
      ++model.asleep_count;
    } else {
      dev.config = read_config(p);
      if (dev.config.size() < 256 && !dev.config.empty()) {
        model.config_truncated = true;
      }
      if (dev.config.empty()) {
        // Listed and its attributes read, but config gives nothing (EIO, or gone since).
        dev.problems.push_back(model::Diagnostic{
            model::Severity::warning, "config-unreadable", root.display(dir + "/config"), 0,
            "no byte could be read; header, BAR registers and capabilities unknown"});
      }
    }
    // The IDs: from config space when it gives them, else from sysfs. An SR-IOV virtual
    // function reads ffff there (the spec says so); the kernel takes its IDs from the PF.
    const auto cfg_vendor = dev.config.u16(0x00);
    if (cfg_vendor && *cfg_vendor != 0xffff && *cfg_vendor != 0) {
      dev.vendor_id = *cfg_vendor;
      dev.device_id = dev.config.u16(0x02).value_or(0);
    } else {
      dev.vendor_id = read_id(attrs, "vendor");
      dev.device_id = read_id(attrs, "device");
      if (auto pf = attrs.link_name("physfn")) {
        dev.physfn = *pf;
      }
    }
    decode_device(dev, model.source);
    if (!dev.is_bridge()) {
      dev.resource.reset();  // decoded into bars, rom and sriov (see Device::resource)
    }
    name_device(dev, names);
    model.devices.push_back(std::move(dev));
  }
  sort_devices(model);
  link_topology(model);
  return model;
}

PciModel
load_dump(const std::string& file, const source::PciNames& names, bool use_text)
{
  PciModel model;
  model.origin = Origin::dump;
  model.source = file;

  const auto text = source::read_file(file, file);
  if (!text) {
    throw SourceError(text.message);
  }
  const LspciText scanned = scan_lspci_text(text.data, file);
  if (scanned.devices.empty()) {
    throw InputError(file + ": no lspci device header (\"BB:DD.F \" at the start of a line)");
  }

  AccessPtr a = make_access(PCI_ACCESS_DUMP);
  pci_set_param(a.get(), const_cast<char*>("dump.name"), const_cast<char*>(file.c_str()));
  if (!scan_guarded(a.get())) {
    throw InputError(fmt::format("{}: libpci: {}", file, t_error));
  }
  for (pci_dev* p = a->devices; p; p = p->next) {
    if (!fill_guarded(p, k_fill_dump)) {
      throw InputError(fmt::format("{}: libpci: {}", file, t_error));
    }
  }

  std::map<std::string, const TextDevice*> by_bdf;
  for (const auto& td : scanned.devices) {
    by_bdf.emplace(td.bdf, &td);
  }

  for (pci_dev* p = a->devices; p; p = p->next) {
    Device dev;
    dev.domain = static_cast<std::uint32_t>(p->domain);
    dev.bus = p->bus;
    dev.dev = p->dev;
    dev.func = p->func;
    dev.bdf = canonical_bdf(p);
    dev.config = read_config(p);
    if (dev.config.size() < 256) {
      model.config_truncated = true;
    }
    decode_device(dev, file);
    dev.vendor_id = p->vendor_id;
    dev.device_id = p->device_id;

    // What the -v text adds: CPU addresses and sizes as the kernel reported them.
    const auto it = by_bdf.find(dev.bdf);
    if (use_text && it != by_bdf.end()) {
      const TextDevice& td = *it->second;
      dev.driver = td.driver;
      std::size_t seq = 0;
      for (const auto& tr : td.regions) {
        Bar* bar = nullptr;
        if (tr.index >= 0) {
          for (auto& b : dev.bars) {
            bar = b.index == tr.index ? &b : bar;
          }
        } else if (seq < dev.bars.size()) {
          bar = &dev.bars[seq];
        }
        ++seq;
        if (!bar || (bar->kind == BarKind::io) != tr.io) {
          dev.problems.push_back(model::Diagnostic{
            model::Severity::warning, "lspci-text-region", file, tr.line,
            dev.bdf + ": region line does not match any BAR in the hex dump; ignored"});
          continue;
        }
        if (tr.address) {
          bar->cpu_address = tr.address;
        }
        bar->size = tr.size ? tr.size : bar->size;
        bar->is_virtual = bar->is_virtual || tr.is_virtual;
        if (bar->cpu_address) {
          bar->unassigned = false;
          bar->ignored = false;
        }
      }
      if (td.rom) {
        if (!dev.rom) {
          dev.rom = Rom{};
          dev.rom->raw = dev.config.u32(dev.is_bridge() ? k_cfg_bridge_rom : k_cfg_rom);
          dev.rom->enabled = !td.rom->disabled;
        }
        if (td.rom->address) {
          dev.rom->cpu_address = td.rom->address;
          dev.rom->unassigned = false;
          dev.rom->ignored = false;
        }
        dev.rom->size = td.rom->size ? td.rom->size : dev.rom->size;
        dev.rom->is_virtual = dev.rom->is_virtual || td.rom->is_virtual;
        dev.rom->enabled = !td.rom->disabled && dev.rom->enabled;
      }
    }
    name_device(dev, names);
    model.devices.push_back(std::move(dev));
  }
  sort_devices(model);
  link_topology(model);
  return model;
}

// ---------------------------------------------------------------------------------------

void
link_topology(PciModel& model)
{
  std::map<std::pair<std::uint32_t, int>, std::string> bridge_for_bus;
  for (const auto& d : model.devices) {
    if (d.is_bridge() && d.buses && d.buses->secondary != 0 && !d.absent) {
      bridge_for_bus.emplace(std::make_pair(d.domain, static_cast<int>(d.buses->secondary)), d.bdf);
    }
  }
  for (auto& d : model.devices) {
    d.children.clear();
  }
  for (auto& d : model.devices) {
    const auto it = bridge_for_bus.find({d.domain, d.bus});
    d.parent_bdf = (it != bridge_for_bus.end() && it->second != d.bdf) ? it->second : "";
  }
  // Break cycles (hostile bus numbers): a device whose upstream walk meets itself loses its
  // parent link.
  for (auto& d : model.devices) {
    const Device* cur = &d;
    for (std::size_t steps = 0; cur && !cur->parent_bdf.empty(); ++steps) {
      cur = model.find(cur->parent_bdf);
      if (cur == &d || steps > model.devices.size()) {
        model.problems.push_back(model::Diagnostic{
          model::Severity::warning, "pci-topology-cycle", model.source, 0,
          d.bdf + ": bridge bus numbers form a cycle; parent link dropped"});
        d.parent_bdf.clear();
        break;
      }
    }
  }
  for (auto& d : model.devices) {
    if (d.parent_bdf.empty()) {
      continue;
    }
    if (const Device* p = model.find(d.parent_bdf)) {
      model.devices[static_cast<std::size_t>(p - model.devices.data())].children.push_back(d.bdf);
    }
  }

  // Does each BAR lie inside one of its parent bridge's windows?
  for (auto& d : model.devices) {
    const Device* parent = d.parent_bdf.empty() ? nullptr : model.find(d.parent_bdf);
    if (!parent) {
      continue;
    }
    for (auto& b : d.bars) {
      const bool use_cpu = b.cpu_address.has_value();
      const auto addr = use_cpu ? b.cpu_address : b.bus_address;
      if (!addr) {
        continue;
      }
      const std::uint64_t last = *addr + (b.size.value_or(1) - 1);
      bool inside = false;
      bool unknown = false;  // a window that could hold it has an unread upper half
      for (const auto& w : parent->windows) {
        if (!w.enabled) {
          continue;
        }
        const bool kind_ok = b.kind == BarKind::io ? w.kind == WindowKind::io
                             : b.prefetchable ? w.kind != WindowKind::io
                                              : w.kind == WindowKind::mem;
        if (w.upper_unknown && !(use_cpu && w.cpu_start)) {
          unknown = unknown || kind_ok;
          continue;
        }
        const std::uint64_t ws = use_cpu && w.cpu_start ? *w.cpu_start : w.bus_start;
        const std::uint64_t we = use_cpu && w.cpu_end ? *w.cpu_end : w.bus_end;
        if (kind_ok && *addr >= ws && last <= we && last >= *addr) {
          inside = true;
        }
      }
      if (inside || !unknown) {
        b.inside_parent_window = inside;
      }
    }
  }
}

namespace {

struct Found {
  const model::Region* region = nullptr;
  std::vector<const model::Region*> parents;
};

Placement
make_placement(const Found& f, bool exact, bool by_bus)
{
  Placement p;
  for (const auto* r : f.parents) {
    p.push_path(r->name);
  }
  p.push_path(f.region->name);
  p.exact = exact;
  p.by_bus_address = by_bus;
  if (exact) {
    for (const auto& c : f.region->children) {
      if (c.start == f.region->start && c.end == f.region->end) {
        p.claimed_by = c.name;
        break;
      }
    }
  }
  return p;
}

// Where BARs sit in a resource tree. The device lines are indexed by BDF in one walk, and the
// deepest containing region comes from the tree lookup, so cross-referencing every BAR of a
// large machine stays linear instead of walking the whole tree once per BAR.
class PlacementIndex {
public:
  explicit PlacementIndex(const model::AddressSpace& space)
    : m_space(space)
  {
    if (space.addresses_hidden) {
      return;
    }
    space.walk([&](const model::Region& r, const std::vector<const model::Region*>& parents) {
      if (r.kind == model::RegionKind::pci_device) {
        m_by_bdf[r.owner.bdf].push_back(Found{&r, parents});
      }
    });
  }

  std::optional<Placement> place(const std::string& bdf, std::uint64_t addr,
                                 std::optional<std::uint64_t> size, bool by_bus) const
  {
    if (m_space.addresses_hidden) {
      return std::nullopt;
    }
    if (auto it = m_by_bdf.find(bdf); it != m_by_bdf.end()) {
      for (const auto& f : it->second) {
        if (f.region->start == addr && (!size || f.region->end == addr + *size - 1)) {
          return make_placement(f, true, by_bus);
        }
      }
    }
    auto path = m_space.lookup(addr);
    if (path.empty()) {
      return std::nullopt;
    }
    Found deepest{path.back(), {}};
    path.pop_back();
    deepest.parents = std::move(path);
    return make_placement(deepest, false, by_bus);
  }

private:
  const model::AddressSpace& m_space;
  std::map<std::string, std::vector<Found>> m_by_bdf;
};

} // namespace

void
cross_reference(PciModel& model, const model::AddressSpace* iomem, const model::AddressSpace* ioports)
{
  std::optional<PlacementIndex> mem_index;
  std::optional<PlacementIndex> io_index;
  if (iomem) {
    mem_index.emplace(*iomem);
  }
  if (ioports) {
    io_index.emplace(*ioports);
  }
  auto index_for = [&](BarKind kind) -> const PlacementIndex* {
    const auto& ix = kind == BarKind::io ? io_index : mem_index;
    return ix ? &*ix : nullptr;
  };
  for (auto& d : model.devices) {
    for (auto& b : d.bars) {
      const auto* ix = index_for(b.kind);
      const auto addr = b.cpu_address ? b.cpu_address : b.bus_address;
      if (!ix || !addr) {
        continue;
      }
      b.placement = ix->place(d.bdf, *addr, b.size, !b.cpu_address);
    }
    if (d.rom && mem_index) {
      const auto addr = d.rom->cpu_address ? d.rom->cpu_address : d.rom->bus_address;
      if (addr) {
        d.rom->placement = mem_index->place(d.bdf, *addr, d.rom->size, !d.rom->cpu_address);
      }
    }
    if (d.sriov) {
      for (std::size_t i = 0; i < d.sriov->vf_bars.size(); ++i) {
        auto& b = d.sriov->vf_bars[i];
        const auto* ix = index_for(b.kind);
        const auto addr = b.cpu_address ? b.cpu_address : b.bus_address;
        if (ix && addr) {
          b.placement = ix->place(d.bdf, *addr, d.sriov->vf_apertures[i], !b.cpu_address);
        }
      }
    }
  }
}

} // namespace memmap::pci
