#include <memmap/render/diff.hpp>

#include <fmt/format.h>

namespace memmap::render {

namespace {

std::string
span_text(const model::Span& s)
{
  return fmt::format("{}-{} ({})", hex(s.start, 8), hex(s.end, 8),
                     human_size(s.size(), s.start == 0 && s.end == ~std::uint64_t{0}));
}

nlohmann::ordered_json
span_json(const model::Span& s)
{
  return {{"start", hex0x(s.start)}, {"end", hex0x(s.end)}, {"size", s.end - s.start + 1}};
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
    std::string values;
    if (!c.before_value.empty() && !c.after_value.empty()) {
      values = c.before_value + " -> " + c.after_value;
    } else {
      values = c.before_value.empty() ? c.after_value : c.before_value;
    }
    if (!values.empty()) {
      what += (what.empty() ? "" : "  ") + values;
    }
    if (!c.detail.empty()) {
      what += (what.empty() ? "(" : "  (") + c.detail + ")";
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

nlohmann::ordered_json
change_to_json(const model::Change& c)
{
  nlohmann::ordered_json j;
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
  if (!c.before_value.empty()) {
    j["before_value"] = c.before_value;
  }
  if (!c.after_value.empty()) {
    j["after_value"] = c.after_value;
  }
  if (!c.detail.empty()) {
    j["detail"] = c.detail;
  }
  return j;
}

} // namespace memmap::render
