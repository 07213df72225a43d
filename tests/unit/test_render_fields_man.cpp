// man/memmap.8 against the field registries, both ways:
//  - JSON OUTPUT: the example document of each command (its .nf block) is parsed and the keys
//    of one row object (Table::json_rows) are compared with the registry's json_keys: every
//    json_key must be a key there, and every key there must be a column's json_key or lie
//    under one (a column whose value is an object stands for all of it) or be the nested rows
//    (Table::json_nested).
//  - COLUMNS: each table's .SS names the defaults, and its tags (.TP/.TQ .B ID) are exactly
//    the ids.
// A failure names what is missing on which side.
#include <catch2/catch.hpp>

#include <memmap/render/audit.hpp>
#include <memmap/render/fields.hpp>
#include <memmap/render/iommu.hpp>
#include <memmap/render/pci.hpp>
#include <memmap/render/resource_tree.hpp>
#include <memmap/render/trace.hpp>

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using memmap::render::Table;

namespace {

// Each registry, the title of its .SS in JSON OUTPUT and the start of its .SS in COLUMNS.
struct ManTable {
  const Table& (*table)();
  const char* json_section;
  const char* columns_section;
};
const ManTable k_tables[] = {
  {&memmap::render::resource_table, "iomem and ioports", "iomem and ioports"},
  {&memmap::render::bar_table, "bar", "bar"},
  {&memmap::render::iommu_groups_table, "iommu-groups", "iommu-groups"},
  {&memmap::render::audit_table, "audit", "audit"},
  {&memmap::render::trace_devices_table, "trace", "trace"},
};

std::string
man_page()
{
  std::ifstream in(MEMMAP_SOURCE_DIR "/man/memmap.8");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// troff to text for what the tests compare: \- is a hyphen, \e a backslash.
std::string
unescape(const std::string& s)
{
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '-' || s[i + 1] == 'e')) {
      out += s[i + 1] == '-' ? '-' : '\\';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The body of the .SS whose title starts with `title` (after the line `.SH chapter`), up to
// the next .SS or .SH.
std::string
subsection(const std::string& page, const std::string& chapter, const std::string& title,
           std::string* full_title = nullptr)
{
  const auto ch = page.find("\n.SH " + chapter + "\n");
  if (ch == std::string::npos) {
    return {};
  }
  const auto ch_end = page.find("\n.SH ", ch + 1);
  auto at = page.find("\n.SS \"" + title, ch);
  if (at == std::string::npos || at > ch_end) {
    return {};
  }
  const auto line_end = page.find('\n', at + 1);
  if (full_title) {
    *full_title = unescape(page.substr(at + 5, line_end - at - 5));
  }
  const auto end = std::min(page.find("\n.SS ", line_end), page.find("\n.SH ", line_end));
  return page.substr(line_end + 1, end == std::string::npos ? std::string::npos
                                                            : end - line_end - 1);
}

// --- the example documents: JSON with `|` alternatives, `...` and prose in parentheses ---

struct Tok {
  char kind;  // '"' string, one of {}[]:,| punctuation, 'w' any other word
  std::string text;
};

std::vector<Tok>
tokens(const std::string& s)
{
  std::vector<Tok> out;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '"') {
      const auto end = s.find('"', i + 1);
      out.push_back({'"', s.substr(i + 1, end - i - 1)});
      i = end == std::string::npos ? s.size() : end + 1;
    } else if (std::string_view("{}[]:,|").find(c) != std::string_view::npos) {
      out.push_back({c, std::string(1, c)});
      ++i;
    } else {
      std::size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))
             && std::string_view("{}[]:,|\"").find(s[j]) == std::string_view::npos) {
        ++j;
      }
      out.push_back({'w', s.substr(i, j - i)});
      i = j;
    }
  }
  return out;
}

// Every key path of the document: "regions", "regions[].device.bdf", ...
class KeyPaths {
public:
  explicit KeyPaths(const std::string& doc) : m_t(tokens(doc)) { value(""); }
  const std::set<std::string>& paths() const { return m_paths; }

private:
  bool at(char k) const { return m_i < m_t.size() && m_t[m_i].kind == k; }

  void
  value(const std::string& path)
  {
    if (at('{')) {
      object(path);
    } else if (at('[')) {
      ++m_i;
      while (m_i < m_t.size() && !at(']')) {
        if (at('{')) {
          object(path + "[]");
        } else if (at('[')) {
          value(path + "[]");
        } else {
          ++m_i;  // a scalar, a comma, "..."
        }
      }
      ++m_i;
    } else {
      while (m_i < m_t.size() && !at(',') && !at('}') && !at(']') && !at('|')) {
        ++m_i;  // a scalar, maybe with words after it: "(iova only)"
      }
    }
    if (at('|')) {  // an alternative: "0x0"|null, [...]|null
      ++m_i;
      value(path);
    }
  }

  void
  object(const std::string& prefix)
  {
    ++m_i;  // {
    while (m_i < m_t.size() && !at('}')) {
      if (at('"') && m_i + 1 < m_t.size() && m_t[m_i + 1].kind == ':') {
        const std::string path = (prefix.empty() ? "" : prefix + ".") + m_t[m_i].text;
        m_paths.insert(path);
        m_i += 2;
        value(path);
      } else {
        ++m_i;  // a comma, "...", a bare "key" of a list of names
      }
    }
    ++m_i;
  }

  std::vector<Tok> m_t;
  std::size_t m_i = 0;
  std::set<std::string> m_paths;
};

bool
under(const std::string& path, std::string_view key)
{
  return !key.empty() && path.compare(0, key.size(), key) == 0
         && (path.size() == key.size() || path[key.size()] == '.' || path[key.size()] == '[');
}

// The keys of one row object in the man page's example for `mt`, as paths inside the row.
std::set<std::string>
man_row_keys(const std::string& page, const ManTable& mt)
{
  const std::string text = subsection(page, "JSON OUTPUT", std::string(mt.json_section) + "\"");
  const auto nf = text.find(".nf\n");
  const auto fi = text.find("\n.fi", nf);
  if (nf == std::string::npos || fi == std::string::npos) {
    return {};
  }
  const KeyPaths doc(unescape(text.substr(nf + 4, fi - nf - 4)));
  const std::string rows = std::string(mt.table().json_rows) + "[].";
  std::set<std::string> keys;
  for (const auto& p : doc.paths()) {
    if (p.compare(0, rows.size(), rows) == 0) {
      keys.insert(p.substr(rows.size()));
    }
  }
  return keys;
}

} // namespace

TEST_CASE("man: the example parser finds nested keys, alternatives and arrays",
          "[render][fields][man]")
{
  const KeyPaths d(R"({"a":1, "b":{"c":"x"|null, "d":[{"e":true}]|null}, "f":[...],
                       "g":["x","y"], "h":"..." (when known), "i":{...}, "j":[{"k":1}, ...]})");
  CHECK(d.paths()
        == std::set<std::string>{"a", "b", "b.c", "b.d", "b.d[].e", "f", "g", "h", "i", "j",
                                 "j[].k"});
}

TEST_CASE("man: JSON OUTPUT's row keys and the registries' json_keys match both ways",
          "[render][fields][man]")
{
  const std::string page = man_page();
  REQUIRE_FALSE(page.empty());
  for (const auto& mt : k_tables) {
    const Table& t = mt.table();
    INFO("table " << t.name << ", man JSON OUTPUT / " << mt.json_section << ", rows "
                  << t.json_rows);
    const auto keys = man_row_keys(page, mt);
    REQUIRE_FALSE(keys.empty());
    std::vector<std::string> not_in_man;
    for (const auto& f : t.fields) {
      if (!f.json_key.empty() && !keys.count(std::string(f.json_key))) {
        not_in_man.push_back(std::string(f.json_key) + " (column " + std::string(f.id) + ")");
      }
    }
    if (!t.json_nested.empty() && !keys.count(std::string(t.json_nested))) {
      not_in_man.push_back(std::string(t.json_nested) + " (nested rows)");
    }
    CHECK(not_in_man == std::vector<std::string>{});
    std::vector<std::string> no_column;
    for (const auto& k : keys) {
      bool covered = under(k, t.json_nested);
      for (const auto& f : t.fields) {
        covered = covered || under(k, f.json_key);
      }
      // An object whose keys are columns is covered by them (device of "device.bdf").
      for (const auto& f : t.fields) {
        covered = covered || under(std::string(f.json_key), k);
      }
      if (!covered) {
        no_column.push_back(k);
      }
    }
    CHECK(no_column == std::vector<std::string>{});
  }
}

TEST_CASE("man: each COLUMNS section names the defaults and exactly the registry's ids",
          "[render][fields][man]")
{
  const std::string page = man_page();
  for (const auto& mt : k_tables) {
    const Table& t = mt.table();
    INFO("table " << t.name);
    std::string title;
    const std::string text = unescape(subsection(page, "COLUMNS", mt.columns_section, &title));
    REQUIRE_FALSE(text.empty());
    std::string defaults;
    for (auto d : t.defaults) {
      defaults += (defaults.empty() ? "" : ",") + std::string(d);
    }
    CHECK(title == "\"" + std::string(mt.columns_section) + " (default " + defaults + ")\"");
    std::set<std::string> in_man;
    std::istringstream lines(text);
    std::string prev;
    for (std::string line; std::getline(lines, line); prev = line) {
      // A tag: .TP or .TQ, then the line ".B ID".
      if ((prev == ".TP" || prev == ".TQ") && line.rfind(".B ", 0) == 0) {
        in_man.insert(line.substr(3));
      }
    }
    std::set<std::string> ids;
    for (const auto& f : t.fields) {
      ids.insert(std::string(f.id));
    }
    CHECK(in_man == ids);
  }
}
