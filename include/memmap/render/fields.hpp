// Field registries: one table of columns per kind of row memmap lists (lsblk's model).
//
// A Table names every column a kind of row has: its id (what -o/--output takes), the header
// of its text column, the JSON key that carries the same value (a path in the row's object:
// "device.bdf", "devices[].driver"; empty for a text-only column), its type, its alignment
// and one line of help. The same table drives:
//   - the text columns of `-o COLS`: header, alignment and width (render_table);
//   - --list-columns, as text and as JSON (write_column_list, column_list_json);
//   - the --help text of -o (columns_help) and the man page, which a unit test checks
//     against every json_key (tests/unit/test_render_fields_man.cpp).
// The default view (no -o) is each command's own layout, unchanged; Table::defaults names
// the columns it shows, so `-o +COL` is that view's columns plus COL, as a table.
// JSON ignores -o: every document stays complete and key-stable (memmap(8), JSON OUTPUT).
//
// Tables: resource_table() (iomem, ioports), bar_table() (render/pci.hpp, one row per BAR),
// iommu_groups_table(), audit_table(), trace_devices_table(). Adding one:
//   1. in the renderer's header, an enum of its columns and `const Table& NAME_table();`
//      whose fields are in the enum's order (Table::check() asserts ids are unique and every
//      default is a field; the unit tests call it for every table);
//   2. in the renderer, one function that turns a row into the text of one column
//      (a switch over the enum), table_row<Enum>() for each row, then render_table();
//   3. in the command (src/cli/cmd_*.cpp), cli::add_column_options(sub, NAME_table()) and
//      pass its columns() to the renderer (src/cli/columns.hpp);
//   4. add the table to k_tables in tests/unit/test_render_fields_man.cpp, its columns to
//      man/memmap.8's COLUMNS and its row keys to the JSON OUTPUT example: the test parses that
//      example and names any key missing on either side. A column whose json_key is an object
//      or a list of objects ("device", "subject") stands for all the keys under it.
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <memmap/render/json.hpp>

namespace memmap::render {

enum class FieldType { address, range, size, count, string, enumeration, boolean, bdf, list };
enum class Align { left, right };

const char* to_string(FieldType t);

struct Field {
  std::string_view id;        // "SIZE": what -o takes (case-insensitive)
  std::string_view header;    // "SIZE": the text column's header
  std::string_view json_key;  // "size", "device.bdf", "devices[].driver"; "" text only
  FieldType type = FieldType::string;
  Align align = Align::left;
  std::string_view help;      // one line for --list-columns and the man page
};

struct Table {
  std::string_view name;                   // "iomem", "iommu-groups", "audit"
  std::string_view json_rows;              // the array of row objects json_key is in
  std::vector<Field> fields;               // --list-columns order; a renderer's enum order
  std::vector<std::string_view> defaults;  // the columns the default view shows
  std::string_view json_nested;            // the key of a row's nested rows ("children"), or ""

  // The index of the field with this id (case-insensitive), or nullopt.
  std::optional<std::size_t> find(std::string_view id) const;
  // Ids unique, defaults known: throws std::logic_error naming the fault.
  void check() const;
  // "START, END, RANGE, ..." for messages and help.
  std::string ids() const;
};

// The columns one run shows, as indices into Table::fields, in the order given.
struct Columns {
  std::vector<std::size_t> picked;
  bool is_default = true;  // no -o: the command's own view, not a table
};

Columns default_columns(const Table& t);

// Parse an -o argument: "A,B,C" (these columns, in this order) or "+A,B" (the defaults, then
// these). Ids are case-insensitive; a column named twice is shown once, where first named.
// Throws UsageError (exit 2) for an empty list, an empty item or an unknown id; the message
// names the option and lists the valid ids.
Columns parse_columns(const Table& t, std::string_view spec, std::string_view option = "-o");

// Display width of a cell: UTF-8 code points, not counting memmap's own colour escapes.
std::size_t display_width(std::string_view s);

// One row's cells, in Columns::picked order (already formatted; may carry colour).
using TableRow = std::vector<std::string>;

// One row: cell(Col) for each picked column, Col being the table's column enum.
template <class Col, class CellFn>
TableRow
table_row(const Columns& cols, CellFn&& cell)
{
  TableRow row;
  for (auto i : cols.picked) {
    row.push_back(cell(static_cast<Col>(i)));
  }
  return row;
}

// A header line, then one line a row: each column as wide as its widest cell or header,
// left or right aligned as its field says, two spaces apart; the last column is not padded.
void render_table(const Table& t, const Columns& cols, const std::vector<TableRow>& rows,
                  std::ostream& out);

// --list-columns: one line a column (id, header, JSON key, default or not, help) ...
void write_column_list(const Table& t, std::ostream& out);
// ... and as JSON: {"schema_version":1, "table":NAME, "rows":JSON_ROWS, "default":[ids],
// "columns":[{"id",
// "header","json_key"|null,"type","align","default","help"}]}.
Json column_list_json(const Table& t);

// The help text of -o: the syntax, the defaults and where to find the rest.
std::string columns_help(const Table& t);

} // namespace memmap::render
