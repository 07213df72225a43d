#include <memmap/render/diff.hpp>

#include <fmt/format.h>

namespace memmap::render {

namespace {

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

std::string
span_text(const model::Span& s)
{
  return fmt::format("{}-{} ({})", hex(s.start, 8), hex(s.end, 8),
                     human_size(s.size(), s.start == 0 && s.end == ~std::uint64_t{0}));
}

Json
span_json(const model::Span& s)
{
  return {{"start", hex0x(s.start)}, {"end", hex0x(s.end)}, {"size", s.end - s.start + 1}};
}

Json
addr_json(const std::optional<std::uint64_t>& v)
{
  return v ? Json(hex0x(*v)) : Json(nullptr);
}

template <class T>
Json
opt_json(const std::optional<T>& v)
{
  return v ? Json(*v) : Json(nullptr);
}

std::string
bus_text(const model::BusAddress& b)
{
  return b.address ? hex(*b.address, 8) : std::string("unknown");
}

std::string
bits_text(const std::optional<int>& bits)
{
  return bits ? fmt::format("{}-bit", *bits) : std::string("?-bit");
}

std::string
type_text(const model::ResourceType& t)
{
  using Of = model::ResourceType::Of;
  switch (t.of) {
  case Of::rom:
    return std::string(t.enabled ? "enabled" : "disabled") + (t.shadow_copy ? ", shadow copy" : "");
  case Of::window:
    return bits_text(t.bits);
  case Of::bar:
    break;
  }
  if (t.io) {
    return "io";
  }
  return "mem " + (t.mem_type.empty() ? bits_text(t.bits) : t.mem_type)
         + (t.prefetchable ? " prefetchable" : "");
}

Json
type_json(const model::ResourceType& t)
{
  using Of = model::ResourceType::Of;
  if (t.of == Of::rom) {
    return {{"enabled", t.enabled}, {"shadow_copy", t.shadow_copy}};
  }
  if (t.of == Of::window) {
    return {{"bits", opt_json(t.bits)}};
  }
  if (t.io) {
    return {{"space", "io"}};
  }
  Json j = {{"space", "mem"}, {"bits", opt_json(t.bits)}, {"prefetchable", t.prefetchable}};
  if (!t.mem_type.empty()) {
    j["memory_type"] = t.mem_type;
  }
  return j;
}

std::string
words_text(const std::vector<std::string>& words, const char* prefix = "")
{
  std::string s;
  for (const auto& w : words) {
    s += (s.empty() ? "" : " ") + (prefix + w);
  }
  return s;
}

std::string
placement_text(const model::Placement& p)
{
  if (const auto sp = p.span()) {
    return fmt::format("{}-{} ({})", hex(sp->start, 8), hex(sp->end, 8), human_size(sp->size()));
  }
  if (p.start) {
    return hex(*p.start, 8) + " (size unknown)";
  }
  return p.size ? "unassigned (" + human_size(*p.size) + ")" : "unassigned";
}

} // namespace

std::string
value_text(const model::Value& v)
{
  return std::visit(
    Overload{
      [](const std::monostate&) { return std::string(); },
      [](const std::string& s) { return s; },
      [](const model::Placement& p) { return placement_text(p); },
      [](const model::BusAddress& b) { return "bus " + bus_text(b); },
      [](const model::ResourceType& t) { return type_text(t); },
      [](const model::Delta<model::BusAddress>& d) {
        return "bus " + bus_text(d.before) + " -> " + bus_text(d.after);
      },
      [](const model::Delta<model::ResourceType>& d) {
        return type_text(d.before) + " -> " + type_text(d.after);
      },
      [](const model::Size& s) { return human_size(s.bytes); },
      [](const model::Driver& d) { return d.name.empty() ? std::string("none") : d.name; },
      [](const model::DeviceIdentity& d) {
        std::string s = hex_or_unknown(d.vendor, 4) + ":" + hex_or_unknown(d.device, 4);
        s += d.name.empty() ? "" : " " + d.name;
        return s + (d.driver.empty() ? "" : " [" + d.driver + "]");
      },
      [](const model::GroupNumber& g) { return fmt::format("group {}", g.id); },
      [](const model::Words& w) {
        return w.of == model::Words::Of::kernel_options && w.words.empty()
                 ? std::string("(no IOMMU options)")
                 : words_text(w.words);
      },
      [](const model::MemberDelta& d) {
        const auto added = words_text(d.added, "+");
        const auto removed = words_text(d.removed, "-");
        return added + (added.empty() || removed.empty() ? "" : " ") + removed;
      },
      [](const model::Verdict& verdict) {
        return std::string(verdict.isolated ? "isolated" : "not isolated") + " (" + verdict.cause
               + (verdict.device ? " at " + *verdict.device : "") + ")";
      },
      [](const model::FindingValue& f) {
        return fmt::format("{}: {}", model::to_string(f.severity), f.message);
      },
    },
    v);
}

Json
value_json(const model::Value& v)
{
  return std::visit(
    Overload{
      [](const std::monostate&) { return Json(nullptr); },
      [](const std::string& s) { return Json(s); },
      [](const model::Placement& p) {
        const auto sp = p.span();
        return Json{{"start", addr_json(p.start)},
                    {"end", sp ? Json(hex0x(sp->end)) : Json(nullptr)},
                    {"size", opt_json(p.size)}};
      },
      [](const model::BusAddress& b) { return Json{{"bus", addr_json(b.address)}}; },
      [](const model::ResourceType& t) { return type_json(t); },
      [](const model::Delta<model::BusAddress>& d) {
        return Json{{"before", addr_json(d.before.address)}, {"after", addr_json(d.after.address)}};
      },
      [](const model::Delta<model::ResourceType>& d) {
        return Json{{"before", type_json(d.before)}, {"after", type_json(d.after)}};
      },
      [](const model::Size& s) { return Json(s.bytes); },
      [](const model::Driver& d) { return Json(d.name.empty() ? std::string("none") : d.name); },
      [](const model::DeviceIdentity& d) {
        return Json{{"vendor", hex_or_null(d.vendor, 4)},
                    {"device", hex_or_null(d.device, 4)},
                    {"name", d.name.empty() ? Json(nullptr) : Json(d.name)},
                    {"driver", d.driver.empty() ? std::string("none") : d.driver}};
      },
      [](const model::GroupNumber& g) { return Json(g.id); },
      [](const model::Words& w) { return Json(w.words); },
      [](const model::MemberDelta& d) { return Json{{"added", d.added}, {"removed", d.removed}}; },
      [](const model::Verdict& verdict) {
        return Json{{"isolated", verdict.isolated}, {"cause", verdict.cause},
                    {"device", opt_json(verdict.device)}};
      },
      [](const model::FindingValue& f) {
        return Json{{"severity", model::to_string(f.severity)}, {"message", f.message}};
      },
    },
    v);
}

namespace {

// The key of a resource's part in a change's detail; null for other details.
const char*
part_key(const model::Value& v)
{
  if (std::holds_alternative<model::Placement>(v)) {
    return "placement";
  }
  if (std::holds_alternative<model::ResourceType>(v)
      || std::holds_alternative<model::Delta<model::ResourceType>>(v)) {
    return "type";
  }
  if (std::holds_alternative<model::BusAddress>(v)
      || std::holds_alternative<model::Delta<model::BusAddress>>(v)) {
    return "bus";
  }
  return nullptr;
}

// Under its key a bus address is the address itself ("bus":"0x..."), its change
// {"before":..., "after":...}.
Json
part_json(const model::Value& v)
{
  if (const auto* b = std::get_if<model::BusAddress>(&v)) {
    return addr_json(b->address);
  }
  if (const auto* d = std::get_if<model::Delta<model::BusAddress>>(&v)) {
    return {{"before", addr_json(d->before.address)}, {"after", addr_json(d->after.address)}};
  }
  return value_json(v);
}

} // namespace

void
render_changes_text(const std::vector<model::Change>& changes, const Style& style,
                    std::ostream& out)
{
  for (const auto& c : changes) {
    char sign = '~';
    Color color = Color::yellow;
    if (c.kind == model::ChangeKind::added) {
      sign = '+';
      color = Color::green;
    } else if (c.kind == model::ChangeKind::removed) {
      sign = '-';
      color = Color::red;
    }
    std::string what;
    if (c.before && c.after) {
      what = span_text(*c.before) + " -> " + span_text(*c.after);
    } else if (c.before) {
      what = span_text(*c.before);
    } else if (c.after) {
      what = span_text(*c.after);
    }
    // A value on one side only (an added or resolved finding) is shown alone, no arrow.
    const std::string bv = value_text(c.before_value);
    const std::string av = value_text(c.after_value);
    const std::string values = !bv.empty() && !av.empty() ? bv + " -> " + av : bv.empty() ? av : bv;
    if (!values.empty()) {
      what += (what.empty() ? "" : "  ") + values;
    }
    std::string detail;
    for (const auto& d : c.detail) {
      detail += (detail.empty() ? "" : ", ") + value_text(d);
    }
    if (!detail.empty()) {
      what += (what.empty() ? "(" : "  (") + detail + ")";
    }
    out << "  "
        << style.paint(fmt::format("{} {:<8}", sign, model::to_string(c.kind)), color) << ' '
        << model::join_path(c.path);
    if (!what.empty()) {
      out << "  " << what;
    }
    out << '\n';
  }
}

Json
change_to_json(const model::Change& c)
{
  Json j;
  j["change"] = model::to_string(c.kind);
  j["subject"] = model::join_path(c.path);
  j["path"] = c.path;
  if (c.before) {
    j["before"] = span_json(*c.before);
  }
  if (c.after) {
    j["after"] = span_json(*c.after);
  }
  // Each side's value only where that side has one (memmap(8): absent, never "").
  if (model::has_value(c.before_value)) {
    j["before_value"] = value_json(c.before_value);
  }
  if (model::has_value(c.after_value)) {
    j["after_value"] = value_json(c.after_value);
  }
  // The parts of a BAR, ROM or window (placement, type, bus) as one object keyed by part;
  // any other detail (a phrase, an identity, members) as itself.
  Json keyed = Json::object();
  for (const auto& d : c.detail) {
    if (const char* key = part_key(d)) {
      keyed[key] = part_json(d);
    }
  }
  if (!keyed.empty() && keyed.size() == c.detail.size()) {
    j["detail"] = keyed;
  } else if (c.detail.size() == 1) {
    j["detail"] = value_json(c.detail.front());
  } else if (!c.detail.empty()) {
    auto parts = Json::array();
    for (const auto& d : c.detail) {
      parts.push_back(value_json(d));
    }
    j["detail"] = parts;
  }
  return j;
}

namespace {

std::string
describe(const machine::DiffSideInfo& s)
{
  if (s.live) {
    return "this machine (live)";
  }
  if (!s.has_manifest) {
    return s.spec + " (a sysroot without a memmap manifest)";
  }
  const auto text = [](const std::optional<std::string>& v) { return v.value_or(""); };
  const std::string host = text(s.hostname);
  const std::string kernel = text(s.kernel);
  const std::string created = text(s.created);
  return fmt::format("{}: snapshot of {}{}, taken {}{}", s.spec,
                     host.empty() ? "an unnamed host" : host,
                     kernel.empty() ? "" : ", kernel " + kernel, created.empty() ? "?" : created,
                     !s.complete  ? " (complete: ? (the manifest does not say))"
                     : *s.complete ? ""
                                   : " (incomplete: not root)");
}

Json
side_json(const machine::DiffSideInfo& s)
{
  Json j;
  j["source"] = s.spec;
  if (s.has_manifest) {
    j["hostname"] = opt_json(s.hostname);
    j["kernel"] = opt_json(s.kernel);
    j["created"] = opt_json(s.created);
    j["complete"] = opt_json(s.complete);
  }
  return j;
}

} // namespace

void
render_diff_text(const machine::DiffReport& r, const Style& st, std::ostream& out)
{
  out << st.paint("A", Color::bold) << ": " << describe(r.a) << '\n'
      << st.paint("B", Color::bold) << ": " << describe(r.b) << '\n';
  for (const auto& s : r.sections) {
    out << '\n' << st.paint(s.section.title, Color::bold) << ": ";
    if (!s.compared) {
      out << "not compared\n";
    } else if (s.changes.empty()) {
      out << "no changes\n";
    } else {
      out << s.changes.size() << (s.changes.size() == 1 ? " change\n" : " changes\n");
    }
    for (const auto& n : s.notes) {
      out << "  " << st.paint(n, Color::dim) << '\n';
    }
    render_changes_text(s.changes, st, out);
  }
  out << '\n';
  if (r.compared == 0) {
    out << "Nothing could be compared.\n";
  } else if (r.differences == 0 && r.not_compared.empty()) {
    out << "No differences.\n";
  } else if (r.differences == 0) {
    out << fmt::format("No differences in what was compared; not compared: {}.\n",
                       fmt::join(r.not_compared, ", "));
  } else {
    out << r.differences << (r.differences == 1 ? " difference.\n" : " differences.\n");
  }
}

Json
diff_json(const machine::DiffReport& r)
{
  Json j = json_document();
  j["a"] = side_json(r.a);
  j["b"] = side_json(r.b);
  j["same"] = opt_json(r.same());
  j["not_compared"] = r.not_compared;
  j["differences"] = r.differences;
  auto secs = Json::array();
  for (const auto& s : r.sections) {
    Json js;
    js["id"] = s.section.id;
    js["title"] = s.section.title;
    js["compared"] = s.compared;
    js["notes"] = s.notes;
    auto cs = Json::array();
    for (const auto& c : s.changes) {
      cs.push_back(change_to_json(c));
    }
    js["changes"] = cs;
    secs.push_back(js);
  }
  j["sections"] = secs;
  return j;
}

} // namespace memmap::render
