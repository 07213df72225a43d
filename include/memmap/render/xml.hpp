// XML character escaping shared by the renderers that write XML (JUnit, SVG, HTML).
#pragma once

#include <string>

namespace memmap::render {

// Append `c` to `out`, escaped for XML text and attribute values (& < > " ').
inline void
append_xml_char(std::string& out, char c)
{
  switch (c) {
  case '&':
    out += "&amp;";
    break;
  case '<':
    out += "&lt;";
    break;
  case '>':
    out += "&gt;";
    break;
  case '"':
    out += "&quot;";
    break;
  case '\'':
    out += "&apos;";
    break;
  default:
    out += c;
    break;
  }
}

} // namespace memmap::render
