// Reading a snapshot tarball (`memmap snapshot OUT.tar.gz`): it is unpacked into a private
// temporary directory that is removed again when the object goes away.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace memmap::source {

class UnpackedSnapshot {
public:
  UnpackedSnapshot(std::filesystem::path temp, std::filesystem::path root);
  ~UnpackedSnapshot();
  UnpackedSnapshot(const UnpackedSnapshot&) = delete;
  UnpackedSnapshot& operator=(const UnpackedSnapshot&) = delete;

  // The sysroot inside: the archive's single top-level directory, or the temp dir itself.
  const std::filesystem::path& root() const { return m_root; }

private:
  std::filesystem::path m_temp;
  std::filesystem::path m_root;
};

// Limits against archive bombs.
inline constexpr std::uint64_t k_max_unpacked_bytes = std::uint64_t{1} << 30;
inline constexpr std::size_t k_max_archive_entries = 1'000'000;

// Unpack `archive` (gzip/xz/zstd/plain tar). Only directories, regular files and relative
// symbolic links that stay inside are accepted; absolute paths, "..", device files and
// hard links are refused. Throws SourceError (unreadable) or InputError ("ARCHIVE: entry
// 'PATH': reason", not a snapshot).
std::unique_ptr<UnpackedSnapshot> unpack_snapshot(const std::filesystem::path& archive);

} // namespace memmap::source
