// `memmap` with no command: a one-screen summary of the machine (machine/summary loads it,
// render/summary writes it).
#include "command.hpp"

#include <memmap/machine/summary.hpp>
#include <memmap/render/json.hpp>
#include <memmap/render/summary.hpp>

namespace memmap::cli {

int
run_summary(Context& ctx)
{
  const auto report = machine::summarize(ctx.machine());
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::summary_to_json(report));
  } else {
    render::render_summary_text(report, ctx.style(), ctx.out());
  }
  return report.exit_code;
}

} // namespace memmap::cli
