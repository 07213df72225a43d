#include <memmap/render/audit.hpp>
#include <memmap/render/json.hpp>
#include <memmap/render/xml.hpp>
#include <memmap/util/text.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <map>

namespace memmap::render {

using analyze::AuditResult;
using analyze::Finding;
using analyze::Severity;

namespace {

int
level(Severity s)
{
  return s == Severity::error ? 2 : s == Severity::warning ? 1 : 0;
}

std::string
subject_text(const Finding& f)
{
  std::string s;
  if (f.subject.bdf) {
    s = *f.subject.bdf;
    if (f.subject.bar) {
      s += *f.subject.bar == 6 ? " ROM" : fmt::format(" BAR{}", *f.subject.bar);
    }
  }
  if (f.subject.group) {
    s += (s.empty() ? "" : " ") + fmt::format("group {}", *f.subject.group);
  }
  if (s.empty() && !f.subject.region.empty()) {
    s = f.subject.region;
  }
  return s;
}

std::string
prom_label(const std::string& s)
{
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// A finding as the text of one column; "-" where it has no such thing.
std::string
finding_cell(AuditCol c, const Finding& f)
{
  const auto& s = f.subject;
  auto or_dash = [](const std::string& v) { return v.empty() ? std::string("-") : v; };
  switch (c) {
  case AuditCol::severity: return model::to_string(f.severity);
  case AuditCol::id: return f.id;
  case AuditCol::subject: return or_dash(subject_text(f));
  case AuditCol::message: return f.message;
  case AuditCol::bdf: return s.bdf.value_or("-");
  case AuditCol::bar: return !s.bar ? "-" : *s.bar == 6 ? "ROM" : std::to_string(*s.bar);
  case AuditCol::group: return s.group ? std::to_string(*s.group) : "-";
  case AuditCol::start: return s.start ? hex(*s.start, 8) : "-";
  case AuditCol::end: return s.end ? hex(*s.end, 8) : "-";
  case AuditCol::region: return or_dash(s.region);
  case AuditCol::evidence: return or_dash(util::join(f.evidence, "; "));
  case AuditCol::hint: return or_dash(f.hint);
  case AuditCol::fingerprint: return f.fingerprint;
  case AuditCol::caused_by: return or_dash(f.caused_by);
  }
  return "?";
}

void
render_findings_table(const AuditResult& res, const Columns& cols, std::ostream& out)
{
  std::vector<TableRow> rows;
  for (const auto sev : {Severity::error, Severity::warning, Severity::info}) {
    for (const auto& f : res.findings) {
      if (f.severity == sev) {
        rows.push_back(
          table_row<AuditCol>(cols, [&](AuditCol c) { return finding_cell(c, f); }));
      }
    }
  }
  render_table(audit_table(), cols, rows, out);
  out << '\n';
}

} // namespace

const Table&
audit_table()
{
  using A = Align;
  using T = FieldType;
  static const Table t = {
    "audit",
    "findings",
    {
      {"SEVERITY", "SEVERITY", "severity", T::enumeration, A::left, "error, warning or info"},
      {"ID", "ID", "id", T::enumeration, A::left, "the check that found it (--list-checks)"},
      {"SUBJECT", "SUBJECT", "subject", T::string, A::left,
       "what it is about: BDF [BARn|ROM] [group N], or the region"},
      {"MESSAGE", "MESSAGE", "message", T::string, A::left, "the finding in one sentence"},
      {"BDF", "BDF", "subject.bdf", T::bdf, A::left, "the PCI function, - for none"},
      {"BAR", "BAR", "subject.bar", T::count, A::right, "the BAR number, ROM, - for none"},
      {"GROUP", "GROUP", "subject.group", T::count, A::right, "the IOMMU group, - for none"},
      {"START", "START", "subject.start", T::address, A::left, "first address, - for none"},
      {"END", "END", "subject.end", T::address, A::left, "last address, - for none"},
      {"REGION", "REGION", "subject.region", T::string, A::left, "the region's name, - for none"},
      {"EVIDENCE", "EVIDENCE", "evidence", T::list, A::left, "what it rests on: its lines joined with semicolons"},
      {"HINT", "HINT", "hint", T::string, A::left, "what to do about it"},
      {"FINGERPRINT", "FINGERPRINT", "fingerprint", T::string, A::left,
       "16 hex digits, stable across runs (--baseline)"},
      {"CAUSED-BY", "CAUSED-BY", "caused_by", T::string, A::left,
       "the fingerprint of its root cause, - for a root cause"},
    },
    {"SEVERITY", "ID", "SUBJECT", "MESSAGE"},
    "",
  };
  return t;
}

std::string
xml_escape(const std::string& s)
{
  std::string out;
  for (char c : s) {
    // Control characters other than newline and tab are not allowed in XML 1.0.
    append_xml_char(out, static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' ? '?' : c);
  }
  return out;
}

void
render_audit_text(const AuditResult& res, Severity threshold, const Style& style,
                  std::ostream& out, const Columns& cols)
{
  const std::pair<Severity, Color> sections[] = {
    {Severity::error, Color::red}, {Severity::warning, Color::yellow}, {Severity::info, Color::dim}};
  std::map<Severity, int> count;
  std::map<std::string, const Finding*> by_fp;
  int roots = 0;
  for (const auto& f : res.findings) {
    ++count[f.severity];
    by_fp.emplace(f.fingerprint, &f);
    roots += f.caused_by.empty() ? 1 : 0;
  }
  if (!cols.is_default) {
    render_findings_table(res, cols, out);
  }
  for (auto [sev, color] : sections) {
    if (!count[sev] || !cols.is_default) {  // -o: the table has them
      continue;
    }
    out << style.paint(fmt::format("{} ({})", model::to_string(sev), count[sev]), color) << '\n';
    for (const auto& f : res.findings) {
      if (f.severity != sev) {
        continue;
      }
      const auto subj = subject_text(f);
      out << "  " << style.paint(f.id, Color::bold) << (subj.empty() ? "" : "  " + subj) << ": "
          << f.message << '\n';
      if (auto c = by_fp.find(f.caused_by); !f.caused_by.empty() && c != by_fp.end()) {
        const auto cs = subject_text(*c->second);
        out << "      caused by: " << c->second->id << (cs.empty() ? "" : " " + cs) << '\n';
      }
      for (const auto& e : f.evidence) {
        out << "      " << e << '\n';
      }
      if (!f.hint.empty()) {
        out << "      hint: " << f.hint << '\n';
      }
    }
    out << '\n';
  }
  int at_or_above = 0;
  for (const auto& f : res.findings) {
    at_or_above += level(f.severity) >= level(threshold) ? 1 : 0;
  }
  out << fmt::format("{} checks run, {} skipped; {} error, {} warning, {} info", res.checks_run.size(),
                     res.checks_skipped.size(), count[Severity::error], count[Severity::warning],
                     count[Severity::info]);
  out << fmt::format(" ({} at or above '{}')", at_or_above, model::to_string(threshold));
  if (roots != static_cast<int>(res.findings.size())) {
    out << fmt::format("; {} root cause{}", roots, roots == 1 ? "" : "s");
  }
  out << '\n';
  for (const auto& [id, why] : res.checks_skipped) {
    out << "  skipped " << id << ": " << why << '\n';
  }
  for (const auto& s : res.sources) {
    if (!s.read) {
      out << "  source " << s.name << " unavailable: " << s.detail << '\n';
    }
  }
  if (res.nothing_checked) {
    out << style.paint("Nothing was checked: no check could look at a source.", Color::red)
        << '\n';
  }
}

nlohmann::ordered_json
audit_to_json(const AuditResult& res)
{
  using json = nlohmann::ordered_json;
  json j = render::json_document();
  json findings = json::array();
  std::map<std::string, int> summary{{"error", 0}, {"warning", 0}, {"info", 0}};
  for (const auto& f : res.findings) {
    json fj;
    fj["id"] = f.id;
    fj["severity"] = model::to_string(f.severity);
    fj["subject"] = {
      {"bdf", f.subject.bdf ? json(*f.subject.bdf) : json(nullptr)},
      {"bar", f.subject.bar ? json(*f.subject.bar) : json(nullptr)},
      {"group", f.subject.group ? json(*f.subject.group) : json(nullptr)},
      {"start", f.subject.start ? json(hex0x(*f.subject.start)) : json(nullptr)},
      {"end", f.subject.end ? json(hex0x(*f.subject.end)) : json(nullptr)},
      {"region", f.subject.region.empty() ? json(nullptr) : json(f.subject.region)}};
    fj["message"] = f.message;
    fj["evidence"] = f.evidence;
    fj["hint"] = f.hint;
    fj["fingerprint"] = f.fingerprint;
    fj["caused_by"] = f.caused_by.empty() ? json(nullptr) : json(f.caused_by);
    findings.push_back(std::move(fj));
    ++summary[model::to_string(f.severity)];
  }
  j["findings"] = std::move(findings);
  j["summary"] = {{"error", summary["error"]}, {"warning", summary["warning"]},
                  {"info", summary["info"]}};
  j["checks_run"] = res.checks_run;
  json skipped = json::array();
  for (const auto& [id, why] : res.checks_skipped) {
    skipped.push_back({{"id", id}, {"why", why}});
  }
  j["checks_skipped"] = skipped;
  json sources = json::array();
  for (const auto& s : res.sources) {
    sources.push_back({{"name", s.name},
                       {"read", s.read},
                       {s.read ? "from" : "why", s.detail}});
  }
  j["sources"] = sources;
  j["nothing_checked"] = res.nothing_checked;
  return j;
}

void
render_audit_junit(const AuditResult& res, Severity threshold, std::ostream& out)
{
  int failures = 0;
  std::map<std::string, std::vector<const Finding*>> by_check;
  for (const auto& f : res.findings) {
    by_check[f.id].push_back(&f);
  }
  for (const auto& id : res.checks_run) {
    for (const auto* f : by_check[id]) {
      if (level(f->severity) >= level(threshold)) {
        ++failures;
        break;
      }
    }
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format("<testsuite name=\"memmap audit\" tests=\"{}\" failures=\"{}\" "
                     "skipped=\"{}\">\n",
                     res.checks_run.size() + res.checks_skipped.size(), failures,
                     res.checks_skipped.size());
  for (const auto& id : res.checks_run) {
    out << fmt::format("  <testcase classname=\"memmap.audit\" name=\"{}\">\n", xml_escape(id));
    std::string failing;
    std::string below;
    for (const auto* f : by_check[id]) {
      const auto line = fmt::format("[{}] {}{}\n", model::to_string(f->severity),
                                    f->subject.bdf ? *f->subject.bdf + ": " : "", f->message);
      (level(f->severity) >= level(threshold) ? failing : below) += line;
    }
    if (!failing.empty()) {
      out << fmt::format("    <failure message=\"{}\">{}</failure>\n",
                         xml_escape(fmt::format("{} finding(s) at or above {}", 
                                                std::count(failing.begin(), failing.end(), '\n'),
                                                model::to_string(threshold))),
                         xml_escape(failing));
    }
    if (!below.empty()) {
      out << "    <system-out>" << xml_escape(below) << "</system-out>\n";
    }
    out << "  </testcase>\n";
  }
  for (const auto& [id, why] : res.checks_skipped) {
    out << fmt::format("  <testcase classname=\"memmap.audit\" name=\"{}\"><skipped "
                       "message=\"{}\"/></testcase>\n",
                       xml_escape(id), xml_escape(why));
  }
  out << "</testsuite>\n";
}

void
render_audit_prometheus(const AuditResult& res, const std::string& extra, std::ostream& out)
{
  out << "# HELP memmap_findings Findings of memmap audit by check and severity.\n"
         "# TYPE memmap_findings gauge\n";
  std::map<std::pair<std::string, std::string>, int> n;
  for (const auto& id : res.checks_run) {
    const auto* c = analyze::find_check(id);
    n[{id, model::to_string(c ? c->severity : Severity::warning)}] += 0;
  }
  for (const auto& f : res.findings) {
    ++n[{f.id, model::to_string(f.severity)}];
  }
  for (const auto& [key, count] : n) {
    out << fmt::format("memmap_findings{{check=\"{}\",severity=\"{}\"}} {}\n", prom_label(key.first),
                       key.second, count);
  }
  out << extra;
}

} // namespace memmap::render
