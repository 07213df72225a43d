#include <memmap/source/files.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace memmap::source {

bool
is_regular_file(const std::filesystem::path& p)
{
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

bool
is_directory(const std::filesystem::path& p)
{
  std::error_code ec;
  return std::filesystem::is_directory(p, ec);
}

PathKind
path_kind(const std::filesystem::path& p)
{
  std::error_code ec;
  const auto st = std::filesystem::status(p, ec);
  PathKind k;
  k.error = ec ? ec.message() : std::string();
  k.kind = std::filesystem::is_directory(st)      ? PathKind::directory
           : std::filesystem::is_regular_file(st) ? PathKind::regular
           : std::filesystem::exists(st)          ? PathKind::other
                                                  : PathKind::missing;
  return k;
}

bool
is_within(const std::filesystem::path& p, const std::filesystem::path& dir)
{
  std::error_code ec;
  const auto d = std::filesystem::weakly_canonical(dir, ec);
  const auto q = std::filesystem::weakly_canonical(p, ec);
  const auto rel = q.lexically_relative(d);
  return !rel.empty() && *rel.begin() != "..";
}

std::string
write_output_file(const std::string& path, const std::function<void(std::ostream&)>& write)
{
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    return std::string("cannot write: ") + std::strerror(errno);
  }
  write(f);
  f.flush();
  if (!f) {
    return std::string("write failed: ") + std::strerror(errno);
  }
  return {};
}

} // namespace memmap::source
