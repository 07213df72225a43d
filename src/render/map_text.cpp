#include <memmap/render/map_text.hpp>

#include <memmap/render/resource_tree.hpp>

#include <algorithm>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <langinfo.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace memmap::render {

namespace {

struct Glyphs {
  const char* h;
  const char* v;
  const char* tl;
  const char* tr;
  const char* bl;
  const char* br;
  const char* lt;
  const char* rt;
  const char* dash_h;
  const char* dash_v;
  const char* brk;   // scale break on the axis
  const char* wave;  // a border cut by --range
  const char* ellipsis;
};

constexpr Glyphs k_utf8{"─", "│", "┌", "┐", "└", "┘", "├", "┤", "╌", "┊", "≈", "~", "…"};
constexpr Glyphs k_ascii{"-", "|", "+", "+", "+", "+", "+", "+", "-", ":", "~", "~", "..."};

struct Cell {
  std::string glyph = " ";
  Color color = Color::none;
};

class Canvas {
public:
  Canvas(int lines, int width)
    : m_rows(static_cast<std::size_t>(lines), std::vector<Cell>(static_cast<std::size_t>(width))),
      m_width(width)
  {
  }

  void
  put(int line, int x, std::string_view glyph, Color c)
  {
    if (line < 0 || x < 0 || line >= static_cast<int>(m_rows.size()) || x >= m_width) {
      return;
    }
    auto& cell = m_rows[static_cast<std::size_t>(line)][static_cast<std::size_t>(x)];
    cell.glyph = std::string(glyph);
    cell.color = c;
  }

  // Writes `s` (clean UTF-8) from column `x`, one code point a column.
  void
  text(int line, int x, std::string_view s, Color c)
  {
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t len = 1;
      while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xc0) == 0x80) {
        ++len;
      }
      put(line, x++, s.substr(i, len), c);
      i += len;
    }
  }

  std::string
  row(int line, const Style& style) const
  {
    const auto& cells = m_rows[static_cast<std::size_t>(line)];
    std::size_t end = cells.size();
    while (end > 0 && cells[end - 1].glyph == " ") {
      --end;
    }
    std::string out;
    std::size_t i = 0;
    while (i < end) {
      const Color c = cells[i].color;
      std::string run;
      while (i < end && cells[i].color == c) {
        run += cells[i].glyph;
        ++i;
      }
      out += style.paint(run, c);
    }
    return out;
  }

private:
  std::vector<std::vector<Cell>> m_rows;
  int m_width;
};

// Words of `text` after a 9-column `head`, wrapped to `width` with the same indent.
void
wrap(const std::string& text, const std::string& head, int width, std::ostream& out)
{
  constexpr std::size_t k_indent = 9;
  std::string line = head + std::string(k_indent - std::min(head.size(), k_indent - 1), ' ');
  std::size_t col = map_text_width(line);
  bool first_word = true;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto sp = std::min(text.find(' ', i), text.size());
    const std::string word = text.substr(i, sp - i);
    const std::size_t w = map_text_width(word);
    if (!first_word && col + 1 + w > static_cast<std::size_t>(width)) {
      out << line << '\n';
      line = std::string(k_indent, ' ');
      col = k_indent;
      first_word = true;
    }
    if (!first_word) {
      line += ' ';
      ++col;
    }
    line += word;
    col += w;
    first_word = false;
    i = sp + 1;
  }
  out << line << '\n';
}

} // namespace

void
render_map_text(const MapLayout& layout, const std::vector<model::Diagnostic>& warnings,
                const MapTextOptions& opts, const Style& style, std::ostream& out)
{
  const Glyphs& g = opts.unicode ? k_utf8 : k_ascii;
  const bool ascii = !opts.unicode;
  const int width = std::max(opts.width, 40);
  const int digits = layout.address_digits;

  // "CPU physical address map[ START-END] of SOURCE", the source cut at its start to fit.
  std::string heading = "CPU physical address map";
  if (layout.range) {
    heading += fmt::format(" {}-{}", hex(layout.range->start), hex(layout.range->end));
  }
  heading += " of ";
  std::string source = map_clean_text(layout.source, ascii);
  const std::size_t room = static_cast<std::size_t>(width) > heading.size() + 8
                             ? static_cast<std::size_t>(width) - heading.size()
                             : 8;
  if (map_text_width(source) > room) {
    std::size_t cut = 0;
    while (map_text_width(std::string_view(source).substr(cut)) + map_text_width(g.ellipsis) > room) {
      ++cut;
    }
    while (cut < source.size() && (static_cast<unsigned char>(source[cut]) & 0xc0) == 0x80) {
      ++cut;
    }
    source = std::string(g.ellipsis) + source.substr(cut);
  }
  out << heading << source << '\n';
  if (layout.items.empty()) {
    out << "(nothing to draw: no region "
        << (layout.range ? "in this range matches" : "matches") << ")\n";
    return;
  }
  if (layout.bus_differs) {
    out << fmt::format("{:>{}} {:>{}}\n", "CPU", digits, "bus", width - digits - 1);
  }

  const int axis_w = digits + 1;
  const int bus_w = layout.bus_differs ? digits + 1 : 0;
  const int box_w = width - axis_w - bus_w;
  Canvas canvas(layout.lines, width);

  // The previous sibling of every item (-1 for the first of its list).
  std::vector<int> prev(layout.items.size(), -1);
  {
    std::vector<int> last_child(layout.items.size() + 1, -1);
    for (std::size_t i = 0; i < layout.items.size(); ++i) {
      const auto slot = static_cast<std::size_t>(layout.items[i].parent + 1);
      prev[i] = last_child[slot];
      last_child[slot] = static_cast<int>(i);
    }
  }

  for (std::size_t i = 0; i < layout.items.size(); ++i) {
    const MapItem& it = layout.items[i];
    const int max_indent = std::max(0, (box_w - 16) / 2);
    const int indent = std::min(2 * it.depth, max_indent);
    const int x0 = axis_w + indent;
    const int x1 = axis_w + box_w - 1 - indent;
    const bool is_box = it.type == MapItemType::box;
    const Color c = is_box ? kind_color(it.kind) : Color::dim;
    const int p = prev[i];
    const bool after_box = p >= 0 && layout.items[static_cast<std::size_t>(p)].type == MapItemType::box
                           && layout.items[static_cast<std::size_t>(p)].bottom == it.top;

    auto hline = [&](int line, const char* l, const char* r, const char* fill) {
      canvas.put(line, x0, l, c);
      for (int x = x0 + 1; x < x1; ++x) {
        canvas.put(line, x, fill, c);
      }
      canvas.put(line, x1, r, c);
    };
    if (is_box) {
      hline(it.top, after_box ? g.lt : g.tl, after_box ? g.rt : g.tr,
            it.clipped_above ? g.wave : g.h);
      hline(it.bottom, g.bl, g.br, it.clipped_below ? g.wave : g.h);
    } else {
      if (p < 0) {
        hline(it.top, g.tl, g.tr, g.dash_h);
      }
      hline(it.bottom, g.bl, g.br, g.dash_h);
    }
    for (int line = it.top + 1; line < it.bottom; ++line) {
      canvas.put(line, x0, is_box ? g.v : g.dash_v, c);
      canvas.put(line, x1, is_box ? g.v : g.dash_v, c);
    }

    // Labels: every content line of a leaf, the first line of a box with children.
    const int label_lines = it.has_children ? 1 : it.content_lines();
    const int tx0 = x0 + 2;
    const int tx1 = x1 - 2;
    if (tx1 <= tx0) {
      continue;
    }
    const auto iw = static_cast<std::size_t>(tx1 - tx0 + 1);
    const auto labels = map_label_lines(it, layout, label_lines, iw, ascii);
    for (std::size_t k = 0; k < labels.size() && static_cast<int>(k) < label_lines; ++k) {
      const int line = it.top + 1 + static_cast<int>(k);
      const auto& lab = labels[k];
      std::size_t right_w = map_text_width(lab.right);
      std::string right = lab.right;
      if (right_w + 2 > iw) {
        right = map_truncate(right, iw, g.ellipsis);
        right_w = map_text_width(right);
      }
      const std::size_t left_room = right.empty() ? iw : iw - right_w - (right_w ? 2 : 0);
      const std::string left = map_truncate(lab.left, left_room, g.ellipsis);
      const Color left_color = lab.role == MapLabelLine::Role::title ? c
                               : lab.role == MapLabelLine::Role::detail ? Color::dim
                                                                        : Color::none;
      canvas.text(line, tx0, left, left_color);
      if (!right.empty()) {
        canvas.text(line, tx1 - static_cast<int>(right_w) + 1, right,
                    is_box ? Color::none : Color::dim);
      }
    }
  }

  const auto marks = map_axis(layout);
  for (int line = 0; line < layout.lines; ++line) {
    const auto& m = marks[static_cast<std::size_t>(line)];
    if (m.cpu) {
      canvas.text(line, 0, hex(*m.cpu, digits), Color::none);
    } else if (m.scale_break) {
      canvas.text(line, digits - 1, g.brk, Color::dim);
    }
    if (layout.bus_differs && m.bus) {
      canvas.text(line, axis_w + box_w + 1, hex(*m.bus, digits), Color::none);
    }
    out << canvas.row(line, style) << '\n';
  }

  // Legend: the kinds drawn, in their colours, then the scale rule.
  out << '\n';
  std::string legend = "Legend:";
  std::size_t col = legend.size();
  std::vector<std::string> labels;
  for (auto k : layout.kinds) {
    const std::string name = map_kind_label(k);
    if (std::find(labels.begin(), labels.end(), name) != labels.end()) {
      continue;
    }
    labels.push_back(name);
    if (col + 2 + name.size() > static_cast<std::size_t>(width)) {
      out << legend << '\n';
      legend = std::string(7, ' ');  // "Legend:"
      col = legend.size();
    }
    legend += "  " + style.paint(name, kind_color(k));
    col += 2 + name.size();
  }
  out << legend << '\n';
  wrap(fmt::format("{} {} unclaimed, free or not shown: 1 line whatever its size (a scale "
                   "break)",
                   g.brk, g.dash_v),
       "", width, out);
  wrap("1 line below 16M, +1 line per 16x: 16M 2, 256M 3, 4G 4, 64G 5, 1T 6", "Scale:", width,
       out);
  if (layout.bus_differs) {
    wrap("right-hand axis: PCI bus addresses where a host bridge translates", "Bus:", width,
         out);
  }

  if (!warnings.empty()) {
    out << '\n';
    for (const auto& w : warnings) {
      out << style.paint("warning", Color::yellow) << ": "
          << map_clean_text(w.located(), ascii) << " [" << w.id << "]\n";
    }
  }
}

bool
locale_is_utf8()
{
  if (std::setlocale(LC_CTYPE, "") == nullptr) {
    return false;
  }
  const char* cs = nl_langinfo(CODESET);
  return cs != nullptr && (std::strcmp(cs, "UTF-8") == 0 || std::strcmp(cs, "utf8") == 0);
}

int
terminal_width(int fd)
{
  winsize ws{};
  if (::isatty(fd) == 1 && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return ws.ws_col;
  }
  if (const char* cols = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long v = std::strtol(cols, &end, 10);
    if (end != cols && *end == '\0' && v > 0 && v < 10000) {
      return static_cast<int>(v);
    }
  }
  return 80;
}

} // namespace memmap::render
