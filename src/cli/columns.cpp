#include "columns.hpp"

#include <memmap/error.hpp>
#include <memmap/render/json.hpp>

namespace memmap::cli {

render::Columns
ColumnOptions::columns() const
{
  return spec.empty() ? render::default_columns(*table)
                      : render::parse_columns(*table, spec, "--output");
}

bool
ColumnOptions::listed(Context& ctx) const
{
  if (!list) {
    return false;
  }
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::column_list_json(*table));
  } else {
    render::write_column_list(*table, ctx.out());
  }
  return true;
}

std::shared_ptr<ColumnOptions>
add_column_options(CLI::App* sub, const render::Table& table)
{
  auto o = std::make_shared<ColumnOptions>();
  o->table = &table;
  const render::Table* t = &table;
  sub->add_option("-o,--output", o->spec, render::columns_help(table))
    ->type_name("COLS")
    ->check(CLI::Validator(
      [t](const std::string& v) {
        try {
          (void)render::parse_columns(*t, v, "");
        } catch (const UsageError& e) {
          return std::string(e.what());
        }
        return std::string();
      },
      "COLS"));
  sub->add_flag("--list-columns", o->list,
                "List the columns -o takes: id, header, JSON key, default or not, what it shows");
  return o;
}

} // namespace memmap::cli
