#include <memmap/model/diff.hpp>

#include <algorithm>
#include <map>
#include <tuple>

namespace memmap::model {

const char*
to_string(ChangeKind k)
{
  switch (k) {
  case ChangeKind::added:
    return "added";
  case ChangeKind::removed:
    return "removed";
  case ChangeKind::moved:
    return "moved";
  case ChangeKind::resized:
    return "resized";
  case ChangeKind::changed:
    return "changed";
  }
  return "changed";
}

std::optional<Span>
Placement::span() const
{
  if (!start || !size || *size == 0 || *size - 1 > ~std::uint64_t{0} - *start) {
    return std::nullopt;
  }
  return Span{*start, *start + *size - 1};
}

std::string
join_path(const std::vector<std::string>& path)
{
  std::string out;
  for (const auto& p : path) {
    if (!out.empty()) {
      out += " > ";
    }
    out += p;
  }
  return out;
}

namespace {

struct Item {
  Span span;
  std::size_t order = 0;  // file order
  bool used = false;
};

using Key = std::vector<std::string>;

std::map<Key, std::vector<Item>>
index_space(const AddressSpace& s)
{
  std::map<Key, std::vector<Item>> out;
  std::size_t order = 0;
  s.walk([&](const Region& r, const std::vector<const Region*>& parents) {
    Key k;
    k.reserve(parents.size() + 1);
    for (const auto* p : parents) {
      k.push_back(p->name);
    }
    k.push_back(r.name);
    out[k].push_back({{r.start, r.end}, order++, false});
  });
  return out;
}

} // namespace

std::vector<Change>
diff_address_spaces(const AddressSpace& a, const AddressSpace& b)
{
  const bool hidden = a.addresses_hidden || b.addresses_hidden;
  auto ia = index_space(a);
  auto ib = index_space(b);
  std::vector<Change> out;

  // For each unmatched region of A, the unmatched region of B that satisfies `pred` and
  // lies closest to it (a window that moved pairs with its nearest namesake).
  auto pair_if = [&](const Key& k, std::vector<Item>& as, std::vector<Item>& bs, auto pred,
                     auto make) {
    for (auto& x : as) {
      if (x.used) {
        continue;
      }
      Item* best = nullptr;
      std::uint64_t best_dist = 0;
      for (auto& y : bs) {
        if (y.used || !pred(x.span, y.span)) {
          continue;
        }
        const std::uint64_t d = x.span.start > y.span.start ? x.span.start - y.span.start
                                                            : y.span.start - x.span.start;
        if (best == nullptr || d < best_dist) {
          best = &y;
          best_dist = d;
        }
      }
      if (best != nullptr) {
        x.used = best->used = true;
        make(k, x, *best);
      }
    }
  };
  auto same = [](const Key&, const Item&, const Item&) {};
  auto change = [&](const Key& k, const Item& x, const Item& y) {
    Change c;
    c.path = k;
    c.before = x.span;
    c.after = y.span;
    if (x.span.start == y.span.start) {
      c.kind = ChangeKind::resized;
    } else if (x.span.size() == y.span.size()) {
      c.kind = ChangeKind::moved;
    } else {
      c.kind = ChangeKind::changed;
      c.detail = {std::string("moved and resized")};
    }
    out.push_back(std::move(c));
  };

  std::vector<Item> none;
  for (auto& [k, as] : ia) {
    auto it = ib.find(k);
    auto& bs = it == ib.end() ? none : it->second;
    if (hidden) {
      // Names and nesting only: pair in order, count the rest.
      pair_if(k, as, bs, [](const Span&, const Span&) { return true; }, same);
      continue;
    }
    pair_if(k, as, bs, [](const Span& x, const Span& y) { return x == y; }, same);
    pair_if(k, as, bs, [](const Span& x, const Span& y) { return x.start == y.start; }, change);
    pair_if(k, as, bs, [](const Span& x, const Span& y) { return x.size() == y.size(); }, change);
    pair_if(k, as, bs, [](const Span&, const Span&) { return true; }, change);
  }
  for (const auto& [k, as] : ia) {
    for (const auto& x : as) {
      if (!x.used) {
        Change c;
        c.kind = ChangeKind::removed;
        c.path = k;
        if (!hidden) {
          c.before = x.span;
        }
        out.push_back(std::move(c));
      }
    }
  }
  for (const auto& [k, bs] : ib) {
    for (const auto& y : bs) {
      if (!y.used) {
        Change c;
        c.kind = ChangeKind::added;
        c.path = k;
        if (!hidden) {
          c.after = y.span;
        }
        out.push_back(std::move(c));
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Change& x, const Change& y) {
    auto key = [](const Change& c) {
      const auto& s = c.after ? c.after : c.before;
      return std::make_tuple(s ? s->start : 0, s ? ~s->end : 0, c.path.size(), c.path);
    };
    return key(x) < key(y);
  });
  return out;
}

} // namespace memmap::model
