#include <memmap/source/snapshot_sink.hpp>

#include <memmap/error.hpp>
#include <memmap/source/sysroot.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace memmap::source {

namespace {

// A path relative to the snapshot root: non-empty components, no "." or "..", no NUL.
void
check_rel(std::string_view rel)
{
  bool ok = !rel.empty() && rel.front() != '/' && rel.back() != '/'
            && rel.find('\0') == std::string_view::npos;
  std::size_t pos = 0;
  while (ok && pos <= rel.size()) {
    const auto slash = rel.find('/', pos);
    const auto part = rel.substr(pos, slash == std::string_view::npos ? rel.npos : slash - pos);
    ok = !part.empty() && part != "." && part != "..";
    if (slash == std::string_view::npos) {
      break;
    }
    pos = slash + 1;
  }
  if (!ok) {
    throw std::logic_error(fmt::format("snapshot: refusing to write path '{}'", rel));
  }
}

std::pair<std::string, std::string>
split_parent(const std::string& rel)
{
  const auto slash = rel.rfind('/');
  if (slash == std::string::npos) {
    return {".", rel};
  }
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

[[noreturn]] void
write_failed(const std::string& name, const std::string& rel, int err)
{
  throw SourceError(fmt::format("{}/{}: cannot write: {}", name, rel, std::strerror(err)));
}

// The snapshot's own top-level entries: what --force may replace.
bool
is_snapshot_entry(const std::string& name)
{
  return name == "proc" || name == "sys" || name == k_manifest_name;
}

class DirectorySink final : public SnapshotSink {
public:
  DirectorySink(const fs::path& out, bool force)
    : SnapshotSink(out.string())
  {
    struct stat st {};
    if (::lstat(out.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode)) {
        throw UsageError(fmt::format("{}: is a symbolic link; refusing to write through it",
                                     out.string()));
      }
      if (!S_ISDIR(st.st_mode)) {
        throw UsageError(fmt::format("{}: exists and is not a directory", out.string()));
      }
      std::vector<std::string> entries;
      std::error_code ec;
      for (fs::directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec)) {
        entries.push_back(it->path().filename().string());
      }
      if (ec) {
        throw SourceError(fmt::format("{}: {}", out.string(), ec.message()));
      }
      if (!entries.empty()) {
        if (!force) {
          throw UsageError(fmt::format("{}: exists and is not empty (--force replaces a "
                                       "previous snapshot)",
                                       out.string()));
        }
        for (const auto& e : entries) {
          if (!is_snapshot_entry(e)) {
            throw UsageError(fmt::format("{}: holds '{}', so it is not a memmap snapshot; "
                                         "refusing to replace it, even with --force",
                                         out.string(), e));
          }
        }
        for (const auto& e : entries) {
          fs::remove_all(out / e, ec);  // does not follow symbolic links
          if (ec) {
            throw SourceError(fmt::format("{}: cannot remove the previous snapshot: {}",
                                          (out / e).string(), ec.message()));
          }
        }
      }
    } else {
      std::error_code ec;
      fs::create_directories(out, ec);
      if (ec) {
        throw SourceError(fmt::format("{}: cannot create: {}", out.string(), ec.message()));
      }
    }
    m_fd = ::open(out.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (m_fd < 0) {
      throw SourceError(fmt::format("{}: {}", out.string(), std::strerror(errno)));
    }
  }
  ~DirectorySink() override
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  DirectorySink(const DirectorySink&) = delete;
  DirectorySink& operator=(const DirectorySink&) = delete;

  void finish() override {}

protected:
  int parent_fd(const std::string& parent, const std::string& rel)
  {
    const int fd = open_beneath(m_fd, parent, O_PATH | O_DIRECTORY, 0, true);
    if (fd < 0) {
      write_failed(name(), rel, errno);
    }
    return fd;
  }
  void do_directory(const std::string& rel) override
  {
    const auto [parent, leaf] = split_parent(rel);
    const int pfd = parent_fd(parent, rel);
    const int rc = ::mkdirat(pfd, leaf.c_str(), 0755);
    const int err = errno;
    ::close(pfd);
    if (rc != 0 && err != EEXIST) {
      write_failed(name(), rel, err);
    }
  }
  void do_file(const std::string& rel, std::string_view data) override
  {
    const int fd = open_beneath(m_fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644, true);
    if (fd < 0) {
      write_failed(name(), rel, errno);
    }
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        const int err = errno;
        ::close(fd);
        write_failed(name(), rel, err);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) {
      write_failed(name(), rel, errno);
    }
  }
  void do_symlink(const std::string& rel, std::string_view target) override
  {
    const auto [parent, leaf] = split_parent(rel);
    const int pfd = parent_fd(parent, rel);
    const int rc = ::symlinkat(std::string(target).c_str(), pfd, leaf.c_str());
    const int err = errno;
    ::close(pfd);
    if (rc != 0) {
      write_failed(name(), rel, err);
    }
  }

private:
  int m_fd = -1;
};

std::string
tarball_stem(const fs::path& out)
{
  std::string base = out.filename().string();
  for (const char* ext : {".tar.gz", ".tgz"}) {
    const std::string_view e = ext;
    if (base.size() > e.size() && base.compare(base.size() - e.size(), e.size(), e) == 0) {
      return base.substr(0, base.size() - e.size());
    }
  }
  return base;
}

class TarballSink final : public SnapshotSink {
public:
  TarballSink(const fs::path& out, bool force, std::time_t mtime)
    : SnapshotSink(out.string()),
      m_path(out),
      m_prefix(tarball_stem(out)),
      m_mtime(mtime)
  {
    struct stat st {};
    if (::lstat(out.c_str(), &st) == 0) {
      if (!S_ISREG(st.st_mode)) {
        throw UsageError(fmt::format("{}: exists and is not a regular file", out.string()));
      }
      if (!force) {
        throw UsageError(fmt::format("{}: exists (--force replaces it)", out.string()));
      }
    }
    m_fd = ::open(out.c_str(),
                  O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (force ? O_TRUNC : O_EXCL),
                  0644);
    if (m_fd < 0) {
      throw SourceError(fmt::format("{}: cannot create: {}", out.string(), std::strerror(errno)));
    }
    m_archive = archive_write_new();
    if (m_archive == nullptr || archive_write_add_filter_gzip(m_archive) != ARCHIVE_OK
        || archive_write_set_format_pax_restricted(m_archive) != ARCHIVE_OK
        || archive_write_open_fd(m_archive, m_fd) != ARCHIVE_OK) {
      fail("");
    }
    SnapshotSink::directory(".");  // never called with "."; the prefix directory below
  }
  ~TarballSink() override
  {
    if (m_archive != nullptr) {
      archive_write_free(m_archive);
    }
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    if (!m_done) {
      ::unlink(m_path.c_str());
    }
  }
  TarballSink(const TarballSink&) = delete;
  TarballSink& operator=(const TarballSink&) = delete;

  void finish() override
  {
    if (archive_write_close(m_archive) != ARCHIVE_OK) {
      fail("");
    }
    archive_write_free(m_archive);
    m_archive = nullptr;
    if (::close(m_fd) != 0) {
      m_fd = -1;
      throw SourceError(fmt::format("{}: cannot write: {}", name(), std::strerror(errno)));
    }
    m_fd = -1;
    m_done = true;
  }

protected:
  void do_directory(const std::string& rel) override
  {
    add(rel, AE_IFDIR, 0755, {}, nullptr);
  }
  void do_file(const std::string& rel, std::string_view data) override
  {
    add(rel, AE_IFREG, 0644, data, nullptr);
  }
  void do_symlink(const std::string& rel, std::string_view target) override
  {
    const std::string t(target);
    add(rel, AE_IFLNK, 0777, {}, t.c_str());
  }

private:
  [[noreturn]] void fail(const std::string& rel)
  {
    const char* why = m_archive != nullptr ? archive_error_string(m_archive) : nullptr;
    throw SourceError(fmt::format("{}{}{}: cannot write: {}", name(), rel.empty() ? "" : ": ",
                                  rel, why != nullptr ? why : "archive error"));
  }
  void add(const std::string& rel, unsigned type, int perm, std::string_view data,
           const char* link)
  {
    archive_entry* e = archive_entry_new();
    const std::string path = rel == "." ? m_prefix : m_prefix + "/" + rel;
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, static_cast<mode_t>(perm));
    archive_entry_set_mtime(e, m_mtime, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_uname(e, "root");
    archive_entry_set_gname(e, "root");
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    if (link != nullptr) {
      archive_entry_set_symlink(e, link);
    }
    const bool ok = archive_write_header(m_archive, e) == ARCHIVE_OK
                    && (data.empty()
                        || archive_write_data(m_archive, data.data(), data.size())
                             == static_cast<la_ssize_t>(data.size()));
    archive_entry_free(e);
    if (!ok) {
      fail(rel);
    }
  }

  fs::path m_path;
  std::string m_prefix;
  std::time_t m_mtime;
  int m_fd = -1;
  archive* m_archive = nullptr;
  bool m_done = false;
};

} // namespace

void
SnapshotSink::parents(const std::string& rel)
{
  std::size_t slash = rel.find('/');
  while (slash != std::string::npos) {
    const std::string dir = rel.substr(0, slash);
    if (m_dirs.insert(dir).second) {
      do_directory(dir);
    }
    slash = rel.find('/', slash + 1);
  }
}

void
SnapshotSink::directory(std::string_view rel_in)
{
  const std::string rel(rel_in);
  if (rel == ".") {
    do_directory(rel);
    return;
  }
  check_rel(rel);
  if (m_entries.count(rel) != 0) {
    return;  // already a file or link
  }
  parents(rel);
  if (m_dirs.insert(rel).second) {
    do_directory(rel);
  }
}

void
SnapshotSink::file(std::string_view rel_in, std::string_view data)
{
  const std::string rel(rel_in);
  check_rel(rel);
  if (m_dirs.count(rel) != 0 || !m_entries.insert(rel).second) {
    throw std::logic_error(fmt::format("snapshot: '{}' written twice", rel));
  }
  parents(rel);
  do_file(rel, data);
  ++m_files;
  m_bytes += data.size();
}

void
SnapshotSink::symlink(std::string_view rel_in, std::string_view target)
{
  const std::string rel(rel_in);
  check_rel(rel);
  if (m_dirs.count(rel) != 0 || !m_entries.insert(rel).second) {
    throw std::logic_error(fmt::format("snapshot: '{}' written twice", rel));
  }
  parents(rel);
  do_symlink(rel, target);
  ++m_links;
}

bool
SnapshotSink::has(std::string_view rel) const
{
  return m_dirs.find(rel) != m_dirs.end() || m_entries.find(rel) != m_entries.end();
}

bool
is_tarball_name(const fs::path& out)
{
  const std::string s = out.filename().string();
  auto ends = [&](std::string_view e) {
    return s.size() > e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
  };
  return ends(".tar.gz") || ends(".tgz");
}

std::unique_ptr<SnapshotSink>
open_snapshot_sink(const fs::path& out, bool force, std::time_t mtime)
{
  if (is_tarball_name(out)) {
    return std::make_unique<TarballSink>(out, force, mtime);
  }
  return std::make_unique<DirectorySink>(out, force);
}

} // namespace memmap::source
