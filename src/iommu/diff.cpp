#include <memmap/iommu/diff.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>

namespace memmap::iommu {

namespace {

using model::Change;
using model::ChangeKind;
using model::Span;

model::Words
members(const Group& g)
{
  return {model::Words::Of::members, g.devices};
}

std::set<std::string>
member_set(const Group& g)
{
  return {g.devices.begin(), g.devices.end()};
}

std::size_t
overlap(const Group& a, const Group& b)
{
  const auto sa = member_set(a);
  return static_cast<std::size_t>(std::count_if(
    b.devices.begin(), b.devices.end(), [&](const std::string& d) { return sa.count(d) > 0; }));
}

std::string
group_label(const Group* a, const Group* b)
{
  if (a && b && a->id != b->id) {
    return fmt::format("IOMMU group {} ({} in A)", b->id, a->id);
  }
  return fmt::format("IOMMU group {}", b ? b->id : a->id);
}

void
compare_reserved(const std::string& label, const Group& a, const Group& b,
                 std::vector<Change>& out)
{
  using Key = std::tuple<std::string, std::uint64_t, std::uint64_t>;
  std::multiset<Key> ka;
  std::multiset<Key> kb;
  for (const auto& r : a.reserved) {
    ka.insert({r.type, r.start, r.end});
  }
  for (const auto& r : b.reserved) {
    kb.insert({r.type, r.start, r.end});
  }
  std::vector<Key> only_a;
  std::vector<Key> only_b;
  std::set_difference(ka.begin(), ka.end(), kb.begin(), kb.end(), std::back_inserter(only_a));
  std::set_difference(kb.begin(), kb.end(), ka.begin(), ka.end(), std::back_inserter(only_b));
  // Pair what is left by type: a region of the same type that overlaps or shares an edge.
  std::vector<bool> used_b(only_b.size(), false);
  for (const auto& [type, start, end] : only_a) {
    Change c;
    c.path = {label, "reserved " + type};
    c.before = Span{start, end};
    c.kind = ChangeKind::removed;
    for (std::size_t i = 0; i < only_b.size(); ++i) {
      const auto& [tb, sb, eb] = only_b[i];
      if (used_b[i] || tb != type || !(sb <= end && start <= eb)) {
        continue;
      }
      used_b[i] = true;
      c.after = Span{sb, eb};
      c.kind = sb == start                    ? ChangeKind::resized
               : eb - sb == end - start       ? ChangeKind::moved
                                              : ChangeKind::changed;
      break;
    }
    out.push_back(std::move(c));
  }
  for (std::size_t i = 0; i < only_b.size(); ++i) {
    if (!used_b[i]) {
      const auto& [type, start, end] = only_b[i];
      Change c;
      c.kind = ChangeKind::added;
      c.path = {label, "reserved " + type};
      c.after = Span{start, end};
      out.push_back(std::move(c));
    }
  }
}

std::set<std::string>
acs_off(const IommuState& s)
{
  return {s.acs_redir_off.begin(), s.acs_redir_off.end()};
}

void
compare_groups(const DiffSide& sa, const DiffSide& sb, const Group& a, const Group& b,
               std::vector<Change>& out)
{
  const std::string label = group_label(&a, &b);
  if (member_set(a) != member_set(b)) {
    Change c;
    c.kind = ChangeKind::changed;
    c.path = {label, "members"};
    c.before_value = members(a);
    c.after_value = members(b);
    model::MemberDelta delta;
    const auto ma = member_set(a);
    const auto mb = member_set(b);
    for (const auto& d : b.devices) {
      if (ma.count(d) == 0) {
        delta.added.push_back(d);
      }
    }
    for (const auto& d : a.devices) {
      if (mb.count(d) == 0) {
        delta.removed.push_back(d);
      }
    }
    c.detail = {std::move(delta)};
    out.push_back(std::move(c));
  }
  if (a.type_known && b.type_known && a.type != b.type) {
    Change c;
    c.kind = ChangeKind::changed;
    c.path = {label, "type"};
    c.before_value = a.type;
    c.after_value = b.type;
    out.push_back(std::move(c));
  }
  compare_reserved(label, a, b, out);
  if (sa.topology && sb.topology) {
    const auto ca = explain_group(a.devices, *sa.topology, acs_off(*sa.state));
    const auto cb = explain_group(b.devices, *sb.topology, acs_off(*sb.state));
    const auto ta = verdict_of(ca);
    const auto tb = verdict_of(cb);
    if (ta != tb) {
      Change c;
      c.kind = ChangeKind::changed;
      c.path = {label, "isolation"};
      c.before_value = ta;
      c.after_value = tb;
      out.push_back(std::move(c));
    }
  }
}

} // namespace

model::Verdict
verdict_of(const Cause& cause)
{
  return {cause.isolated, cause.kind, cause.device};
}

std::vector<Change>
diff_states(const DiffSide& sa, const DiffSide& sb)
{
  const IommuState& a = *sa.state;
  const IommuState& b = *sb.state;
  std::vector<Change> out;

  // Units.
  {
    std::set<std::string> ua(a.units.begin(), a.units.end());
    std::set<std::string> ub(b.units.begin(), b.units.end());
    std::set<std::string> all = ua;
    all.insert(ub.begin(), ub.end());
    for (const auto& u : all) {
      if (ua.count(u) != ub.count(u)) {
        Change c;
        c.kind = ua.count(u) ? ChangeKind::removed : ChangeKind::added;
        c.path = {"IOMMU unit " + u};
        out.push_back(std::move(c));
      }
    }
  }
  if (a.cmdline_read && b.cmdline_read && a.cmdline != b.cmdline) {
    Change c;
    c.kind = ChangeKind::changed;
    c.path = {"kernel command line"};
    c.before_value = model::Words{model::Words::Of::kernel_options, a.cmdline};
    c.after_value = model::Words{model::Words::Of::kernel_options, b.cmdline};
    out.push_back(std::move(c));
  }

  // Match groups: identical member sets first (the same number preferred), then by overlap.
  const auto& ga = a.groups;
  const auto& gb = b.groups;
  std::vector<int> pair_of_a(ga.size(), -1);
  std::vector<int> pair_of_b(gb.size(), -1);
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < ga.size(); ++i) {
      for (std::size_t j = 0; j < gb.size() && pair_of_a[i] < 0; ++j) {
        if (pair_of_b[j] < 0 && (pass == 1 || ga[i].id == gb[j].id)
            && member_set(ga[i]) == member_set(gb[j])) {
          pair_of_a[i] = static_cast<int>(j);
          pair_of_b[j] = static_cast<int>(i);
        }
      }
    }
  }
  for (;;) {
    std::size_t best = 0;
    int bi = -1;
    int bj = -1;
    for (std::size_t i = 0; i < ga.size(); ++i) {
      for (std::size_t j = 0; j < gb.size(); ++j) {
        if (pair_of_a[i] >= 0 || pair_of_b[j] >= 0) {
          continue;
        }
        const auto n = overlap(ga[i], gb[j]);
        const bool better = n > best
                            || (n == best && n > 0 && ga[i].id == gb[j].id
                                && ga[static_cast<std::size_t>(bi)].id
                                     != gb[static_cast<std::size_t>(bj)].id);
        if (better) {
          best = n;
          bi = static_cast<int>(i);
          bj = static_cast<int>(j);
        }
      }
    }
    if (bi < 0) {
      break;
    }
    pair_of_a[static_cast<std::size_t>(bi)] = bj;
    pair_of_b[static_cast<std::size_t>(bj)] = bi;
  }

  // Groups in B's order (matched and added), then those only in A.
  for (std::size_t j = 0; j < gb.size(); ++j) {
    if (pair_of_b[j] >= 0) {
      compare_groups(sa, sb, ga[static_cast<std::size_t>(pair_of_b[j])], gb[j], out);
      continue;
    }
    Change c;
    c.kind = ChangeKind::added;
    c.path = {group_label(nullptr, &gb[j])};
    c.detail = {members(gb[j])};
    out.push_back(std::move(c));
  }
  for (std::size_t i = 0; i < ga.size(); ++i) {
    if (pair_of_a[i] < 0) {
      Change c;
      c.kind = ChangeKind::removed;
      c.path = {group_label(&ga[i], nullptr)};
      c.detail = {members(ga[i])};
      out.push_back(std::move(c));
    }
  }

  // Devices that changed groups: in a group on both sides, the two groups not matched.
  std::map<std::string, std::pair<int, int>> where;  // BDF -> index in ga, gb
  for (std::size_t i = 0; i < ga.size(); ++i) {
    for (const auto& d : ga[i].devices) {
      where[d] = {static_cast<int>(i), -1};
    }
  }
  for (std::size_t j = 0; j < gb.size(); ++j) {
    for (const auto& d : gb[j].devices) {
      auto it = where.find(d);
      if (it != where.end()) {
        it->second.second = static_cast<int>(j);
      }
    }
  }
  for (const auto& [bdf, ij] : where) {
    const auto [i, j] = ij;
    if (j < 0 || pair_of_a[static_cast<std::size_t>(i)] == j) {
      continue;
    }
    Change c;
    c.kind = ChangeKind::moved;
    c.path = {bdf, "group"};
    c.before_value = model::GroupNumber{ga[static_cast<std::size_t>(i)].id};
    c.after_value = model::GroupNumber{gb[static_cast<std::size_t>(j)].id};
    c.detail = {std::string("moved to another group")};
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace memmap::iommu
