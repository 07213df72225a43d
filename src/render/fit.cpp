#include <memmap/render/fit.hpp>

#include <fmt/format.h>

namespace memmap::render {

using analyze::FitChange;
using analyze::FitLevel;
using analyze::FitReport;

namespace {

std::string
type_text(const FitReport& r)
{
  if (r.kind == "io") {
    return "io";
  }
  return fmt::format("mem {}-bit{}", r.bits, r.prefetchable ? " prefetchable" : "");
}

std::string
level_name(const FitLevel& lv)
{
  if (lv.host) {
    return "host bridge aperture" + (lv.name.empty() ? std::string() : " (" + lv.name + ")");
  }
  std::string who = lv.bridge.empty() ? lv.name : lv.bridge;
  std::string s = who + " " + (lv.window.empty() ? "window" : lv.window + " window");
  if (lv.bits != 0) {
    s += fmt::format(" ({}-bit)", lv.bits);
  }
  return s;
}

std::string
change_window(const FitChange& c)
{
  if (c.bridge.empty()) {
    return "host bridge aperture";
  }
  return c.bridge + (c.window == "window" ? std::string(" window") : " " + c.window + " window");
}

// A size exactly, in the largest binary unit that divides it (16416M, not 16.0G).
std::string
exact_size(std::uint64_t v)
{
  static constexpr const char* k_units[] = {"", "K", "M", "G", "T", "P", "E"};
  int u = 0;
  while (u < 6 && v != 0 && v % (std::uint64_t{1} << (10 * (u + 1))) == 0) {
    ++u;
  }
  return fmt::format("{}{}", v >> (10 * u), u == 0 ? "B" : k_units[u]);
}

Json
opt_bool(const std::optional<bool>& b)
{
  return b ? Json(*b) : Json(nullptr);
}

Json
opt_num(const std::optional<std::uint64_t>& v)
{
  return v ? Json(*v) : Json(nullptr);
}

} // namespace

void
render_fit_text(const FitReport& r, const Style& style, std::ostream& out)
{
  out << style.paint(fmt::format("{} BAR {}", r.bdf, r.bar), Color::bold) << ": "
      << exact_size(r.size);
  if (!r.kind.empty()) {
    out << " " << type_text(r);
    if (r.current_start && r.current_size) {
      out << fmt::format(", now {} at {:#x}", exact_size(*r.current_size), *r.current_start);
    } else {
      out << ", now unassigned";
    }
  }
  out << '\n';
  for (const auto& lv : r.chain) {
    out << "  " << level_name(lv);
    if (lv.host && !lv.apertures.empty()) {
      for (const auto& [s, e] : lv.apertures) {
        out << fmt::format(" {:#x}-{:#x}", s, e);
      }
    } else if (lv.start && lv.end) {
      out << fmt::format(" {:#x}-{:#x} {}", *lv.start, *lv.end, exact_size(*lv.end - *lv.start + 1));
    }
    if (!lv.host && !lv.bridge.empty() && !lv.name.empty()) {
      out << " (" << lv.name << ")";
    }
    out << '\n';
    if (!lv.why_unknown.empty()) {
      out << "    unknown: " << lv.why_unknown << '\n';
      continue;
    }
    if (lv.unplaced) {
      out << fmt::format("    no address (the kernel could not place it); needs {} aligned {}{}\n",
                         exact_size(lv.need_size), exact_size(lv.need_align),
                         lv.need_below_4g ? " below 4G" : "");
      continue;
    }
    if (!lv.room) {
      continue;
    }
    out << fmt::format("    needs {} aligned {}{}: ", exact_size(lv.need_size),
                       exact_size(lv.need_align), lv.need_below_4g ? " below 4G" : "");
    if (*lv.room) {
      const auto& g = lv.gaps.front();
      out << fmt::format("room at {:#x} (free {:#x}-{:#x}", g.slot, g.start, g.end);
      if (lv.gaps.size() > 1) {
        out << fmt::format(", {} more free range{}", lv.gaps.size() - 1, lv.gaps.size() > 2 ? "s" : "");
      }
      out << ")\n";
    } else {
      out << "no room";
      out << (lv.largest_aligned ? " (largest free aligned block " + exact_size(*lv.largest_aligned) + ")"
                                 : std::string(" (nothing free)"))
          << '\n';
    }
  }
  if (!r.fits) {
    out << style.paint("fits: unknown", Color::yellow) << " (" << r.why << ")\n";
  } else if (*r.fits) {
    out << style.paint("fits: yes", Color::green) << '\n';
  } else {
    out << style.paint("fits: no", Color::red) << " (" << r.why << ")\n";
  }
  for (const auto& c : r.changes) {
    out << "  change: " << change_window(c);
    if (c.bridge.empty()) {
      out << fmt::format(" needs {} free aligned {}", exact_size(c.size), exact_size(c.align));
    } else {
      out << fmt::format(" must be at least {} aligned {}", exact_size(c.size), exact_size(c.align));
      if (c.current_size) {
        out << " (now " << exact_size(*c.current_size) << ")";
      }
      out << "; " << c.parent << ": "
          << (!c.parent_has_room ? "room unknown" : *c.parent_has_room ? "has room" : "no room");
    }
    out << '\n';
    if (!c.advice.empty()) {
      out << "    " << c.advice << '\n';
    }
  }
  if (r.rebar) {
    std::string all;
    for (const auto s : r.rebar_sizes) {
      all += (all.empty() ? "" : " ") + exact_size(s);
    }
    out << "  resizable BAR sizes: " << all << '\n';
    if (r.rebar_known) {
      std::string fit;
      for (const auto s : r.rebar_sizes_that_fit) {
        fit += (fit.empty() ? "" : " ") + exact_size(s);
      }
      out << "  fit today: " << (fit.empty() ? "none" : fit) << '\n';
    } else {
      out << "  fit today: unknown\n";
    }
  }
  for (const auto& n : r.notes) {
    out << "  note: " << n << '\n';
  }
}

Json
fit_to_json(const FitReport& r)
{
  Json j = json_document();
  j["fits"] = opt_bool(r.fits);
  j["why"] = r.why.empty() ? Json(nullptr) : Json(r.why);
  j["bdf"] = r.bdf;
  j["bar"] = r.bar;
  j["size"] = r.size;
  j["type"] = r.kind.empty() ? Json(nullptr)
                             : Json{{"kind", r.kind}, {"bits", r.bits}, {"prefetchable", r.prefetchable}};
  j["current"] = {{"start", hex_or_null(r.current_start, 0)}, {"size", opt_num(r.current_size)}};
  Json chain = Json::array();
  for (const auto& lv : r.chain) {
    Json l;
    l["bridge"] = lv.host || lv.bridge.empty() ? Json(nullptr) : Json(lv.bridge);
    l["window"] = lv.window.empty() ? Json(nullptr) : Json(lv.window);
    l["bits"] = lv.bits ? Json(lv.bits) : Json(nullptr);
    l["name"] = lv.name.empty() ? Json(nullptr) : Json(lv.name);
    l["start"] = hex_or_null(lv.start, 0);
    l["end"] = hex_or_null(lv.end, 0);
    if (lv.host) {
      Json ap = Json::array();
      for (const auto& [s, e] : lv.apertures) {
        ap.push_back({{"start", hex0x(s)}, {"end", hex0x(e)}});
      }
      l["apertures"] = ap;
    }
    l["from"] = lv.from.empty() ? Json(nullptr) : Json(lv.from);
    l["need_size"] = lv.room ? Json(lv.need_size) : Json(nullptr);
    l["need_align"] = lv.room ? Json(lv.need_align) : Json(nullptr);
    l["need_below_4g"] = lv.need_below_4g;
    l["room"] = opt_bool(lv.room);
    l["largest_free_aligned"] = opt_num(lv.largest_aligned);
    Json lg = Json::array();
    for (const auto& g : lv.gaps) {
      lg.push_back({{"start", hex0x(g.start)}, {"end", hex0x(g.end)}, {"slot", hex0x(g.slot)}});
    }
    l["gaps"] = lg;
    l["unknown"] = lv.why_unknown.empty() ? Json(nullptr) : Json(lv.why_unknown);
    l["unplaced"] = lv.unplaced;
    chain.push_back(l);
  }
  j["chain"] = chain;
  Json gaps = Json::array();
  if (!r.chain.empty()) {
    for (const auto& g : r.chain.front().gaps) {
      gaps.push_back({{"start", hex0x(g.start)}, {"end", hex0x(g.end)}, {"slot", hex0x(g.slot)}});
    }
  }
  j["gaps"] = gaps;
  Json changes = Json::array();
  for (const auto& c : r.changes) {
    changes.push_back({{"bridge", c.bridge.empty() ? Json(nullptr) : Json(c.bridge)},
                       {"window", c.window},
                       {"current_size", opt_num(c.current_size)},
                       {"size", c.size},
                       {"align", c.align},
                       {"parent", c.parent.empty() ? Json(nullptr) : Json(c.parent)},
                       {"parent_has_room", opt_bool(c.parent_has_room)},
                       {"advice", c.advice.empty() ? Json(nullptr) : Json(c.advice)}});
  }
  j["changes"] = changes;
  j["rebar_sizes"] = r.rebar ? Json(r.rebar_sizes) : Json(nullptr);
  j["rebar_sizes_that_fit"] = r.rebar && r.rebar_known ? Json(r.rebar_sizes_that_fit) : Json(nullptr);
  j["notes"] = r.notes;
  return j;
}

} // namespace memmap::render
