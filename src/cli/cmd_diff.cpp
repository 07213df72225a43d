// memmap diff A B: what changed between two captures of a machine (snapshot directories,
// snapshot tarballs, or `live`), section by section (see diff.hpp).
#include "command.hpp"
#include "diff.hpp"

#include <memmap/error.hpp>
#include <memmap/render/json.hpp>
#include <memmap/render/diff.hpp>
#include <memmap/source/archive.hpp>
#include <memmap/source/snapshot_sink.hpp>

#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

namespace memmap::cli {

namespace fs = std::filesystem;

DiffSectionList
diff_sections()
{
  DiffSectionList sections;
  add_resource_diff_sections(sections);
  add_pci_diff_sections(sections);
  add_iommu_diff_sections(sections);
  add_audit_diff_sections(sections);
  return sections;
}

namespace {

SectionResult
compare_trees(Context& a, Context& b, model::SpaceKind kind)
{
  SectionResult r;
  auto load = [&](Context& c, std::string& err) -> const model::AddressSpace* {
    try {
      return kind == model::SpaceKind::io_port ? &c.ioports() : &c.iomem();
    } catch (const SourceError& e) {
      err = e.what();
      return nullptr;
    }
  };
  std::string ea, eb;
  const auto* sa = load(a, ea);
  const auto* sb = load(b, eb);
  if (sa == nullptr || sb == nullptr) {
    r.compared = false;
    if (sa == nullptr) {
      r.notes.push_back("not compared: A has none (" + ea + ")");
    }
    if (sb == nullptr) {
      r.notes.push_back("not compared: B has none (" + eb + ")");
    }
    return r;
  }
  for (const auto& [s, side] : {std::pair{sa, "A"}, std::pair{sb, "B"}}) {
    if (s->addresses_hidden) {
      r.notes.push_back(fmt::format("addresses hidden in {} (read without root): names and "
                                    "nesting compared only",
                                    side));
    }
  }
  r.changes = model::diff_address_spaces(*sa, *sb);
  return r;
}

} // namespace

void
add_resource_diff_sections(DiffSectionList& sections)
{
  sections.push_back({"iomem", "CPU physical (/proc/iomem)", [](Context& a, Context& b) {
                        return compare_trees(a, b, model::SpaceKind::cpu_physical);
                      }});
  sections.push_back({"ioports", "I/O ports (/proc/ioports)", [](Context& a, Context& b) {
                        return compare_trees(a, b, model::SpaceKind::io_port);
                      }});
}

namespace {

struct DiffArgs {
  std::string a;
  std::string b;
  std::vector<std::string> only;
};

// One side of the comparison.
struct Side {
  std::string spec;
  std::unique_ptr<source::UnpackedSnapshot> unpacked;
  std::unique_ptr<Context> ctx;
  nlohmann::ordered_json manifest;  // null when there is none
};

Side
open_side(const std::string& spec, const char* which, Context& parent)
{
  Side s;
  s.spec = spec;
  GlobalOptions o = parent.options();
  o.root.clear();
  if (spec != "live") {
    std::error_code ec;
    const auto st = fs::status(spec, ec);
    if (fs::is_directory(st)) {
      o.root = spec;
    } else if (fs::is_regular_file(st)) {
      s.unpacked = source::unpack_snapshot(spec);
      o.root = s.unpacked->root().string();
    } else {
      throw UsageError(fmt::format("{} '{}': not a snapshot directory, a snapshot tarball or "
                                   "'live'{}",
                                   which, spec, ec ? ": " + ec.message() : std::string()));
    }
  }
  s.ctx = std::make_unique<Context>(o, parent.out(), parent.err());
  if (!o.root.empty()) {
    if (auto r = s.ctx->root().read_beneath(source::k_manifest_name, 1 << 20)) {
      auto m = nlohmann::ordered_json::parse(r.data, nullptr, false);
      if (m.is_object()) {
        s.manifest = std::move(m);
      }
    }
  }
  return s;
}

std::string
str(const nlohmann::ordered_json& j, const char* key)
{
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                 : std::string();
}

// A manifest field as JSON: its string value, or null when the manifest lacks it (never "").
nlohmann::ordered_json
field(const nlohmann::ordered_json& j, const char* key)
{
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key]
                                                                 : nlohmann::ordered_json(nullptr);
}

// Whether the capture was complete: null when the manifest does not say.
std::optional<bool>
complete_of(const nlohmann::ordered_json& m)
{
  if (m.is_object() && m.contains("complete") && m["complete"].is_boolean()) {
    return m["complete"].get<bool>();
  }
  return std::nullopt;
}

std::string
describe(const Side& s)
{
  if (s.spec == "live") {
    return "this machine (live)";
  }
  if (s.manifest.is_null()) {
    return s.spec + " (a sysroot without a memmap manifest)";
  }
  std::string kernel;
  if (s.manifest.contains("kernel")) {
    kernel = str(s.manifest["kernel"], "release");
  }
  const auto complete = complete_of(s.manifest);
  const std::string created = str(s.manifest, "created");
  return fmt::format("{}: snapshot of {}{}, taken {}{}", s.spec,
                     str(s.manifest, "hostname").empty() ? "an unnamed host"
                                                         : str(s.manifest, "hostname"),
                     kernel.empty() ? "" : ", kernel " + kernel,
                     created.empty() ? "?" : created,
                     !complete  ? " (complete: ? (the manifest does not say))"
                     : *complete ? ""
                                 : " (incomplete: not root)");
}

nlohmann::ordered_json
side_json(const Side& s)
{
  nlohmann::ordered_json j;
  j["source"] = s.spec;
  if (!s.manifest.is_null()) {
    j["hostname"] = field(s.manifest, "hostname");
    j["kernel"] = s.manifest.contains("kernel") ? field(s.manifest["kernel"], "release")
                                                : nlohmann::ordered_json(nullptr);
    j["created"] = field(s.manifest, "created");
    const auto complete = complete_of(s.manifest);
    j["complete"] = complete ? nlohmann::ordered_json(*complete) : nlohmann::ordered_json(nullptr);
  }
  return j;
}

int
run_diff(Context& ctx, const DiffArgs& args)
{
  const auto& o = ctx.options();
  if (!o.root.empty() || !o.iomem_file.empty() || !o.ioports_file.empty()
      || !o.lspci_file.empty()) {
    throw UsageError("diff reads its two sources from A and B; --root, --iomem, --ioports and "
                     "--lspci do not apply");
  }
  auto sections = diff_sections();
  if (!args.only.empty()) {
    DiffSectionList chosen;
    for (const auto& id : args.only) {
      auto it = std::find_if(sections.begin(), sections.end(),
                             [&](const DiffSection& s) { return s.id == id; });
      if (it == sections.end()) {
        std::string ids;
        for (const auto& s : sections) {
          ids += (ids.empty() ? "" : ", ") + s.id;
        }
        throw UsageError(fmt::format("--only {}: no such section (sections: {})", id, ids));
      }
      if (std::none_of(chosen.begin(), chosen.end(),
                       [&](const DiffSection& s) { return s.id == id; })) {
        chosen.push_back(*it);
      }
    }
    sections = std::move(chosen);
  }
  Side a = open_side(args.a, "A", ctx);
  Side b = open_side(args.b, "B", ctx);

  std::size_t total = 0;
  std::size_t compared = 0;
  std::vector<std::string> not_compared;
  std::vector<std::pair<const DiffSection*, SectionResult>> results;
  for (const auto& s : sections) {
    auto r = s.compare(*a.ctx, *b.ctx);
    total += r.changes.size();
    compared += r.compared ? 1 : 0;
    if (!r.compared) {
      not_compared.push_back(s.id);
    }
    results.emplace_back(&s, std::move(r));
  }
  const int rc = compared == 0 ? k_exit_unreadable : total > 0 ? k_exit_findings : k_exit_ok;

  if (o.json) {
    nlohmann::ordered_json j = render::json_document();
    j["a"] = side_json(a);
    j["b"] = side_json(b);
    // Same only when every section was compared; with a section left out "same" is unknown.
    j["same"] = total > 0                ? nlohmann::ordered_json(false)
                : not_compared.empty()   ? nlohmann::ordered_json(true)
                                         : nlohmann::ordered_json(nullptr);
    j["not_compared"] = not_compared;
    j["differences"] = total;
    auto secs = nlohmann::ordered_json::array();
    for (const auto& [s, r] : results) {
      nlohmann::ordered_json js;
      js["id"] = s->id;
      js["title"] = s->title;
      js["compared"] = r.compared;
      js["notes"] = r.notes;
      auto cs = nlohmann::ordered_json::array();
      for (const auto& c : r.changes) {
        cs.push_back(render::change_to_json(c));
      }
      js["changes"] = cs;
      secs.push_back(js);
    }
    j["sections"] = secs;
    render::write_json(ctx.out(), j);
    return rc;
  }

  const auto& st = ctx.style();
  auto& out = ctx.out();
  out << st.paint("A", render::Color::bold) << ": " << describe(a) << '\n'
      << st.paint("B", render::Color::bold) << ": " << describe(b) << '\n';
  for (const auto& [s, r] : results) {
    out << '\n' << st.paint(s->title, render::Color::bold) << ": ";
    if (!r.compared) {
      out << "not compared\n";
    } else if (r.changes.empty()) {
      out << "no changes\n";
    } else {
      out << r.changes.size() << (r.changes.size() == 1 ? " change\n" : " changes\n");
    }
    for (const auto& n : r.notes) {
      out << "  " << st.paint(n, render::Color::dim) << '\n';
    }
    render::render_changes_text(r.changes, st, out);
  }
  out << '\n';
  if (compared == 0) {
    out << "Nothing could be compared.\n";
  } else if (total == 0 && not_compared.empty()) {
    out << "No differences.\n";
  } else if (total == 0) {
    out << fmt::format("No differences in what was compared; not compared: {}.\n",
                       fmt::join(not_compared, ", "));
  } else {
    out << total << (total == 1 ? " difference.\n" : " differences.\n");
  }
  return rc;
}

} // namespace

void
add_diff_commands(CLI::App& app, CommandList& cmds)
{
  auto args = std::make_shared<DiffArgs>();
  CLI::App* sub = app.add_subcommand(
    "diff", "What changed between two snapshots (or a snapshot and the live machine)");
  sub->add_option("A", args->a, "Before: a snapshot directory, a snapshot .tar.gz, or 'live'")
    ->required()
    ->type_name("A");
  sub->add_option("B", args->b, "After: the same kinds")->required()->type_name("B");
  std::string ids;
  for (const auto& s : diff_sections()) {
    ids += (ids.empty() ? "" : ", ") + s.id;
  }
  sub->add_option("--only", args->only,
                  "Compare only these sections (comma-separated): " + ids)
    ->type_name("SECTION")
    ->delimiter(',')
    ->allow_extra_args(false);
  sub->footer(
    "A and B are compared section by section. Regions of /proc/iomem and /proc/ioports are\n"
    "matched by name and nesting, and reported as added (+), removed (-), moved, resized\n"
    "or changed (~). PCI functions are matched by address (0000:01:00.0): BARs, ROM, VF\n"
    "BARs and bridge windows per index or kind, driver, Resizable BAR sizes. IOMMU groups\n"
    "are matched by their members, not their numbers (which change across boots):\n"
    "membership, type, reserved regions and isolation verdict; a device found in another\n"
    "group is 'moved'.\n"
    "A section missing from A or B is not compared (and not a difference).\n"
    "Exit status: 0 no differences, 1 differences, 2 bad usage or a malformed source,\n"
    "3 nothing could be compared.\n"
    "Examples: memmap diff before/ after/          memmap diff golden.tar.gz live\n"
    "          memmap diff --only iomem a/ b/ --json\n"
    "          memmap diff --only pci,iommu before.tar.gz after.tar.gz");
  cmds.push_back({sub, [args](Context& ctx) { return run_diff(ctx, *args); }});
}

} // namespace memmap::cli
