// memmap fit BDF BAR SIZE: would a BAR of SIZE fit where the device sits now
// (analyze/fit.hpp), as text or JSON (render/fit.hpp).
#include "command.hpp"

#include <memmap/analyze/fit.hpp>
#include <memmap/render/fit.hpp>
#include <memmap/render/json.hpp>
#include <memmap/util/hex.hpp>
#include <memmap/util/size.hpp>

#include <cctype>

namespace memmap::cli {

namespace {

struct FitArgs {
  std::string bdf;
  std::string bar;
  std::string size;
};

// "1", "BAR1", "bar1" -> 1; 0-5 only.
int
parse_bar(const std::string& s)
{
  std::string digits = s;
  if (digits.size() > 3 && (digits.compare(0, 3, "BAR") == 0 || digits.compare(0, 3, "bar") == 0)) {
    digits.erase(0, 3);
  }
  if (digits.size() != 1 || digits[0] < '0' || digits[0] > '5') {
    throw UsageError("BAR " + s + ": give a BAR number 0-5");
  }
  return digits[0] - '0';
}

// 16G, 256M, 4096, 0x400000000.
std::uint64_t
parse_size(const std::string& s)
{
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const auto v = hex ? util::parse_hex_u64(s) : util::parse_binary_size(s);
  if (!v || *v == 0) {
    throw UsageError("SIZE " + s + ": give a size such as 16G, 256M, 4096 or 0x400000000");
  }
  return *v;
}

// A resource tree for the report, or null with why: unreadable is an unknown answer (exit 3);
// a malformed listing is bad input and propagates (exit 2).
template <typename Load>
const model::AddressSpace*
tree_or_why(std::string& why, Load&& load)
{
  try {
    return &load();
  } catch (const SourceError& e) {
    why = e.what();
  }
  return nullptr;
}

int
run_fit(Context& ctx, const FitArgs& args)
{
  analyze::FitRequest req;
  const auto bdf = model::parse_bdf(args.bdf);
  if (!bdf) {
    throw UsageError("BDF " + args.bdf + ": give a PCI address such as 0000:01:00.0 or 01:00.0");
  }
  req.bdf = *bdf;
  req.bar = parse_bar(args.bar);
  req.size = parse_size(args.size);

  analyze::FitInputs in;
  in.pci = &ctx.pci();
  ctx.report_pci_limits();
  if (analyze::fit_needs_ioports(req, *in.pci)) {
    in.ioports = tree_or_why(in.ioports_why, [&]() -> const model::AddressSpace& { return ctx.ioports(); });
  } else {
    in.iomem = tree_or_why(in.iomem_why, [&]() -> const model::AddressSpace& { return ctx.iomem(); });
  }
  const auto rep = analyze::fit(req, in);
  if (rep.source_missing) {
    throw SourceError("fit: unknown: " + rep.why);  // exit 3, nothing on stdout
  }
  if (ctx.options().json) {
    render::write_json(ctx.out(), render::fit_to_json(rep));
  } else {
    render::render_fit_text(rep, ctx.style(), ctx.out());
  }
  if (!rep.fits) {
    ctx.err() << "memmap: fit: unknown: " << rep.why << '\n';
    return k_exit_unreadable;
  }
  return *rep.fits ? k_exit_ok : k_exit_findings;
}

} // namespace

void
add_fit_commands(CLI::App& app, CommandList& cmds)
{
  auto args = std::make_shared<FitArgs>();
  CLI::App* fit = app.add_subcommand(
    "fit", "Would BAR n of a device fit at SIZE where the device sits now: the windows up to the "
           "host bridge, their free aligned gaps, and the change that makes it fit");
  fit->add_option("BDF", args->bdf, "The device: [domain:]bus:dev.fn")->required()->type_name("BDF");
  fit->add_option("BAR", args->bar, "The BAR: 0-5 (or BAR1)")->required()->type_name("BAR");
  fit->add_option("SIZE", args->size, "The size asked: 16G, 256M, 4096, 0x400000000 (a power of two)")
    ->required()
    ->type_name("SIZE");
  fit->footer(
    "The BAR's type (memory or I/O, 64-bit, prefetchable) comes from the PCI model (the kernel's\n"
    "sysfs flags outrank the register); the window the kernel would place it in is chosen as\n"
    "pbus_select_window_for_type() in drivers/pci/setup-bus.c does; free space is what no\n"
    "/proc/iomem (ioports) region nor a sibling's BAR or window covers, the BAR itself counted\n"
    "free. Where it does not fit: which windows must grow to what, up to the host bridge.\n"
    "Exit status: 0 it fits, 1 it does not, 2 bad input, 3 unknown (a source is unreadable, or a\n"
    "window on the way has no known range).\n"
    "Examples:\n"
    "  memmap fit 01:00.0 1 16G\n"
    "  memmap --root DIR fit 0000:04:00.0 1 0x400000000 --json");
  cmds.push_back({fit, [args](Context& ctx) { return run_fit(ctx, *args); }});
}

} // namespace memmap::cli
