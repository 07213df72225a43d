// The text memmap diff shows for a typed value and for a change's detail (render/diff), for
// the diff tests' checks.
#pragma once

#include <memmap/render/diff.hpp>

#include <string>

inline std::string
text(const memmap::model::Value& v)
{
  return memmap::render::value_text(v);
}

inline std::string
detail_text(const memmap::model::Change& c)
{
  std::string s;
  for (const auto& d : c.detail) {
    s += (s.empty() ? "" : ", ") + memmap::render::value_text(d);
  }
  return s;
}
