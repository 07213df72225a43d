#include <memmap/render/fields.hpp>

#include <memmap/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace memmap::render {

namespace {

bool
same_id(std::string_view a, std::string_view b)
{
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::toupper(static_cast<unsigned char>(x))
                     == std::toupper(static_cast<unsigned char>(y));
            });
}

std::string_view
trim(std::string_view s)
{
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

bool
is_default(const Table& t, std::string_view id)
{
  return std::find(t.defaults.begin(), t.defaults.end(), id) != t.defaults.end();
}

} // namespace

const char*
to_string(FieldType t)
{
  switch (t) {
  case FieldType::address: return "address";
  case FieldType::range: return "range";
  case FieldType::size: return "size";
  case FieldType::count: return "count";
  case FieldType::string: return "string";
  case FieldType::enumeration: return "enum";
  case FieldType::boolean: return "bool";
  case FieldType::bdf: return "bdf";
  case FieldType::list: return "list";
  }
  return "string";
}

std::optional<std::size_t>
Table::find(std::string_view id) const
{
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (same_id(fields[i].id, id)) {
      return i;
    }
  }
  return std::nullopt;
}

void
Table::check() const
{
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (find(fields[i].id) != i) {
      throw std::logic_error(fmt::format("table {}: column {} twice", name, fields[i].id));
    }
  }
  for (auto d : defaults) {
    if (!find(d)) {
      throw std::logic_error(fmt::format("table {}: default column {} is no field", name, d));
    }
  }
}

std::string
Table::ids() const
{
  std::string s;
  for (const auto& f : fields) {
    s += (s.empty() ? "" : ", ") + std::string(f.id);
  }
  return s;
}

Columns
default_columns(const Table& t)
{
  Columns c;
  for (auto d : t.defaults) {
    c.picked.push_back(*t.find(d));
  }
  return c;
}

Columns
parse_columns(const Table& t, std::string_view spec, std::string_view option)
{
  // CLI11 puts the option's name before a validator's message: then `option` is "".
  const std::string what =
    option.empty() ? std::string() : fmt::format("{} {}: ", option, spec.empty() ? "''" : spec);
  Columns c;
  c.is_default = false;
  std::string_view rest = trim(spec);
  if (!rest.empty() && rest.front() == '+') {
    c.picked = default_columns(t).picked;
    rest.remove_prefix(1);
  }
  if (trim(rest).empty()) {
    throw UsageError(fmt::format("{}no column named (columns: {})", what, t.ids()));
  }
  while (true) {
    const auto comma = rest.find(',');
    const auto item = trim(rest.substr(0, comma));
    if (item.empty()) {
      throw UsageError(fmt::format("{}an empty column name (columns: {})", what, t.ids()));
    }
    const auto i = t.find(item);
    if (!i) {
      throw UsageError(fmt::format("{}no column {} (columns: {})", what, item, t.ids()));
    }
    if (std::find(c.picked.begin(), c.picked.end(), *i) == c.picked.end()) {
      c.picked.push_back(*i);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  return c;
}

std::size_t
display_width(std::string_view s)
{
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b && i + 1 < s.size() && s[i + 1] == '[') {
      // memmap's colours: ESC [ digits/semicolons m
      std::size_t j = i + 2;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == ';')) {
        ++j;
      }
      if (j < s.size() && s[j] == 'm') {
        i = j;
        continue;
      }
    }
    w += (c & 0xc0) == 0x80 ? 0 : 1;  // count UTF-8 lead bytes only
  }
  return w;
}

void
render_table(const Table& t, const Columns& cols, const std::vector<TableRow>& rows,
             std::ostream& out)
{
  const std::size_t n = cols.picked.size();
  std::vector<std::size_t> width(n, 0);
  for (std::size_t c = 0; c < n; ++c) {
    width[c] = display_width(t.fields[cols.picked[c]].header);
    for (const auto& r : rows) {
      width[c] = std::max(width[c], c < r.size() ? display_width(r[c]) : 1);
    }
  }
  auto line = [&](auto&& cell) {
    std::string s;
    for (std::size_t c = 0; c < n; ++c) {
      const std::string text = cell(c);
      const std::size_t pad = width[c] - std::min(width[c], display_width(text));
      const bool right = t.fields[cols.picked[c]].align == Align::right;
      s += c == 0 ? "" : "  ";
      s += right ? std::string(pad, ' ') + text
                 : text + (c + 1 == n ? std::string() : std::string(pad, ' '));
    }
    out << s << '\n';
  };
  line([&](std::size_t c) { return std::string(t.fields[cols.picked[c]].header); });
  for (const auto& r : rows) {
    line([&](std::size_t c) { return c < r.size() ? r[c] : std::string("?"); });
  }
}

void
write_column_list(const Table& t, std::ostream& out)
{
  std::size_t id_w = 2;
  std::size_t header_w = 6;
  std::size_t key_w = 8;
  for (const auto& f : t.fields) {
    id_w = std::max(id_w, f.id.size());
    header_w = std::max(header_w, f.header.size());
    key_w = std::max(key_w, f.json_key.size());
  }
  out << fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<7}  {}\n", "ID", id_w, "HEADER", header_w,
                     "JSON KEY", key_w, "DEFAULT", "HELP");
  for (const auto& f : t.fields) {
    out << fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<7}  {}\n", f.id, id_w, f.header, header_w,
                       f.json_key.empty() ? "-" : f.json_key, key_w,
                       is_default(t, f.id) ? "yes" : "no", f.help);
  }
}

Json
column_list_json(const Table& t)
{
  Json j = json_document();
  j["table"] = t.name;
  j["rows"] = t.json_rows;
  Json defaults = Json::array();
  for (auto d : t.defaults) {
    defaults.push_back(d);
  }
  j["default"] = defaults;
  Json cols = Json::array();
  for (const auto& f : t.fields) {
    cols.push_back({{"id", f.id},
                    {"header", f.header},
                    {"json_key", f.json_key.empty() ? Json(nullptr) : Json(f.json_key)},
                    {"type", to_string(f.type)},
                    {"align", f.align == Align::right ? "right" : "left"},
                    {"default", is_default(t, f.id)},
                    {"help", f.help}});
  }
  j["columns"] = cols;
  return j;
}

std::string
columns_help(const Table& t)
{
  std::string defaults;
  for (auto d : t.defaults) {
    defaults += (defaults.empty() ? "" : ",") + std::string(d);
  }
  return fmt::format("Print the rows as a table of these text columns, a comma list (+COLS: "
                     "the default {} and COLS). Columns: {}. --list-columns says what each "
                     "shows; JSON is not affected",
                     defaults, t.ids());
}

} // namespace memmap::render
