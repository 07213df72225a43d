#include <memmap/source/archive.hpp>

#include <memmap/error.hpp>
#include <memmap/source/sysroot.hpp>

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <set>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace memmap::source {

UnpackedSnapshot::UnpackedSnapshot(fs::path temp, fs::path root)
  : m_temp(std::move(temp)),
    m_root(std::move(root))
{
}

UnpackedSnapshot::~UnpackedSnapshot()
{
  std::error_code ec;
  fs::remove_all(m_temp, ec);
}

namespace {

struct ReadArchive {
  archive* a = archive_read_new();
  ~ReadArchive() { archive_read_free(a); }
};
struct WriteDisk {
  archive* a = archive_write_disk_new();
  ~WriteDisk() { archive_write_free(a); }
};

} // namespace

std::unique_ptr<UnpackedSnapshot>
unpack_snapshot(const fs::path& path)
{
  const std::string name = path.string();
  const char* tmpdir = std::getenv("TMPDIR");
  std::string templ = fmt::format("{}/memmap-snapshot-XXXXXX",
                                  tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp");
  if (::mkdtemp(templ.data()) == nullptr) {
    throw SourceError(fmt::format("{}: cannot create a temporary directory to unpack {}: {}",
                                  templ, name, std::strerror(errno)));
  }
  // Every error path removes the temp dir again.
  struct TempGuard {
    std::string path;
    bool keep = false;
    ~TempGuard()
    {
      if (!keep) {
        std::error_code ec;
        fs::remove_all(path, ec);
      }
    }
  } guard{templ};

  ReadArchive in;
  archive_read_support_filter_all(in.a);
  archive_read_support_format_tar(in.a);
  archive_read_support_format_gnutar(in.a);
  if (archive_read_open_filename(in.a, name.c_str(), 65536) != ARCHIVE_OK) {
    const char* why = archive_error_string(in.a);
    if (archive_errno(in.a) == ENOENT || archive_errno(in.a) == EACCES) {
      throw SourceError(fmt::format("{}: {}", name, std::strerror(archive_errno(in.a))));
    }
    throw InputError(fmt::format("{}: not a snapshot tarball: {}", name,
                                 why != nullptr ? why : "unknown format"));
  }
  WriteDisk out;
  archive_write_disk_set_options(out.a, ARCHIVE_EXTRACT_SECURE_SYMLINKS
                                          | ARCHIVE_EXTRACT_SECURE_NODOTDOT
                                          | ARCHIVE_EXTRACT_NO_OVERWRITE);

  std::uint64_t total = 0;
  std::size_t count = 0;
  std::set<std::string> top;
  archive_entry* e = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(in.a, &e);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      const char* why = archive_error_string(in.a);
      throw InputError(fmt::format("{}: after {} entries: {}", name, count,
                                   why != nullptr ? why : "corrupt archive"));
    }
    const char* p = archive_entry_pathname(e);
    const std::string rel = p != nullptr ? p : "";
    auto bad = [&](const std::string& why) {
      throw InputError(fmt::format("{}: entry '{}': {}", name, rel, why));
    };
    if (++count > k_max_archive_entries) {
      bad(fmt::format("more than {} entries; not a memmap snapshot", k_max_archive_entries));
    }
    if (rel.empty() || rel.front() == '/') {
      bad("absolute or empty path");
    }
    if (!resolve_link_target(rel + "/x", "x") || rel == ".." || rel.find("/../") != rel.npos
        || rel.compare(0, 3, "../") == 0 || (rel.size() >= 3 && rel.compare(rel.size() - 3, 3, "/..") == 0)) {
      bad("path climbs out of the archive");
    }
    const auto type = archive_entry_filetype(e);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      bad("not a file, directory or symbolic link");
    }
    if (archive_entry_hardlink(e) != nullptr) {
      bad("hard link");
    }
    if (type == AE_IFLNK) {
      const char* t = archive_entry_symlink(e);
      if (t == nullptr || !resolve_link_target(rel, t)) {
        bad(fmt::format("symbolic link to '{}' leads out of the snapshot", t != nullptr ? t : ""));
      }
    }
    if (type == AE_IFREG) {
      total += static_cast<std::uint64_t>(std::max<la_int64_t>(archive_entry_size(e), 0));
      if (total > k_max_unpacked_bytes) {
        bad(fmt::format("more than {} bytes unpacked; not a memmap snapshot",
                        k_max_unpacked_bytes));
      }
    }
    std::string clean = rel;
    while (clean.size() > 2 && clean.compare(0, 2, "./") == 0) {
      clean.erase(0, 2);
    }
    top.insert(clean.substr(0, clean.find('/')));
    const std::string dest = templ + "/" + clean;
    archive_entry_set_pathname(e, dest.c_str());
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    if (archive_write_header(out.a, e) != ARCHIVE_OK) {
      const char* why = archive_error_string(out.a);
      bad(why != nullptr ? why : "cannot unpack");
    }
    if (type == AE_IFREG) {
      const void* buf = nullptr;
      std::size_t size = 0;
      la_int64_t offset = 0;
      int r;
      while ((r = archive_read_data_block(in.a, &buf, &size, &offset)) == ARCHIVE_OK) {
        if (archive_write_data_block(out.a, buf, size, offset) != ARCHIVE_OK) {
          const char* why = archive_error_string(out.a);
          throw SourceError(fmt::format("{}: unpacking '{}': {}", name, rel,
                                        why != nullptr ? why : "write failed"));
        }
      }
      if (r != ARCHIVE_EOF) {
        const char* why = archive_error_string(in.a);
        bad(why != nullptr ? why : "truncated");
      }
    }
    archive_write_finish_entry(out.a);
  }
  if (count == 0) {
    throw InputError(fmt::format("{}: empty archive; not a memmap snapshot", name));
  }
  // memmap snapshot writes one top-level directory named after the tarball.
  fs::path root = templ;
  top.erase(".");
  if (top.size() == 1 && *top.begin() != "proc" && *top.begin() != "sys") {
    std::error_code ec;
    if (fs::is_directory(fs::symlink_status(root / *top.begin(), ec))) {
      root /= *top.begin();
    }
  }
  guard.keep = true;
  return std::make_unique<UnpackedSnapshot>(templ, std::move(root));
}

} // namespace memmap::source
