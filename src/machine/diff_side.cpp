// memmap diff's two sides: where their files are (live, a directory, an unpacked tarball)
// and what their manifests say.
#include <memmap/machine/diff.hpp>

#include <memmap/error.hpp>
#include <memmap/source/archive.hpp>
#include <memmap/source/files.hpp>
#include <memmap/source/snapshot_sink.hpp>
#include <memmap/source/sysroot.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace memmap::machine {


DiffRoot::DiffRoot() = default;
DiffRoot::DiffRoot(DiffRoot&&) noexcept = default;
DiffRoot& DiffRoot::operator=(DiffRoot&&) noexcept = default;
DiffRoot::~DiffRoot() = default;

DiffRoot
open_diff_root(const std::string& spec, const char* which)
{
  DiffRoot s;
  s.spec = spec;
  if (spec == "live") {
    return s;
  }
  const auto st = source::path_kind(spec);
  if (st.kind == source::PathKind::directory) {
    s.root = spec;
  } else if (st.kind == source::PathKind::regular) {
    s.unpacked = source::unpack_snapshot(spec);
    s.root = s.unpacked->root().string();
  } else {
    throw UsageError(fmt::format("{} '{}': not a snapshot directory, a snapshot tarball or "
                                 "'live'{}",
                                 which, spec, st.error.empty() ? std::string() : ": " + st.error));
  }
  return s;
}

namespace {

using Json = nlohmann::ordered_json;

std::optional<std::string>
str(const Json& j, const char* key)
{
  if (j.is_object() && j.contains(key) && j[key].is_string()) {
    return j[key].get<std::string>();
  }
  return std::nullopt;
}

} // namespace

DiffSideInfo
describe_diff_side(const DiffRoot& side, const source::SysRoot* root)
{
  DiffSideInfo info;
  info.spec = side.spec;
  info.live = side.root.empty();
  if (root == nullptr || info.live) {
    return info;
  }
  const auto r = root->read_beneath(source::k_manifest_name, 1 << 20);
  if (!r) {
    return info;
  }
  const auto m = Json::parse(r.data, nullptr, false);
  if (!m.is_object()) {
    return info;
  }
  info.has_manifest = true;
  info.hostname = str(m, "hostname");
  if (m.contains("kernel")) {
    info.kernel = str(m["kernel"], "release");
  }
  info.created = str(m, "created");
  if (m.contains("complete") && m["complete"].is_boolean()) {
    info.complete = m["complete"].get<bool>();
  }
  return info;
}

} // namespace memmap::machine
