#include <catch2/catch.hpp>

#include <memmap/error.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/iommu/isolation.hpp>
#include <memmap/iommu/pci_topology.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bitset>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <tuple>

using namespace memmap::iommu;

namespace {

TopoDevice
port(const std::string& bdf, const std::string& parent, int type, bool acs, bool mf = false)
{
  TopoDevice d;
  d.bdf = bdf;
  d.parent_bdf = parent;
  d.is_bridge = true;
  d.is_pcie = true;
  d.pcie_type = type;
  d.multifunction = mf;
  if (acs) {
    // QEMU pcie-root-port: ACS cap SV|TB|RR|CR|UF, control all of them on (kernel enables).
    d.acs_cap = 0x1f;
    d.acs_ctrl = 0x1d;
  }
  return d;
}

TopoDevice
endpoint(const std::string& bdf, const std::string& parent, bool pcie = true, bool mf = false)
{
  TopoDevice d;
  d.bdf = bdf;
  d.parent_bdf = parent;
  d.is_pcie = pcie;
  d.pcie_type = pcie ? k_pcie_endpoint : -1;
  d.multifunction = mf;
  return d;
}

// The q35 test machine's topology (tests/vm): ACS root port with NVMe; a root port with a
// switch whose downstream ports lack ACS; a multifunction root port with disable-acs=on;
// a PCIe-to-PCI bridge with two conventional devices; the ICH9 functions at 00:1f.
Topology
q35()
{
  Topology t;
  auto add = [&](TopoDevice d) { t[d.bdf] = d; };
  add(port("0000:00:02.0", "", k_pcie_root_port, true));
  add(endpoint("0000:01:00.0", "0000:00:02.0"));  // nvme
  add(port("0000:00:03.0", "", k_pcie_root_port, true));
  add(port("0000:02:00.0", "0000:00:03.0", k_pcie_upstream, false));
  add(port("0000:03:00.0", "0000:02:00.0", k_pcie_downstream, false));
  add(port("0000:03:01.0", "0000:02:00.0", k_pcie_downstream, false));
  add(endpoint("0000:04:00.0", "0000:03:00.0"));
  add(endpoint("0000:05:00.0", "0000:03:01.0"));
  add(port("0000:00:04.0", "", k_pcie_root_port, false, true));
  add(port("0000:00:04.1", "", k_pcie_root_port, false, true));
  add(endpoint("0000:06:00.0", "0000:00:04.0"));
  add(endpoint("0000:07:00.0", "0000:00:04.1"));
  add(port("0000:00:05.0", "", k_pcie_pci_bridge, false));
  add(endpoint("0000:08:01.0", "0000:00:05.0", false));
  add(endpoint("0000:08:02.0", "0000:00:05.0", false));
  add(endpoint("0000:00:1f.0", "", false, true));
  add(endpoint("0000:00:1f.2", "", false, true));
  add(endpoint("0000:00:1f.3", "", false, true));
  return t;
}

} // namespace

// ---------------------------------------------------------------------------------------
// An independent model of the kernel's grouping, written after the structure of
// drivers/iommu/iommu.c (pci_device_group, get_pci_alias_group,
// get_pci_function_alias_group), drivers/pci/search.c (pci_for_each_dma_alias) and
// drivers/pci/pci.c (pci_acs_enabled, pci_acs_flags_enabled, pci_acs_path_enabled): devices
// on buses, probed in the order the PCI core adds them, each either finding an existing group
// on the way or allocating a new one. It shares no code with src/iommu/isolation.cpp. Every
// step that takes a device towards a group is recorded, so a test can ask whether memmap's
// explanation names a device and a rule on the walk the kernel took.
// ---------------------------------------------------------------------------------------
namespace {
namespace kref {

constexpr std::uint16_t ACS_SV = 0x01, ACS_TB = 0x02, ACS_RR = 0x04, ACS_CR = 0x08,
                        ACS_UF = 0x10, ACS_EC = 0x20;
constexpr std::uint16_t REQ_ACS = ACS_SV | ACS_RR | ACS_CR | ACS_UF;
enum PcieType {
  T_ENDPOINT = 0,
  T_LEG_END = 1,
  T_ROOT_PORT = 4,
  T_UPSTREAM = 5,
  T_DOWNSTREAM = 6,
  T_PCI_BRIDGE = 7,
  T_PCIE_BRIDGE = 8,
  T_RC_END = 9,
  T_RC_EC = 10
};

struct Bus;

struct Step {
  std::string rule;  // alias, no-acs, function, dma-alias
  std::string device;
  bool operator<(const Step& o) const { return std::tie(rule, device) < std::tie(o.rule, o.device); }
};

struct Dev {
  int devfn = 0;
  Bus* bus = nullptr;
  Bus* subordinate = nullptr;
  bool pcie = false;
  int type = -1;
  bool multifunction = false;
  bool has_acs = false;  // the ACS extended capability exists (pdev->acs_cap != 0)
  std::uint16_t acs_cap = 0, acs_ctrl = 0;
  std::bitset<256> dma_alias_mask;
  bool no_alias = false, xlate_root = false;
  int group = -1;
  std::vector<Step> trace;
  std::string name() const;
};

struct Bus {
  int domain = 0, number = 0;
  Dev* self = nullptr;  // null: a root bus
  Bus* parent = nullptr;
  std::vector<Dev*> devices;
};

std::string
Dev::name() const
{
  return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", bus->domain, bus->number, devfn >> 3, devfn & 7);
}

struct Machine {
  std::vector<std::unique_ptr<Bus>> buses;
  std::vector<std::unique_ptr<Dev>> devs;
  std::vector<Bus*> roots;
  std::set<std::string> acs_redir_off;
  int next_group = 0;
};

bool pci_is_root_bus(const Bus* b) { return b->parent == nullptr; }

// pci_acs_flags_enabled(): controls missing from the capability register are hard-wired
// on, except Egress Control.
bool
acs_flags_enabled(const Dev* d, std::uint16_t flags)
{
  if (!d->has_acs) {
    return false;
  }
  flags &= static_cast<std::uint16_t>(d->acs_cap | ACS_EC);
  return (d->acs_ctrl & flags) == flags;
}

bool
acs_enabled(const Dev* d, std::uint16_t flags)
{
  // pci_dev_specific_acs_enabled() quirks are not modelled: they answer < 0 here.
  if (!d->pcie) {
    return false;
  }
  switch (d->type) {
  case T_PCIE_BRIDGE:
  case T_PCI_BRIDGE:
  case T_RC_EC:
    return false;
  case T_DOWNSTREAM:
  case T_ROOT_PORT:
    return acs_flags_enabled(d, flags);
  case T_ENDPOINT:
  case T_UPSTREAM:
  case T_LEG_END:
  case T_RC_END:
    if (!d->multifunction) {
      break;
    }
    return acs_flags_enabled(d, flags);
  default:
    break;
  }
  return true;
}

// pci_acs_path_enabled(start, NULL, flags), returning the device where it fails (or null).
const Dev*
acs_path_failure(const Dev* start, std::uint16_t flags)
{
  const Dev* parent = start;
  for (;;) {
    const Dev* pdev = parent;
    if (!acs_enabled(pdev, flags)) {
      return pdev;
    }
    if (pci_is_root_bus(pdev->bus)) {
      return nullptr;
    }
    parent = pdev->bus->self;
  }
}

// pci_for_each_dma_alias(): fn(pdev, alias) for the device, its quirk aliases, and every
// bridge upstream that takes over the requester ID; stops when fn returns non-zero.
template <typename Fn>
int
for_each_dma_alias(Dev* pdev, Fn fn)
{
  int ret = fn(pdev, (pdev->bus->number << 8) | pdev->devfn);
  if (ret) {
    return ret;
  }
  for (int devfn = 0; devfn < 256; ++devfn) {
    if (pdev->dma_alias_mask.test(static_cast<std::size_t>(devfn))) {
      ret = fn(pdev, (pdev->bus->number << 8) | devfn);
      if (ret) {
        return ret;
      }
    }
  }
  for (Bus* bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent) {
    Dev* tmp = bus->self;
    if (!tmp) {
      continue;
    }
    if (tmp->xlate_root) {
      return ret;
    }
    if (tmp->pcie) {
      switch (tmp->type) {
      case T_ROOT_PORT:
      case T_UPSTREAM:
      case T_DOWNSTREAM:
        continue;
      case T_PCI_BRIDGE:
        if (tmp->no_alias) {
          continue;
        }
        ret = fn(tmp, tmp->subordinate->number << 8);
        if (ret) {
          return ret;
        }
        continue;
      case T_PCIE_BRIDGE:
        ret = fn(tmp, (tmp->bus->number << 8) | tmp->devfn);
        if (ret) {
          return ret;
        }
        continue;
      default:
        break;
      }
    } else {
      ret = fn(tmp, (tmp->bus->number << 8) | tmp->devfn);
      if (ret) {
        return ret;
      }
    }
  }
  return ret;
}

bool
devs_are_dma_aliases(const Dev* a, const Dev* b)
{
  return a->dma_alias_mask.test(static_cast<std::size_t>(b->devfn))
         || b->dma_alias_mask.test(static_cast<std::size_t>(a->devfn));
}

int get_pci_alias_group(Machine& m, Dev* pdev, std::bitset<256>& devfns, Dev* origin);

// get_pci_function_alias_group()
int
get_pci_function_alias_group(Machine& m, Dev* pdev, std::bitset<256>& devfns, Dev* origin)
{
  if (!pdev->multifunction || acs_enabled(pdev, REQ_ACS)) {
    return -1;
  }
  for (auto& up : m.devs) {
    Dev* tmp = up.get();
    if (tmp == pdev || tmp->bus != pdev->bus || (tmp->devfn >> 3) != (pdev->devfn >> 3)
        || acs_enabled(tmp, REQ_ACS)) {
      continue;
    }
    const int g = get_pci_alias_group(m, tmp, devfns, origin);
    if (g >= 0) {
      origin->trace.push_back({"function", pdev->name()});
      origin->trace.push_back({"function", tmp->name()});
      return g;
    }
  }
  return -1;
}

// get_pci_alias_group()
int
get_pci_alias_group(Machine& m, Dev* pdev, std::bitset<256>& devfns, Dev* origin)
{
  if (devfns.test(static_cast<std::size_t>(pdev->devfn))) {
    return -1;
  }
  devfns.set(static_cast<std::size_t>(pdev->devfn));
  if (pdev->group >= 0) {
    return pdev->group;
  }
  for (auto& up : m.devs) {
    Dev* tmp = up.get();
    if (tmp == pdev || tmp->bus != pdev->bus) {
      continue;
    }
    if (devs_are_dma_aliases(pdev, tmp)) {
      int g = get_pci_alias_group(m, tmp, devfns, origin);
      if (g < 0) {
        g = get_pci_function_alias_group(m, tmp, devfns, origin);
      }
      if (g >= 0) {
        origin->trace.push_back({"dma-alias", pdev->name()});
        origin->trace.push_back({"dma-alias", tmp->name()});
        return g;
      }
    }
  }
  return -1;
}

// pci_device_group()
int
pci_device_group(Machine& m, Dev* dev)
{
  Dev* last = nullptr;
  int found = -1;
  for_each_dma_alias(dev, [&](Dev* pdev, int) {
    last = pdev;
    if (pdev != dev) {
      dev->trace.push_back({"alias", pdev->name()});
    }
    found = pdev->group;
    return found >= 0 ? 1 : 0;
  });
  if (found >= 0) {
    return found;
  }
  Dev* pdev = last;
  for (Bus* bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent) {
    if (!bus->self) {
      continue;
    }
    const Dev* fail = acs_path_failure(bus->self, REQ_ACS);
    if (!fail) {
      break;
    }
    dev->trace.push_back({"no-acs", fail->name()});
    pdev = bus->self;
    if (pdev->group >= 0) {
      return pdev->group;
    }
  }
  std::bitset<256> devfns;
  int g = get_pci_alias_group(m, pdev, devfns, dev);
  if (g >= 0) {
    return g;
  }
  g = get_pci_function_alias_group(m, pdev, devfns, dev);
  if (g >= 0) {
    return g;
  }
  return m.next_group++;
}

// pci_bus_add_devices(): the devices of a bus, then the buses below them.
void
add_order(Bus* bus, std::vector<Dev*>& out)
{
  for (Dev* d : bus->devices) {
    out.push_back(d);
  }
  for (Dev* d : bus->devices) {
    if (d->subordinate) {
      add_order(d->subordinate, out);
    }
  }
}

// Boot: pci=disable_acs_redir= clears Request/Completion Redirect and Egress Control on the
// named devices; then every device is probed (bus_iommu_probe()).
std::map<int, std::vector<std::string>>
probe_all(Machine& m)
{
  for (auto& d : m.devs) {
    if (m.acs_redir_off.count(d->name())) {
      d->acs_ctrl &= static_cast<std::uint16_t>(~(ACS_RR | ACS_CR | ACS_EC));
    }
  }
  std::vector<Dev*> order;
  for (Bus* r : m.roots) {
    add_order(r, order);
  }
  std::map<int, std::vector<std::string>> groups;
  for (Dev* d : order) {
    d->group = pci_device_group(m, d);
    groups[d->group].push_back(d->name());
  }
  for (auto& [id, v] : groups) {
    std::sort(v.begin(), v.end());
  }
  return groups;
}

// ---- Generated topologies ----

struct Gen {
  Machine& m;
  std::mt19937 rng;
  int max_depth;
  int deepest = 0;
  std::map<int, int> next_bus;  // per domain
  explicit Gen(Machine& mm, unsigned seed) : m(mm), rng(seed), max_depth(0) {}

  int r(int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); }
  bool chance(int one_in) { return r(one_in) == 0; }

  Bus* new_bus(int domain, Dev* self) {
    auto b = std::make_unique<Bus>();
    b->domain = domain;
    b->number = next_bus[domain]++;
    b->self = self;
    b->parent = self ? self->bus : nullptr;
    if (self) {
      self->subordinate = b.get();
    }
    m.buses.push_back(std::move(b));
    return m.buses.back().get();
  }

  Dev* add(Bus* bus, int slot, int fn, bool pcie, int type, bool mf) {
    auto d = std::make_unique<Dev>();
    d->devfn = (slot << 3) | fn;
    d->bus = bus;
    d->pcie = pcie;
    d->type = type;
    d->multifunction = mf;
    bus->devices.push_back(d.get());
    m.devs.push_back(std::move(d));
    return m.devs.back().get();
  }

  // ACS as a port or multifunction device may have it.
  void acs(Dev* d) {
    switch (r(6)) {
    case 0:
    case 1:
      break;  // no ACS capability
    case 2:   // QEMU-like: everything the kernel asks for enabled
      d->has_acs = true;
      d->acs_cap = ACS_SV | ACS_TB | ACS_RR | ACS_CR | ACS_UF;
      d->acs_ctrl = ACS_SV | ACS_RR | ACS_CR | ACS_UF;
      break;
    case 3:  // a capability with only SV and RR: the rest counts as hard-wired
      d->has_acs = true;
      d->acs_cap = ACS_SV | ACS_RR;
      d->acs_ctrl = ACS_SV | ACS_RR;
      break;
    case 4:  // implemented but one required control left off
      d->has_acs = true;
      d->acs_cap = ACS_SV | ACS_RR | ACS_CR | ACS_UF | ACS_EC;
      d->acs_ctrl = static_cast<std::uint16_t>((ACS_SV | ACS_RR | ACS_CR | ACS_UF)
                                               & ~(1u << (r(4) == 0 ? 0 : 2 + r(3))));
      break;
    default:  // full ACS, but pci=disable_acs_redir= names it half the time
      d->has_acs = true;
      d->acs_cap = ACS_SV | ACS_RR | ACS_CR | ACS_UF;
      d->acs_ctrl = ACS_SV | ACS_RR | ACS_CR | ACS_UF;
      if (chance(2)) {
        m.acs_redir_off.insert(d->name());
      }
      break;
    }
  }

  // An endpoint slot: one function or a multifunction device, maybe with a DMA alias quirk.
  void endpoint_slot(Bus* bus, int slot, bool pcie, int type) {
    const int nfn = chance(3) ? 2 + r(3) : 1;
    std::vector<Dev*> fns;
    for (int f = 0; f < nfn; ++f) {
      Dev* d = add(bus, slot, f, pcie, type, nfn > 1);
      if (nfn > 1 && pcie) {
        acs(d);
      }
      fns.push_back(d);
    }
    if (chance(8)) {  // a DMA alias quirk: function 1 of the slot, or some devfn of the bus
      Dev* q = fns[static_cast<std::size_t>(r(nfn))];
      const int target = chance(2) ? ((slot << 3) | 1) : r(256);
      if (target != q->devfn) {
        q->dma_alias_mask.set(static_cast<std::size_t>(target));
      }
    }
  }

  // A conventional PCI bus behind bridge `b`: devices, maybe a PCI-to-PCI bridge with more.
  void conventional_bus(Dev* b, int depth) {
    Bus* bus = new_bus(b->bus->domain, b);
    const int n = 1 + r(4);
    for (int s = 0; s < n; ++s) {
      if (depth < max_depth && chance(4)) {
        Dev* pb = add(bus, s + 1, 0, false, -1, false);
        if (chance(10)) {
          pb->xlate_root = true;
        }
        conventional_bus(pb, depth + 1);
      } else {
        endpoint_slot(bus, s + 1, false, -1);
      }
    }
    deepest = std::max(deepest, depth);
  }

  // What sits below a root port or downstream port.
  void below_port(Dev* port, int depth) {
    deepest = std::max(deepest, depth);
    const int choice = r(10);
    if (choice == 0) {
      new_bus(port->bus->domain, port);  // an empty slot
      return;
    }
    Bus* bus = nullptr;
    if (choice <= 3 && depth < max_depth && next_bus[port->bus->domain] < 200) {  // a switch
      bus = new_bus(port->bus->domain, port);
      const bool mf_usp = chance(6);
      Dev* usp = add(bus, 0, 0, true, T_UPSTREAM, mf_usp);
      if (mf_usp) {
        acs(usp);
        Dev* mgmt = add(bus, 0, 1, true, T_ENDPOINT, true);
        acs(mgmt);
      }
      Bus* internal = new_bus(port->bus->domain, usp);
      const int ndsp = 1 + r(4);
      const bool mf_dsp = chance(8);
      for (int i = 0; i < ndsp; ++i) {
        Dev* dsp = mf_dsp ? add(internal, 0, i, true, T_DOWNSTREAM, ndsp > 1)
                          : add(internal, i, 0, true, T_DOWNSTREAM, false);
        acs(dsp);
        below_port(dsp, depth + 1);
      }
      return;
    }
    bus = new_bus(port->bus->domain, port);
    if (choice <= 5) {  // a PCIe-to-PCI bridge with a conventional bus
      Dev* b = add(bus, 0, 0, true, T_PCI_BRIDGE, false);
      b->no_alias = chance(8);
      b->xlate_root = chance(12);
      conventional_bus(b, depth + 1);
      return;
    }
    if (choice == 6 && depth < max_depth && next_bus[port->bus->domain] < 200) {  // a PCI-to-PCIe bridge with an endpoint
      Dev* b = add(bus, 0, 0, true, T_PCIE_BRIDGE, false);
      Bus* sec = new_bus(port->bus->domain, b);
      endpoint_slot(sec, 0, true, T_ENDPOINT);
      return;
    }
    endpoint_slot(bus, 0, true, chance(6) ? T_LEG_END : T_ENDPOINT);
  }

  void root_bus(int domain, int number) {
    next_bus[domain] = std::max(next_bus[domain], number);
    Bus* rb = new_bus(domain, nullptr);
    m.roots.push_back(rb);
    const int nslots = 1 + r(5);
    for (int i = 0; i < nslots; ++i) {
      const int slot = 1 + i * 3 + r(3);
      switch (r(7)) {
      case 0:
      case 1:
      case 2: {  // root ports, sometimes several functions of one slot (PCH style)
        const int nfn = chance(3) ? 2 + r(3) : 1;
        for (int f = 0; f < nfn; ++f) {
          Dev* rp = add(rb, slot, f, true, T_ROOT_PORT, nfn > 1);
          acs(rp);
          if (chance(25)) {
            rp->xlate_root = true;
          }
          below_port(rp, 1);
        }
        break;
      }
      case 3:  // root-complex integrated endpoint(s)
        endpoint_slot(rb, slot, true, T_RC_END);
        break;
      case 4: {  // a PCIe-to-PCI bridge on the root bus
        Dev* b = add(rb, slot, 0, true, T_PCI_BRIDGE, false);
        conventional_bus(b, 1);
        break;
      }
      case 5:  // conventional devices on the root bus (ICH style)
        endpoint_slot(rb, slot, false, -1);
        break;
      default: {  // an RC event collector and an endpoint in one slot
        add(rb, slot, 0, true, T_RC_EC, true);
        add(rb, slot, 1, true, T_RC_END, true);
        break;
      }
      }
    }
    // An NTB-style quirk: one function of the root bus DMAs with another's requester ID.
    if (rb->devices.size() > 1 && chance(4)) {
      Dev* q = rb->devices[static_cast<std::size_t>(r(static_cast<int>(rb->devices.size())))];
      Dev* o = rb->devices[static_cast<std::size_t>(r(static_cast<int>(rb->devices.size())))];
      if (q != o) {
        q->dma_alias_mask.set(static_cast<std::size_t>(o->devfn));
      }
    }
  }
};

// A machine with 1-3 root buses (two host bridges in domain 0, one in domain 1) and
// switches up to 1-6 levels deep.
std::unique_ptr<Machine>
generate(unsigned seed, int* depth_reached = nullptr)
{
  auto m = std::make_unique<Machine>();
  Gen g(*m, seed);
  g.max_depth = 1 + g.r(6);
  const int nroots = 1 + g.r(3);
  const std::pair<int, int> roots[] = {{0, 0x00}, {0, 0x80}, {1, 0x00}};
  for (int i = 0; i < nroots; ++i) {
    g.root_bus(roots[i].first, roots[i].second);
  }
  if (depth_reached) {
    *depth_reached = g.deepest;
  }
  return m;
}

// memmap's view of the machine; the ACS control register as read before the kernel cleared
// the redirect bits (memmap applies acs_redir_off itself). `unreadable` devices look as they
// do from a 64-byte config read: header fields only.
memmap::iommu::Topology
to_topology(const Machine& m, const std::set<std::string>& unreadable,
            const std::map<std::string, std::uint16_t>& ctrl_before_boot)
{
  memmap::iommu::Topology t;
  for (const auto& d : m.devs) {
    memmap::iommu::TopoDevice td;
    td.bdf = d->name();
    td.parent_bdf = d->bus->self ? d->bus->self->name() : "";
    td.is_bridge = d->subordinate != nullptr;
    td.multifunction = d->multifunction;
    td.config_known = !unreadable.count(td.bdf);
    if (td.config_known) {
      td.is_pcie = d->pcie;
      td.pcie_type = d->pcie ? d->type : -1;
      if (d->has_acs) {
        td.acs_cap = d->acs_cap;
        auto it = ctrl_before_boot.find(td.bdf);
        td.acs_ctrl = it != ctrl_before_boot.end() ? it->second : d->acs_ctrl;
      }
    }
    for (int f = 0; f < 256; ++f) {
      if (d->dma_alias_mask.test(static_cast<std::size_t>(f))) {
        td.dma_alias_devfns.push_back(f);
      }
    }
    td.bridge_no_alias = d->no_alias;
    td.xlate_root = d->xlate_root;
    t[td.bdf] = td;
  }
  return t;
}

std::map<std::string, std::uint16_t>
ctrl_before_boot(const Machine& m)
{
  std::map<std::string, std::uint16_t> out;
  for (const auto& d : m.devs) {
    out[d->name()] = d->acs_ctrl;
  }
  return out;
}

std::string
describe(const Machine& m)
{
  std::string s;
  for (const auto& d : m.devs) {
    s += fmt::format("{} parent={} pcie={} type={} mf={} acs={}:{:#x}/{:#x}{}{}{}{} group={}\n",
                     d->name(), d->bus->self ? d->bus->self->name() : "-", d->pcie, d->type,
                     d->multifunction, d->has_acs, d->acs_cap, d->acs_ctrl,
                     m.acs_redir_off.count(d->name()) ? " redir-off" : "",
                     d->dma_alias_mask.any() ? " dma-alias" : "", d->no_alias ? " no-alias" : "",
                     d->xlate_root ? " xlate-root" : "", d->group);
  }
  return s;
}

} // namespace kref
} // namespace

TEST_CASE("ACS rules follow pci_acs_enabled()", "[iommu]")
{
  const std::set<std::string> none;
  CHECK(acs_isolates(port("a", "", k_pcie_root_port, true), none));
  CHECK_FALSE(acs_isolates(port("a", "", k_pcie_root_port, false), none));
  CHECK_FALSE(acs_isolates(port("a", "", k_pcie_downstream, false), none));
  CHECK(acs_isolates(port("a", "", k_pcie_upstream, false), none));  // single function
  CHECK_FALSE(acs_isolates(port("a", "", k_pcie_upstream, false, true), none));
  CHECK_FALSE(acs_isolates(port("a", "", k_pcie_pci_bridge, true), none));
  CHECK(acs_isolates(endpoint("e", ""), none));
  CHECK_FALSE(acs_isolates(endpoint("e", "", false), none));  // conventional PCI
  CHECK_FALSE(acs_isolates(endpoint("e", "", true, true), none));  // MF without ACS

  // Controls the capability lacks count as hard-wired on: a port with only SV and RR in
  // its capability isolates once SV and RR are enabled.
  auto p = port("0000:00:1c.0", "", k_pcie_root_port, true);
  p.acs_cap = k_acs_sv | k_acs_rr;
  p.acs_ctrl = k_acs_sv | k_acs_rr;
  CHECK(acs_isolates(p, none));
  p.acs_ctrl = k_acs_sv;
  CHECK_FALSE(acs_isolates(p, none));
  CHECK(missing_acs_controls(p, none) == "does not enable ACS ReqRedir");
  // pci=disable_acs_redir= turns Request/Completion Redirect off.
  auto q = port("0000:00:1c.4", "", k_pcie_root_port, true);
  CHECK(acs_isolates(q, none));
  CHECK_FALSE(acs_isolates(q, {"0000:00:1c.4"}));
  CHECK(missing_acs_controls(q, {"0000:00:1c.4"})
        == "does not enable ACS ReqRedir and CmpltRedir (pci=disable_acs_redir= on the kernel "
           "command line)");
  CHECK(missing_acs_controls(port("x", "", k_pcie_root_port, false), none)
        == "has no ACS capability");
}

TEST_CASE("the q35 machine's groups are explained from the topology", "[iommu]")
{
  const auto t = q35();
  const std::set<std::string> none;
  auto c = explain_group({"0000:01:00.0"}, t, none);
  CHECK(c.kind == "alone");
  CHECK(c.isolated);
  CHECK_FALSE(c.device);

  c = explain_group({"0000:03:00.0", "0000:04:00.0"}, t, none);
  CHECK(c.kind == "no-acs");
  CHECK(c.device == std::optional<std::string>("0000:03:00.0"));
  CHECK_FALSE(c.isolated);
  CHECK(c.reason.find("switch downstream port") != std::string::npos);
  CHECK(c.reason.find("has no ACS capability") != std::string::npos);

  c = explain_group({"0000:00:04.0", "0000:00:04.1", "0000:06:00.0", "0000:07:00.0"}, t, none);
  CHECK(c.kind == "no-acs");
  CHECK(c.device == std::optional<std::string>("0000:00:04.0"));
  CHECK(c.reason.find("0000:00:04.1") != std::string::npos);

  c = explain_group({"0000:00:05.0", "0000:08:01.0", "0000:08:02.0"}, t, none);
  CHECK(c.kind == "pcie-to-pci-bridge");
  CHECK(c.device == std::optional<std::string>("0000:00:05.0"));

  c = explain_group({"0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3"}, t, none);
  CHECK(c.kind == "same-slot");
  CHECK(c.isolated);

  // Two root-bus endpoints in different slots: nothing in the topology groups them.
  c = explain_group({"0000:01:00.0", "0000:00:1f.0"}, t, none);
  CHECK(c.kind == "unknown");
  CHECK_FALSE(c.isolated);
}

TEST_CASE("hostile topology: a parent cycle does not hang", "[iommu]")
{
  Topology t;
  t["0000:01:00.0"] = port("0000:01:00.0", "0000:02:00.0", k_pcie_downstream, false);
  t["0000:02:00.0"] = port("0000:02:00.0", "0000:01:00.0", k_pcie_downstream, false);
  t["0000:03:00.0"] = endpoint("0000:03:00.0", "0000:01:00.0");
  const auto c = explain_group({"0000:01:00.0", "0000:03:00.0"}, t, {});
  CHECK(c.kind == "no-acs");
}

TEST_CASE("reserved_regions parse and reject malformed lines", "[iommu]")
{
  const auto r = parse_reserved_regions("0x00000000fee00000 0x00000000feefffff msi\n"
                                        "0x00000000000e8000 0x00000000000e8fff direct-relaxable\n",
                                        "rr");
  REQUIRE(r.size() == 2);
  CHECK(r[0].start == 0xfee00000);
  CHECK(r[0].end == 0xfeefffff);
  CHECK(r[0].type == "msi");
  CHECK(r[1].type == "direct-relaxable");
  CHECK(parse_reserved_regions("", "rr").empty());
  auto err = [](const char* text) {
    try {
      parse_reserved_regions(text, "rr");
    } catch (const memmap::InputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(err("0xfee00000 0xfeefffff\n") == "rr:1: expected 'START END TYPE', got 2 fields");
  CHECK(err("0xfee00000 0xfeefffff msi\n0xzz 0x1 msi\n") == "rr:2: bad hex address '0xzz'");
  CHECK(err("0x2 0x1 msi\n") == "rr:1: start 0x2 is above end 0x1");
  CHECK(err("0x1 0x2 sw-msi\n")
        == "rr:1: unknown region type 'sw-msi' (direct, direct-relaxable, reserved or msi)");
}

TEST_CASE("IOMMU options on the kernel command line", "[iommu]")
{
  const char* cmdline = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt "
                        "amd_iommu=off iommu.strict=1 pci=noaer,disable_acs_redir=00:1c.4;"
                        "0000:00:1d.0;pci:8086:1234,realloc quiet\n";
  CHECK(iommu_cmdline_tokens(cmdline)
        == std::vector<std::string>{"intel_iommu=on", "iommu=pt", "amd_iommu=off",
                                    "iommu.strict=1"});
  CHECK(disable_acs_redir_devices(cmdline)
        == std::vector<std::string>{"0000:00:1c.4", "0000:00:1d.0"});
}

TEST_CASE("unreadable capabilities give an honest 'unknown'", "[iommu]")
{
  auto t = q35();
  t["0000:03:00.0"].config_known = false;  // a 64-byte (non-root) config read
  const auto c = explain_group({"0000:03:00.0", "0000:04:00.0"}, t, {});
  CHECK(c.kind == "unknown");
  CHECK(c.reason.find("0000:03:00.0") != std::string::npos);
  const auto c2 = explain_group({"0000:04:00.0", "0000:99:00.0"}, t, {});
  CHECK(c2.kind == "unknown");
  CHECK(c2.reason.find("0000:99:00.0") != std::string::npos);
}

// ---- Deep topologies, by hand: one per rule ----

namespace {

Topology
add_all(std::initializer_list<TopoDevice> devs)
{
  Topology t;
  for (const auto& d : devs) {
    t[d.bdf] = d;
  }
  return t;
}

std::optional<std::string>
dev(const char* bdf)
{
  return std::string(bdf);
}

} // namespace

TEST_CASE("no-acs at a downstream port two switches down", "[iommu]")
{
  // RP(ACS) - USP - DSP(ACS) - USP - DSP(no ACS) - endpoint; its sibling DSP has ACS.
  const auto t = add_all({port("0000:00:01.0", "", k_pcie_root_port, true),
                          port("0000:01:00.0", "0000:00:01.0", k_pcie_upstream, false),
                          port("0000:02:00.0", "0000:01:00.0", k_pcie_downstream, true),
                          port("0000:03:00.0", "0000:02:00.0", k_pcie_upstream, false),
                          port("0000:04:00.0", "0000:03:00.0", k_pcie_downstream, false),
                          port("0000:04:01.0", "0000:03:00.0", k_pcie_downstream, true),
                          endpoint("0000:05:00.0", "0000:04:00.0"),
                          endpoint("0000:06:00.0", "0000:04:01.0")});
  const auto c = explain_group({"0000:04:00.0", "0000:05:00.0"}, t, {});
  CHECK(c.kind == "no-acs");
  CHECK(c.device == dev("0000:04:00.0"));
  CHECK(c.reason.find("switch downstream port") != std::string::npos);
  CHECK(explain_group({"0000:06:00.0"}, t, {}).kind == "alone");
}

TEST_CASE("a root port without ACS groups its whole subtree, and only that", "[iommu]")
{
  // RP 00:01.0 without ACS above a switch whose DSPs have ACS (and one that lacks it): the
  // kernel walks to the topmost device without ACS, the root port.
  const auto t = add_all({port("0000:00:01.0", "", k_pcie_root_port, false),
                          port("0000:01:00.0", "0000:00:01.0", k_pcie_upstream, false),
                          port("0000:02:00.0", "0000:01:00.0", k_pcie_downstream, true),
                          port("0000:02:01.0", "0000:01:00.0", k_pcie_downstream, false),
                          endpoint("0000:03:00.0", "0000:02:00.0"),
                          endpoint("0000:04:00.0", "0000:02:01.0"),
                          port("0000:00:02.0", "", k_pcie_root_port, true),
                          endpoint("0000:05:00.0", "0000:00:02.0")});
  const auto c = explain_group({"0000:00:01.0", "0000:01:00.0", "0000:02:00.0", "0000:02:01.0",
                                "0000:03:00.0", "0000:04:00.0"},
                               t, {});
  CHECK(c.kind == "no-acs");
  CHECK(c.device == dev("0000:00:01.0"));
  CHECK(c.reason.find("root port") != std::string::npos);
  CHECK(explain_group({"0000:05:00.0"}, t, {}).kind == "alone");
  // A group that stops below the root port (the kernel's quirk isolates it) names the DSP.
  const auto d = explain_group({"0000:02:01.0", "0000:04:00.0"}, t, {});
  CHECK(d.kind == "no-acs");
  CHECK(d.device == dev("0000:02:01.0"));
}

TEST_CASE("multifunction devices without ACS", "[iommu]")
{
  auto mf_ep = [](const char* bdf, const char* parent, bool acs) {
    auto e = endpoint(bdf, parent, true, true);
    if (acs) {
      e.acs_cap = 0x1f;
      e.acs_ctrl = 0x1d;
    }
    return e;
  };
  // A two-function endpoint behind a DSP with ACS: its functions group alone (same-slot).
  auto t = add_all({port("0000:00:01.0", "", k_pcie_root_port, true),
                    port("0000:01:00.0", "0000:00:01.0", k_pcie_upstream, false),
                    port("0000:02:00.0", "0000:01:00.0", k_pcie_downstream, true),
                    mf_ep("0000:03:00.0", "0000:02:00.0", false),
                    mf_ep("0000:03:00.1", "0000:02:00.0", false)});
  auto c = explain_group({"0000:03:00.0", "0000:03:00.1"}, t, {});
  CHECK(c.kind == "same-slot");
  CHECK(c.isolated);
  // A multifunction upstream port without ACS (a management function beside it): everything
  // below the switch joins it.
  t = add_all({port("0000:00:01.0", "", k_pcie_root_port, true),
               port("0000:01:00.0", "0000:00:01.0", k_pcie_upstream, false, true),
               mf_ep("0000:01:00.1", "0000:00:01.0", false),
               port("0000:02:00.0", "0000:01:00.0", k_pcie_downstream, true),
               port("0000:02:01.0", "0000:01:00.0", k_pcie_downstream, true),
               endpoint("0000:03:00.0", "0000:02:00.0"), endpoint("0000:04:00.0", "0000:02:01.0")});
  c = explain_group({"0000:01:00.0", "0000:01:00.1", "0000:02:00.0", "0000:02:01.0",
                     "0000:03:00.0", "0000:04:00.0"},
                    t, {});
  CHECK(c.kind == "no-acs");
  CHECK(c.device == dev("0000:01:00.0"));
  CHECK(c.reason.find("one function of a multifunction device") != std::string::npos);
  CHECK(c.reason.find("0000:01:00.1") != std::string::npos);
  // PCH-style root ports: functions of one slot without ACS share one group with everything
  // below each of them.
  t = add_all({port("0000:00:1c.0", "", k_pcie_root_port, false, true),
               port("0000:00:1c.2", "", k_pcie_root_port, false, true),
               port("0000:00:1c.4", "", k_pcie_root_port, false, true),
               endpoint("0000:01:00.0", "0000:00:1c.0"), endpoint("0000:02:00.0", "0000:00:1c.4")});
  c = explain_group({"0000:00:1c.0", "0000:00:1c.2", "0000:00:1c.4", "0000:01:00.0",
                     "0000:02:00.0"},
                    t, {});
  CHECK(c.kind == "no-acs");
  CHECK(c.device == dev("0000:00:1c.0"));
  CHECK(c.reason.find("0000:00:1c.2 and 0000:00:1c.4 also lack ACS") != std::string::npos);
}

TEST_CASE("a conventional PCI bus behind a PCIe-to-PCI bridge behind a switch", "[iommu]")
{
  auto conv_bridge = endpoint("0000:05:02.0", "0000:04:00.0", false);
  conv_bridge.is_bridge = true;
  auto t = add_all({port("0000:00:01.0", "", k_pcie_root_port, true),
                    port("0000:01:00.0", "0000:00:01.0", k_pcie_upstream, false),
                    port("0000:02:00.0", "0000:01:00.0", k_pcie_downstream, true),
                    port("0000:03:00.0", "0000:02:00.0", k_pcie_upstream, false),
                    port("0000:04:00.0", "0000:03:00.0", k_pcie_downstream, false),
                    port("0000:05:00.0", "0000:04:00.0", k_pcie_pci_bridge, false), conv_bridge,
                    endpoint("0000:06:01.0", "0000:05:00.0", false),
                    endpoint("0000:06:02.0", "0000:05:00.0", false),
                    endpoint("0000:07:00.0", "0000:05:02.0", false)});
  t["0000:05:02.0"].parent_bdf = "0000:05:00.0";
  t["0000:07:00.0"].parent_bdf = "0000:05:02.0";
  // The DSP above lacks ACS: it and the bridge's bus are one group, named by the bridge.
  auto c = explain_group({"0000:04:00.0", "0000:05:00.0", "0000:05:02.0", "0000:06:01.0",
                          "0000:06:02.0", "0000:07:00.0"},
                         t, {});
  CHECK(c.kind == "pcie-to-pci-bridge");
  CHECK(c.device == dev("0000:05:00.0"));
  CHECK(c.reason.find("0000:04:00.0 (switch downstream port) above it has no ACS capability")
        != std::string::npos);
  // With ACS on the DSP the group is the bridge and what is behind it.
  t["0000:04:00.0"] = port("0000:04:00.0", "0000:03:00.0", k_pcie_downstream, true);
  c = explain_group({"0000:05:00.0", "0000:05:02.0", "0000:06:01.0", "0000:06:02.0",
                     "0000:07:00.0"},
                    t, {});
  CHECK(c.kind == "pcie-to-pci-bridge");
  CHECK(c.device == dev("0000:05:00.0"));
  CHECK(c.reason.find("above it") == std::string::npos);
  // An ASPEED AST1150 forwards requester IDs: the devices behind it still join it, because a
  // PCIe-to-PCI bridge never has ACS.
  t["0000:05:00.0"].bridge_no_alias = true;
  c = explain_group({"0000:05:00.0", "0000:06:01.0"}, t, {});
  CHECK(c.kind == "no-acs");
  CHECK(c.device == dev("0000:05:00.0"));
  CHECK(c.reason.find("ACS never applies") != std::string::npos);
}

TEST_CASE("DMA alias quirks", "[iommu]")
{
  // The quirk table: IDs and the function's own devfn decide.
  TopoDevice m;
  m.bdf = "0000:03:00.0";
  apply_dma_alias_quirks(m, 0x1b4b, 0x9230, std::nullopt, std::nullopt);  // Marvell 88SE9230
  CHECK(m.dma_alias_devfns == std::vector<int>{1});
  TopoDevice f1;
  f1.bdf = "0000:03:00.1";
  apply_dma_alias_quirks(f1, 0x1b4b, 0x9230, std::nullopt, std::nullopt);
  CHECK(f1.dma_alias_devfns.empty());  // function 1 aliases nothing
  TopoDevice ricoh;
  ricoh.bdf = "0000:0a:00.3";
  apply_dma_alias_quirks(ricoh, 0x1180, 0xe832, std::nullopt, std::nullopt);
  CHECK(ricoh.dma_alias_devfns == std::vector<int>{0});
  TopoDevice adaptec;
  adaptec.bdf = "0000:0b:0e.0";
  apply_dma_alias_quirks(adaptec, 0x9005, 0x0285, 0x9005, 0x02bb);
  CHECK(adaptec.dma_alias_devfns == std::vector<int>{8});
  TopoDevice other;
  other.bdf = "0000:0b:0e.0";
  apply_dma_alias_quirks(other, 0x9005, 0x0285, 0x9005, 0x0001);
  CHECK(other.dma_alias_devfns.empty());
  TopoDevice plx;
  plx.bdf = "0000:02:00.1";
  apply_dma_alias_quirks(plx, 0x10b5, 0x87b0, std::nullopt, std::nullopt);
  CHECK(plx.dma_alias_devfns.size() == 256);
  TopoDevice aspeed;
  aspeed.bdf = "0000:05:00.0";
  apply_dma_alias_quirks(aspeed, 0x1a03, 0x1150, std::nullopt, std::nullopt);
  CHECK(aspeed.bridge_no_alias);
  CHECK(devfn_of("0000:0b:1f.7") == 0xff);
  CHECK(devfn_of("0000:0b:20.0") == -1);
  CHECK(devfn_of("junk") == -1);

  // A NTB function on the root bus that DMAs with the requester IDs of other slots.
  auto ntb = endpoint("0000:00:03.0", "");
  ntb.dma_alias_devfns = {0x04 << 3};
  ntb.dma_alias_quirk = "forwards DMA with other requester IDs of its bus (test)";
  const auto t = add_all({ntb, endpoint("0000:00:04.0", ""), endpoint("0000:00:05.0", "")});
  auto c = explain_group({"0000:00:03.0", "0000:00:04.0"}, t, {});
  CHECK(c.kind == "dma-alias");
  CHECK(c.device == dev("0000:00:03.0"));
  CHECK_FALSE(c.isolated);
  CHECK(c.reason.find("0000:00:04.0") != std::string::npos);
  // 00:05.0 is no alias of it: nothing joins them.
  CHECK(explain_group({"0000:00:03.0", "0000:00:05.0"}, t, {}).kind == "unknown");
}

TEST_CASE("pci=disable_acs_redir= ports are named with the command line", "[iommu]")
{
  const auto t = add_all({port("0000:00:01.0", "", k_pcie_root_port, true),
                          port("0000:01:00.0", "0000:00:01.0", k_pcie_upstream, false),
                          port("0000:02:00.0", "0000:01:00.0", k_pcie_downstream, true),
                          endpoint("0000:03:00.0", "0000:02:00.0")});
  const std::set<std::string> off{"0000:02:00.0"};
  const auto c = explain_group({"0000:02:00.0", "0000:03:00.0"}, t, off);
  CHECK(c.kind == "no-acs");
  CHECK(c.device == dev("0000:02:00.0"));
  CHECK(c.reason.find("pci=disable_acs_redir=") != std::string::npos);
  // Without the option the port isolates: the kernel's group contradicts the topology.
  const auto d = explain_group({"0000:02:00.0", "0000:03:00.0"}, t, {});
  CHECK(d.kind == "unknown");
  CHECK(d.reason.find("kernel ACS quirk") != std::string::npos);
}

TEST_CASE("unreadable config: unknown names exactly the device the walk needs", "[iommu]")
{
  auto t = add_all({port("0000:00:01.0", "", k_pcie_root_port, true),
                    port("0000:01:00.0", "0000:00:01.0", k_pcie_upstream, false),
                    port("0000:02:00.0", "0000:01:00.0", k_pcie_downstream, false),
                    endpoint("0000:03:00.0", "0000:02:00.0")});
  // The endpoint's own config does not matter: the DSP above it lacks ACS.
  t["0000:03:00.0"].config_known = false;
  auto c = explain_group({"0000:02:00.0", "0000:03:00.0"}, t, {});
  CHECK(c.kind == "no-acs");
  CHECK(c.device == dev("0000:02:00.0"));
  // The DSP's ACS is what the walk reads: unknown, naming it (and only it).
  t["0000:03:00.0"].config_known = true;
  t["0000:02:00.0"].config_known = false;
  t["0000:02:00.0"].is_pcie = false;
  t["0000:02:00.0"].pcie_type = -1;
  c = explain_group({"0000:02:00.0", "0000:03:00.0"}, t, {});
  CHECK(c.kind == "unknown");
  CHECK(c.reason.find("0000:02:00.0") != std::string::npos);
  CHECK(c.reason.find("0000:01:00.0") == std::string::npos);
  CHECK(c.reason.find("0000:00:01.0") == std::string::npos);
}

// ---- Generated topologies against the reference ----

namespace {

struct Stats {
  int topologies = 0, groups = 0, shared = 0, negatives = 0, unknown_unreadable = 0;
  int deepest_topology = 0, deepest_cause = 0;
  std::map<std::string, int> kinds;
};

int
depth_of(const Topology& t, const std::string& bdf)
{
  int n = 0;
  for (auto it = t.find(bdf); it != t.end() && !it->second.parent_bdf.empty() && n < 64;
       it = t.find(it->second.parent_bdf)) {
    ++n;
  }
  return n;
}

std::vector<std::string>
bdfs_in(const std::string& text)
{
  static const std::regex re("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
    out.push_back(it->str());
  }
  return out;
}

// The rule of the kernel's walk that a cause kind stands for.
const char*
rule_of(const std::string& kind)
{
  if (kind == "pcie-to-pci-bridge") {
    return "alias";
  }
  if (kind == "no-acs") {
    return "no-acs";
  }
  if (kind == "dma-alias") {
    return "dma-alias";
  }
  return "";
}

void
check_generated(unsigned seed, bool some_unreadable, Stats& st)
{
  int depth = 0;
  auto m = kref::generate(seed, &depth);
  const auto ctrl = kref::ctrl_before_boot(*m);
  const auto groups = kref::probe_all(*m);
  std::set<std::string> unreadable;
  if (some_unreadable) {
    std::mt19937 rng(seed * 7919u + 13u);
    for (const auto& d : m->devs) {
      if (rng() % 5 == 0) {
        unreadable.insert(d->name());
      }
    }
  }
  const auto topo = kref::to_topology(*m, unreadable, ctrl);
  std::map<std::string, const kref::Dev*> by_name;
  std::map<std::string, int> group_of;
  for (const auto& d : m->devs) {
    by_name[d->name()] = d.get();
    group_of[d->name()] = d->group;
  }
  ++st.topologies;
  st.deepest_topology = std::max(st.deepest_topology, depth);
  INFO("seed " << seed << (some_unreadable ? " (some config unreadable)" : "") << "\n"
               << kref::describe(*m));
  for (const auto& [id, members] : groups) {
    const auto c = explain_group(members, topo, m->acs_redir_off);
    std::set<std::string> slots;
    for (const auto& b : members) {
      slots.insert(slot_of(b));
    }
    INFO("group " << id << ": " << fmt::format("{}", fmt::join(members, " ")) << " -> " << c.kind
                  << " " << c.device.value_or("-") << ": " << c.reason);
    ++st.groups;
    CHECK(c.isolated == (slots.size() == 1));
    if (members.size() == 1) {
      CHECK(c.kind == "alone");
      continue;
    }
    ++st.shared;
    ++st.kinds[c.kind];
    if (c.kind == "unknown") {
      // (2) all config known: never unknown. Otherwise the reason names an unreadable
      // device on the walk of some member.
      REQUIRE(some_unreadable);
      bool named = false;
      for (const auto& b : bdfs_in(c.reason)) {
        if (!unreadable.count(b)) {
          continue;
        }
        for (const auto& mem : members) {
          for (auto it = topo.find(mem); it != topo.end();
               it = it->second.parent_bdf.empty() ? topo.end() : topo.find(it->second.parent_bdf)) {
            named = named || it->first == b;
          }
        }
      }
      CHECK(named);
      ++st.unknown_unreadable;
      continue;
    }
    if (c.kind == "same-slot") {
      CHECK(slots.size() == 1);
      continue;
    }
    // (1) The named device is a member, on the kernel's walk, under the rule the kind says.
    REQUIRE(c.device);
    CHECK(std::find(members.begin(), members.end(), *c.device) != members.end());
    CHECK(c.reason.find(*c.device) != std::string::npos);
    if (c.kind != "dma-alias") {  // a DMA alias quirk is known from the IDs in the header
      CHECK_FALSE(unreadable.count(*c.device));
    }
    std::set<kref::Step> steps;
    for (const auto& b : members) {
      for (const auto& s : by_name[b]->trace) {
        steps.insert(s);
      }
    }
    CHECK(steps.count(kref::Step{rule_of(c.kind), *c.device}) == 1);
    st.deepest_cause = std::max(st.deepest_cause, depth_of(topo, *c.device));
  }
  if (some_unreadable) {
    return;
  }
  // Devices the kernel did not group together are never explained as a group: pairs from
  // different groups and different slots are "unknown".
  std::mt19937 rng(seed);
  std::vector<std::string> names;
  for (const auto& d : m->devs) {
    names.push_back(d->name());
  }
  for (int i = 0; i < 12 && names.size() > 1; ++i) {
    const auto& a = names[rng() % names.size()];
    const auto& b = names[rng() % names.size()];
    if (group_of[a] == group_of[b] || slot_of(a) == slot_of(b)) {
      continue;
    }
    const auto c = explain_group({a, b}, topo, m->acs_redir_off);
    INFO("not a group: " << a << " " << b << " -> " << c.kind << ": " << c.reason);
    CHECK(c.kind == "unknown");
    ++st.negatives;
  }
}

} // namespace

TEST_CASE("generated topologies: every shared group names the device and rule of the kernel's "
          "walk",
          "[iommu][iommu-reference]")
{
  Stats st;
  for (unsigned seed = 1; seed <= 600; ++seed) {
    check_generated(seed, false, st);
  }
  if (std::getenv("MEMMAP_REFERENCE_STATS")) {
    std::cout << fmt::format("{} topologies, {} groups, {} shared, {} non-groups; deepest {} "
                             "levels, deepest cause at depth {};",
                             st.topologies, st.groups, st.shared, st.negatives,
                             st.deepest_topology, st.deepest_cause);
    for (const auto& [k, n] : st.kinds) {
      std::cout << ' ' << k << '=' << n;
    }
    std::cout << '\n';
  }
  // The generator reaches every rule, and deep ones: not a vacuous pass.
  CHECK(st.topologies == 600);
  CHECK(st.deepest_topology >= 6);
  CHECK(st.deepest_cause >= 4);
  CHECK(st.kinds["no-acs"] >= 100);
  CHECK(st.kinds["pcie-to-pci-bridge"] >= 50);
  CHECK(st.kinds["same-slot"] >= 50);
  CHECK(st.kinds["dma-alias"] >= 10);
  CHECK(st.kinds.count("unknown") == 0);
  CHECK(st.negatives >= 500);
}

TEST_CASE("generated topologies with unreadable config: unknown only where the walk needs it",
          "[iommu][iommu-reference]")
{
  Stats st;
  for (unsigned seed = 1001; seed <= 1300; ++seed) {
    check_generated(seed, true, st);
  }
  if (std::getenv("MEMMAP_REFERENCE_STATS")) {
    std::cout << fmt::format("{} topologies with unreadable config: {} shared groups, {} unknown",
                             st.topologies, st.shared, st.unknown_unreadable);
    for (const auto& [k, n] : st.kinds) {
      std::cout << ' ' << k << '=' << n;
    }
    std::cout << '\n';
  }
  CHECK(st.unknown_unreadable > 0);
  CHECK(st.shared - st.unknown_unreadable > st.unknown_unreadable);  // most still explained
}
