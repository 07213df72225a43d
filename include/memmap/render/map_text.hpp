// memmap map in a terminal: the map layout drawn as a column of boxes with an address axis.
#pragma once

#include <ostream>

#include <memmap/render/format.hpp>
#include <memmap/render/map_layout.hpp>

namespace memmap::render {

struct MapTextOptions {
  int width = 80;        // columns of the whole drawing, axis included (at least 40)
  bool unicode = true;   // box-drawing characters; false: plain ASCII (+-|~)
};

// Draws `layout`: a heading, the address axis (hex boundary at every border line, "≈" / "~"
// beside holes: scale breaks), the boxes with name, range and size, a second axis with bus
// addresses when they differ, then a legend and `warnings`.
void render_map_text(const MapLayout& layout, const std::vector<model::Diagnostic>& warnings,
                     const MapTextOptions& opts, const Style& style, std::ostream& out);

// Whether the user's locale (LC_ALL, LC_CTYPE, LANG) uses UTF-8: setlocale(LC_CTYPE, "") and
// nl_langinfo(CODESET).
bool locale_is_utf8();

// Columns of the terminal on `fd` (TIOCGWINSZ), else $COLUMNS, else 80.
int terminal_width(int fd);

} // namespace memmap::render
