// Where `memmap snapshot` writes: a directory or a .tar.gz. Both take paths relative to the
// snapshot's root; nothing is ever written outside it (paths with "..", absolute paths and
// paths through symbolic links are refused), and an existing non-empty target is replaced
// only with `force` and only when it looks like a previous snapshot.
#pragma once

#include <ctime>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace memmap::source {

class SnapshotSink {
public:
  virtual ~SnapshotSink() = default;

  // Each creates the missing parent directories first; a directory made twice is made once.
  void directory(std::string_view rel);
  void file(std::string_view rel, std::string_view data);
  void symlink(std::string_view rel, std::string_view target);
  // Completes the output (closes the archive). Without it, a tarball is removed again.
  virtual void finish() = 0;

  // What the user named ("OUT" or "OUT.tar.gz").
  const std::string& name() const { return m_name; }
  std::size_t files() const { return m_files; }
  std::size_t links() const { return m_links; }
  std::size_t directories() const { return m_dirs.size(); }
  std::uint64_t bytes() const { return m_bytes; }
  bool has(std::string_view rel) const;

protected:
  explicit SnapshotSink(std::string name) : m_name(std::move(name)) {}
  virtual void do_directory(const std::string& rel) = 0;
  virtual void do_file(const std::string& rel, std::string_view data) = 0;
  virtual void do_symlink(const std::string& rel, std::string_view target) = 0;

private:
  void parents(const std::string& rel);
  std::string m_name;
  std::set<std::string, std::less<>> m_dirs;
  std::set<std::string, std::less<>> m_entries;
  std::size_t m_files = 0;
  std::size_t m_links = 0;
  std::uint64_t m_bytes = 0;
};

// True if `out` names a compressed tarball (.tar.gz or .tgz).
bool is_tarball_name(const std::filesystem::path& out);

// Name of the manifest at the snapshot's root.
inline constexpr const char* k_manifest_name = "memmap-snapshot.json";

// Open the target. Throws UsageError (exists and is not empty / not a snapshot, or is not a
// directory) or SourceError (cannot be created). `mtime` stamps tarball entries.
std::unique_ptr<SnapshotSink> open_snapshot_sink(const std::filesystem::path& out, bool force,
                                                 std::time_t mtime);

} // namespace memmap::source
