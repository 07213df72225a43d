// -o/--output COLS and --list-columns for a subcommand whose rows have a field registry
// (render/fields.hpp). Private to the CLI.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "context.hpp"

#include <memmap/render/fields.hpp>

namespace memmap::cli {

struct ColumnOptions {
  const render::Table* table = nullptr;
  std::string spec;   // -o COLS; empty: the command's own view
  bool list = false;  // --list-columns

  // The columns -o names (checked when the command line was parsed), or the default view.
  render::Columns columns() const;
  // With --list-columns: writes the list (JSON with --json) and returns true.
  bool listed(Context& ctx) const;
};

// Adds -o/--output COLS (validated against `table`: an unknown column is exit 2 naming the
// valid ones) and --list-columns to `sub`.
std::shared_ptr<ColumnOptions> add_column_options(CLI::App* sub, const render::Table& table);

} // namespace memmap::cli
