// memmap iommu-groups -o: the group listing as a table (the registry is iommu_groups_table()).
#include "iommu_text.hpp"

#include <memmap/render/iommu.hpp>
#include <memmap/util/text.hpp>

#include <fmt/format.h>

namespace memmap::render {

const Table&
iommu_groups_table()
{
  using A = Align;
  using T = FieldType;
  static const Table t = {
    "iommu-groups",
    "groups",
    {
      {"GROUP", "GROUP", "id", T::count, A::right, "the group's number"},
      {"TYPE", "TYPE", "type", T::enumeration, A::left,
       "default domain type (DMA, DMA-FQ, identity, ...); ? without a type file"},
      {"STATE", "STATE", "isolated", T::boolean, A::left,
       "isolated (one slot's functions only) or shared"},
      {"CAUSE", "CAUSE", "cause.kind", T::enumeration, A::left,
       "why the members share it: alone, same-slot, no-acs, ...; empty for no member"},
      {"CAUSE-DEV", "CAUSE-DEV", "cause.device", T::bdf, A::left,
       "the device whose missing isolation merged the group; - for none"},
      {"DEVICES", "DEVICES", "devices[].bdf", T::list, A::left, "the members, comma-separated"},
      {"DRIVERS", "DRIVERS", "devices[].driver", T::list, A::left,
       "each member's driver, in DEVICES order: (none) unbound, ? unknown"},
      {"RESERVED", "RESERVED", "reserved_regions", T::list, A::left,
       "reserved regions as TYPE:START-END; ? when unknown, - for none"},
      {"REASON", "REASON", "reason", T::string, A::left, "why, in one sentence"},
      {"MEMBERS", "MEMBERS", "devices", T::list, A::left,
       "each member as the default layout's line (ids, class, name, driver, reset), ; apart"},
    },
    {"GROUP", "TYPE", "STATE", "CAUSE", "CAUSE-DEV", "DEVICES", "DRIVERS", "RESERVED"},
    "",
  };
  return t;
}

namespace {

std::string
cell(IommuGroupCol c, const machine::GroupListing& gl, const Style& style)
{
  const auto& g = *gl.group;
  std::vector<std::string> parts;
  switch (c) {
  case IommuGroupCol::group: return std::to_string(g.id);
  case IommuGroupCol::type: return g.type_known ? g.type : "?";
  case IommuGroupCol::state:
    return gl.cause.isolated ? style.paint("isolated", Color::green)
                             : style.paint("shared", Color::yellow);
  case IommuGroupCol::cause: return g.devices.empty() ? "empty" : gl.cause.kind;
  case IommuGroupCol::cause_dev: return gl.cause.device.value_or("-");
  case IommuGroupCol::devices:
    for (const auto& m : gl.members) {
      parts.push_back(m.bdf);
    }
    break;
  case IommuGroupCol::drivers:
    for (const auto& m : gl.members) {
      parts.push_back(!m.driver ? "?" : m.driver->empty() ? "(none)" : *m.driver);
    }
    break;
  case IommuGroupCol::reserved:
    if (!g.reserved_known) {
      return "?";
    }
    for (const auto& rr : g.reserved) {
      parts.push_back(fmt::format("{}:{}-{}", rr.type, hex(rr.start, 8), hex(rr.end, 8)));
    }
    break;
  case IommuGroupCol::reason: return gl.cause.reason;
  case IommuGroupCol::members:
    for (const auto& m : gl.members) {
      parts.push_back(member_line(m, style, ""));
    }
    return parts.empty() ? "-" : util::join(parts, "; ");
  }
  return parts.empty() ? "-" : util::join(parts, ",");
}

} // namespace

void
render_iommu_groups_table(const machine::Listing& l, const Columns& cols, const Style& style,
                          std::ostream& out)
{
  std::vector<TableRow> rows;
  for (const auto& gl : l.groups) {
    rows.push_back(
      table_row<IommuGroupCol>(cols, [&](IommuGroupCol c) { return cell(c, gl, style); }));
  }
  render_table(iommu_groups_table(), cols, rows, out);
}

} // namespace memmap::render
