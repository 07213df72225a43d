// Why an IOMMU group holds what it holds: each member's way up to the device the kernel's
// pci_device_group() walk stopped at (a DMA alias, a port without ACS, a multifunction
// sibling), told as a Cause.
#include <memmap/iommu/isolation.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace memmap::iommu {

namespace {

const TopoDevice*
find(const Topology& topo, const std::string& bdf)
{
  auto it = topo.find(bdf);
  return it == topo.end() ? nullptr : &it->second;
}

const char*
type_name(const TopoDevice& d)
{
  if (!d.is_pcie) {
    return d.is_bridge ? "conventional PCI bridge" : "conventional PCI device";
  }
  switch (d.pcie_type) {
  case k_pcie_endpoint:
    return "endpoint";
  case k_pcie_leg_end:
    return "legacy endpoint";
  case k_pcie_root_port:
    return "root port";
  case k_pcie_upstream:
    return "switch upstream port";
  case k_pcie_downstream:
    return "switch downstream port";
  case k_pcie_pci_bridge:
    return "PCIe-to-PCI bridge";
  case k_pcie_pcie_bridge:
    return "PCI-to-PCIe bridge";
  case k_pcie_rc_end:
    return "root-complex integrated endpoint";
  case k_pcie_rc_ec:
    return "root-complex event collector";
  default:
    return "PCIe function";
  }
}

// pci_acs_enabled() needs the ACS capability of these types only when they are one function
// of a multifunction device.
bool
acs_only_if_multifunction(const TopoDevice& d)
{
  return d.is_pcie
         && (d.pcie_type == k_pcie_endpoint || d.pcie_type == k_pcie_upstream
             || d.pcie_type == k_pcie_leg_end || d.pcie_type == k_pcie_rc_end);
}

// pci_for_each_dma_alias(): the devices below bridge `b` reach the IOMMU with its requester
// ID (conventional PCI bridges, PCIe-to-PCI/PCI-X bridges, PCI/PCI-X-to-PCIe bridges).
bool
aliases_below(const TopoDevice& b)
{
  if (!b.config_known) {
    return false;  // its type is not known: callers check config_known where it matters
  }
  if (!b.is_pcie) {
    return true;
  }
  if (b.pcie_type == k_pcie_pci_bridge) {
    return !b.bridge_no_alias;
  }
  return b.pcie_type == k_pcie_pcie_bridge;
}

// `m`, its parent bridge, and so on up to the root bus (or a parent missing from the topology).
std::vector<const TopoDevice*>
upward_chain(const Topology& topo, const TopoDevice* m)
{
  std::vector<const TopoDevice*> out;
  std::set<std::string> seen;  // guard against a cyclic topology in hostile input
  for (const TopoDevice* d = m; d && seen.insert(d->bdf).second;
       d = d->parent_bdf.empty() ? nullptr : find(topo, d->parent_bdf)) {
    out.push_back(d);
  }
  return out;
}

// pci_devs_are_dma_aliases(): one of the two uses the other's devfn on their bus for DMA.
bool
dma_aliases(const TopoDevice& a, const TopoDevice& b)
{
  if (a.bdf == b.bdf || bus_of(a.bdf) != bus_of(b.bdf)) {
    return false;
  }
  auto uses = [](const TopoDevice& x, const TopoDevice& y) {
    const int f = devfn_of(y.bdf);
    return std::find(x.dma_alias_devfns.begin(), x.dma_alias_devfns.end(), f)
           != x.dma_alias_devfns.end();
  };
  return uses(a, b) || uses(b, a);
}

// get_pci_function_alias_group(): functions of one slot that both fail ACS, one of them
// marked multifunction, share a group.
bool
function_aliases(const TopoDevice& a, const TopoDevice& b, const std::set<std::string>& off)
{
  return a.bdf != b.bdf && slot_of(a.bdf) == slot_of(b.bdf)
         && (a.multifunction || b.multifunction) && !acs_isolates(a, off)
         && !acs_isolates(b, off);
}

std::string
join_list(const std::vector<std::string>& items, std::size_t max = 4)
{
  std::string s;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) {
    s += (i ? (i + 1 == items.size() ? " and " : ", ") : "") + items[i];
  }
  if (items.size() > max) {
    s += fmt::format(" and {} more", items.size() - max);
  }
  return s;
}

// How the kernel's walk took one member to its anchor: the highest device on the member's
// path to the root bus that is in the group (pci_device_group() returns the group of the
// last device it reached, and nothing above that device is in it).
struct Link {
  enum class Kind { self, alias, no_acs, unreadable, contradiction };
  Kind kind = Kind::self;
  const TopoDevice* member = nullptr;
  const TopoDevice* anchor = nullptr;
  const TopoDevice* alias = nullptr;           // topmost bridge it aliases to, at or below anchor
  std::vector<const TopoDevice*> between;      // bridges strictly between member and anchor
};

Link
link_of(const Topology& topo, const TopoDevice* m, const std::set<std::string>& group,
        const std::set<std::string>& off)
{
  Link l;
  l.member = m;
  const auto chain = upward_chain(topo, m);
  std::size_t top = 0;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (group.count(chain[i]->bdf)) {
      top = i;
    }
  }
  l.anchor = chain[top];
  if (top == 0) {
    return l;  // the member is an anchor itself
  }
  // pci_for_each_dma_alias(): every aliasing bridge on the way up calls back; the last one
  // is where pci_device_group() continues. A bridge the IOMMU translates at ends it.
  for (std::size_t i = 1; i <= top; ++i) {
    if (chain[i]->xlate_root) {
      break;
    }
    if (aliases_below(*chain[i])) {
      l.alias = chain[i];
    }
  }
  for (std::size_t i = 1; i < top; ++i) {
    l.between.push_back(chain[i]);
  }
  if (!l.anchor->config_known) {
    l.kind = Link::Kind::unreadable;
  } else if (l.alias == l.anchor) {
    l.kind = Link::Kind::alias;
  } else if (!acs_isolates(*l.anchor, off)) {
    // Past the alias point the walk climbs while pci_acs_path_enabled() fails: the anchor is
    // the topmost device that fails ACS.
    l.kind = Link::Kind::no_acs;
  } else {
    l.kind = Link::Kind::contradiction;
  }
  return l;
}

std::string
port_label(const TopoDevice& d)
{
  return fmt::format("{} ({}{})", d.bdf, type_name(d),
                     d.multifunction && acs_only_if_multifunction(d)
                       ? ", one function of a multifunction device"
                       : "");
}
} // namespace

Cause
explain_group(const std::vector<std::string>& members, const Topology& topo,
              const std::set<std::string>& off)
{
  Cause c;
  std::set<std::string> slots;
  for (const auto& m : members) {
    slots.insert(slot_of(m));
  }
  c.isolated = slots.size() == 1;
  if (members.empty()) {
    c.kind = "unknown";
    c.reason = "The group lists no member devices.";
    return c;
  }
  if (members.size() == 1) {
    c.kind = "alone";
    c.reason = fmt::format("{} is alone in its group: it can be assigned by itself.", members[0]);
    return c;
  }
  if (slots.size() == 1) {
    // Only get_pci_function_alias_group() or a DMA alias quirk within the slot groups
    // functions of one slot and nothing else; either way they go together.
    c.kind = "same-slot";
    c.reason = fmt::format(
      "The {} functions of {} are one multifunction device without ACS between its "
      "functions: they are assigned together, and nothing else comes with them.",
      members.size(), *slots.begin());
    return c;
  }

  const std::set<std::string> group(members.begin(), members.end());
  std::vector<std::string> missing;
  for (const auto& m : members) {
    if (!find(topo, m)) {
      missing.push_back(m);
    }
  }
  if (!missing.empty()) {
    c.kind = "unknown";
    c.reason = fmt::format("Cannot tell why: {} {} missing from the PCI source, so the "
                           "kernel's walk from {} cannot be followed.",
                           join_list(missing), missing.size() == 1 ? "is" : "are",
                           missing.size() == 1 ? "it" : "them");
    return c;
  }

  std::vector<Link> links;
  for (const auto& m : members) {
    links.push_back(link_of(topo, find(topo, m), group, off));
  }
  // A verdict needs the anchor's ACS and type; name every anchor that could not be read.
  std::vector<std::string> unreadable;
  const Link* first_unreadable = nullptr;
  for (const auto& l : links) {
    if (l.kind == Link::Kind::unreadable
        && std::find(unreadable.begin(), unreadable.end(), l.anchor->bdf) == unreadable.end()) {
      unreadable.push_back(l.anchor->bdf);
      first_unreadable = first_unreadable ? first_unreadable : &l;
    }
  }
  if (first_unreadable) {
    c.kind = "unknown";
    c.reason = fmt::format(
      "Cannot tell why: the kernel's walk from {} stops at {}, and the ACS capability and "
      "port type of {} could not be read (config space beyond 64 bytes needs root, or the "
      "function reads all ones).",
      first_unreadable->member->bdf, first_unreadable->anchor->bdf, join_list(unreadable));
    return c;
  }
  for (const auto& l : links) {
    if (l.kind == Link::Kind::contradiction) {
      c.kind = "unknown";
      c.reason = fmt::format(
        "The kernel put {} in the group of {} above it, but {} enables the ACS controls it "
        "needs as read now and no bridge on the way aliases its DMA: a kernel ACS quirk "
        "(pci_dev_specific_acs_enabled), ACS changed since boot, or the platform's IOMMU "
        "grouping; see dmesg for 'iommu'.",
        l.member->bdf, l.anchor->bdf, port_label(*l.anchor));
      return c;
    }
  }

  // Anchors, in member order, and the members whose walk ends at each.
  std::vector<const TopoDevice*> anchors;
  std::map<std::string, std::vector<const Link*>> below;  // anchor -> links of other members
  for (const auto& l : links) {
    if (std::find(anchors.begin(), anchors.end(), l.anchor) == anchors.end()) {
      anchors.push_back(l.anchor);
    }
    if (l.kind != Link::Kind::self) {
      below[l.anchor->bdf].push_back(&l);
    }
  }
  // Anchors join through function aliases (same slot, no ACS) and DMA alias quirks
  // (get_pci_alias_group() follows both from one device to the next on its bus).
  const std::size_t n = anchors.size();
  std::vector<std::size_t> comp(n);
  for (std::size_t i = 0; i < n; ++i) {
    comp[i] = i;
  }
  auto root = [&](std::size_t i) {
    while (comp[i] != i) {
      i = comp[i];
    }
    return i;
  };
  std::vector<std::string> unreadable_anchor;
  std::vector<std::pair<std::size_t, std::size_t>> fn_edges;
  std::vector<std::pair<std::size_t, std::size_t>> dma_edges;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const auto& a = *anchors[i];
      const auto& b = *anchors[j];
      if (dma_aliases(a, b)) {
        dma_edges.emplace_back(i, j);
      } else if (slot_of(a.bdf) == slot_of(b.bdf) && (!a.config_known || !b.config_known)) {
        for (const auto* u : {&a, &b}) {
          if (!u->config_known
              && std::find(unreadable_anchor.begin(), unreadable_anchor.end(), u->bdf)
                   == unreadable_anchor.end()) {
            unreadable_anchor.push_back(u->bdf);
          }
        }
        continue;
      } else if (function_aliases(a, b, off)) {
        fn_edges.emplace_back(i, j);
      } else {
        continue;
      }
      comp[root(i)] = root(j);
    }
  }
  std::vector<std::string> unlinked;
  for (std::size_t i = 1; i < n; ++i) {
    if (root(i) != root(0)) {
      unlinked.push_back(anchors[i]->bdf);
    }
  }
  if (!unlinked.empty()) {
    c.kind = "unknown";
    if (!unreadable_anchor.empty()) {
      c.reason = fmt::format(
        "Cannot tell why: {} and {} share the group as functions of one slot only if they lack "
        "ACS, and the ACS capability of {} could not be read (config space beyond 64 bytes "
        "needs root).",
        anchors[0]->bdf, join_list(unlinked), join_list(unreadable_anchor));
    } else {
      c.reason = fmt::format(
        "Nothing in the topology joins {} with {} (no bridge above them lacks ACS or aliases "
        "their DMA, they are not functions of one slot without ACS, and no DMA alias quirk "
        "links them): a kernel quirk or the platform's IOMMU grouping; see dmesg for 'iommu'.",
        anchors[0]->bdf, join_list(unlinked));
    }
    return c;
  }

  // The anchor with most members below it is the cause; the others come in through it.
  const TopoDevice* primary = nullptr;
  std::size_t most = 0;
  for (const auto* a : anchors) {
    const auto count = below.count(a->bdf) ? below[a->bdf].size() : 0;
    if (count > most) {
      most = count;
      primary = a;
    }
  }

  // The other anchors and how each joins: function aliases of the primary (same slot) and
  // DMA aliases.
  std::vector<std::string> mates;
  std::string dma_note;
  std::size_t pi = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (anchors[i] == primary) {
      pi = i;
    }
  }
  for (auto [i, j] : fn_edges) {
    if (primary && (i == pi || j == pi)) {
      mates.push_back(anchors[i == pi ? j : i]->bdf);
    }
  }
  // The device whose quirk names the other's devfn.
  auto quirked = [&](std::size_t i, std::size_t j) {
    const int fj = devfn_of(anchors[j]->bdf);
    const auto& v = anchors[i]->dma_alias_devfns;
    return std::find(v.begin(), v.end(), fj) != v.end() ? std::pair{anchors[i], anchors[j]}
                                                        : std::pair{anchors[j], anchors[i]};
  };
  auto quirk_text = [](const TopoDevice& q) {
    return q.dma_alias_quirk.empty() ? std::string("uses other requester IDs of its bus")
                                     : q.dma_alias_quirk;
  };
  for (std::size_t e = primary ? 0 : 1; e < dma_edges.size(); ++e) {
    const auto [q, o] = quirked(dma_edges[e].first, dma_edges[e].second);
    dma_note += fmt::format(" {} {}, which joins {} to the group.", q->bdf, quirk_text(*q),
                            o->bdf);
  }
  // Functions joined by function aliases but not directly to the primary anchor.
  auto is_mate = [&](std::size_t i) {
    return std::find(mates.begin(), mates.end(), anchors[i]->bdf) != mates.end();
  };
  for (auto [i, j] : fn_edges) {
    if (!primary || (i != pi && j != pi && !(is_mate(i) && is_mate(j)))) {
      dma_note += fmt::format(" {} and {} are functions of one slot without ACS.",
                              anchors[i]->bdf, anchors[j]->bdf);
    }
  }
  std::string mates_text;
  if (!mates.empty()) {
    mates_text = fmt::format(" It is a multifunction device whose other function{} {} also "
                             "{} ACS, so everything below them shares one group.",
                             mates.size() > 1 ? "s" : "", join_list(mates, 8),
                             mates.size() > 1 ? "lack" : "lacks");
  }

  if (!primary) {
    // Only anchors, joined by DMA alias quirks across slots (and functions of their slots).
    if (dma_edges.empty()) {
      c.kind = "unknown";  // cannot happen: anchors of several slots need a DMA alias
      c.reason = "Nothing in the topology explains this group.";
      return c;
    }
    const auto [q, o] = quirked(dma_edges[0].first, dma_edges[0].second);
    c.kind = "dma-alias";
    c.device = q->bdf;
    c.reason = fmt::format("{} {}: the IOMMU cannot tell its DMA from that of {}, so they are "
                           "assigned only together.{}",
                           q->bdf, quirk_text(*q), o->bdf, dma_note);
    return c;
  }

  const auto& ls = below[primary->bdf];
  bool any_alias = false;
  std::set<const TopoDevice*> alias_points;
  for (const auto* l : ls) {
    any_alias = any_alias || l->kind == Link::Kind::alias;
    if (l->kind == Link::Kind::no_acs && l->alias) {
      alias_points.insert(l->alias);
    }
  }
  // The anchor lacks ACS, but it only adds itself and the ports between it and one aliasing
  // bridge to that bridge's group: name the bridge, it is what ties the devices together.
  const TopoDevice* bridge = nullptr;
  std::vector<std::string> ports_between;
  if (!any_alias && alias_points.size() == 1) {
    const TopoDevice* b = *alias_points.begin();
    std::set<std::string> allowed{b->bdf};
    for (const auto* l : ls) {
      if (l->member == b) {
        for (const auto* x : l->between) {
          allowed.insert(x->bdf);
          ports_between.push_back(x->bdf);
        }
      }
    }
    bool fits = true;
    for (const auto* l : ls) {
      if (!(l->alias == b || allowed.count(l->member->bdf))) {
        fits = false;
      }
    }
    if (fits && group.count(b->bdf) && mates.empty() && dma_note.empty()) {
      bridge = b;
    }
  }
  if (any_alias || bridge) {
    const TopoDevice* b = bridge ? bridge : primary;
    c.kind = "pcie-to-pci-bridge";
    c.device = b->bdf;
    c.reason = fmt::format(
      "{} is a {}: the devices behind it reach the IOMMU with the bridge's requester ID, so "
      "they cannot be told apart and are assigned only together.",
      b->bdf, type_name(*b));
    if (bridge) {
      c.reason += fmt::format(" {} above it {}, so it{} {} in the group too.",
                              port_label(*primary), missing_acs_controls(*primary, off),
                              ports_between.empty()
                                ? std::string()
                                : " and the port" + std::string(ports_between.size() > 1 ? "s " : " ")
                                    + join_list(ports_between) + " between",
                              ports_between.empty() ? "is" : "are");
    }
    c.reason += mates_text + dma_note;
    return c;
  }
  c.kind = "no-acs";
  c.device = primary->bdf;
  c.reason = fmt::format(
    "{} {}, so the devices below it are not isolated from each other: assign them "
    "together, or move the device to a slot behind a port with ACS.{}{}",
    port_label(*primary), missing_acs_controls(*primary, off), mates_text, dma_note);
  return c;
}
} // namespace memmap::iommu
