#include <memmap/pci/sysfs_resource.hpp>

#include <charconv>

#include <fmt/format.h>

namespace memmap::pci {

namespace {

// "0x" followed by 1-16 hex digits.
bool
parse_hex_field(std::string_view s, std::uint64_t& out)
{
  if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s.size() > 18) {
    return false;
  }
  const char* first = s.data() + 2;
  const char* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(first, last, out, 16);
  return ec == std::errc() && ptr == last;
}

std::vector<std::string_view>
split_ws(std::string_view line)
{
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      ++i;
    }
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') {
      ++j;
    }
    if (j > i) {
      out.push_back(line.substr(i, j - i));
    }
    i = j;
  }
  return out;
}

model::Diagnostic
problem(const std::string& file, int line, std::string msg)
{
  model::Diagnostic d;
  d.severity = model::Severity::warning;
  d.id = "pci-resource-malformed";
  d.file = file;
  d.line = line;
  d.message = std::move(msg);
  return d;
}

} // namespace

const ResourceRow*
SysfsResource::bar(int i) const
{
  return i >= 0 && i < 6 && static_cast<std::size_t>(i) < rows.size() ? &rows[static_cast<std::size_t>(i)] : nullptr;
}

const ResourceRow*
SysfsResource::rom() const
{
  return rows.size() > 6 ? &rows[6] : nullptr;
}

const ResourceRow*
SysfsResource::vf_bar(int i) const
{
  const auto idx = static_cast<std::size_t>(7 + i);
  return iov && i >= 0 && i < 6 && idx < rows.size() ? &rows[idx] : nullptr;
}

const ResourceRow*
SysfsResource::bridge_window(int i) const
{
  if (!bridge || i < 0 || i > 3) {
    return nullptr;
  }
  const auto idx = static_cast<std::size_t>((iov ? 13 : 7) + i);
  return idx < rows.size() ? &rows[idx] : nullptr;
}

SysfsResource
parse_sysfs_resource(std::string_view text, const std::string& display)
{
  SysfsResource res;
  res.rows.reserve(17);  // the longest well-formed file; trimmed to size below
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      nl = text.size();
    }
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    const auto fields = split_ws(line);
    ResourceRow row;
    if (fields.size() != 3 || !parse_hex_field(fields[0], row.start)
        || !parse_hex_field(fields[1], row.end) || !parse_hex_field(fields[2], row.flags)) {
      res.problems.push_back(problem(display, line_no,
                                     "expected three 0x-prefixed hex numbers (start end flags); "
                                     "the rest of the file is ignored"));
      return res;
    }
    if (row.end < row.start) {
      res.problems.push_back(problem(display, line_no,
                                     fmt::format("end {:#x} is below start {:#x}; row ignored",
                                                 row.end, row.start)));
      row = ResourceRow{};
    }
    res.rows.push_back(row);
    if (res.rows.size() > 64) {
      res.problems.push_back(problem(display, line_no, "more than 64 lines; the rest is ignored"));
      return res;
    }
  }
  res.rows.shrink_to_fit();  // held for every function of a big machine
  switch (res.rows.size()) {
  case 7:
    break;
  case 11:
    res.bridge = true;
    break;
  case 13:
    res.iov = true;
    break;
  case 17:
    res.iov = true;
    res.bridge = true;
    break;
  default:
    res.problems.push_back(problem(
      display, 0,
      fmt::format("{} lines, expected 7, 11, 13 or 17 (BARs, ROM, VF BARs, bridge windows); "
                  "only the BAR and ROM rows are used",
                  res.rows.size())));
    break;
  }
  return res;
}

} // namespace memmap::pci
