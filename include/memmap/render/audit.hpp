// Renderers for audit results: text grouped by severity, the JSON contract, JUnit XML and
// the node_exporter textfile format.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include <memmap/analyze/audit.hpp>
#include <memmap/render/fields.hpp>
#include <memmap/render/format.hpp>

namespace memmap::render {

// The columns of a finding row, in audit_table()'s order.
enum class AuditCol {
  severity, id, subject, message, bdf, bar, group, start, end, region, evidence, hint,
  fingerprint, caused_by
};
const Table& audit_table();

// `cols` from -o: the findings as one table of those columns (errors, then warnings, then
// info), before the same summary, instead of a section per severity.
void render_audit_text(const analyze::AuditResult& res, analyze::Severity threshold,
                       const Style& style, std::ostream& out, const Columns& cols = {});
nlohmann::ordered_json audit_to_json(const analyze::AuditResult& res);
// One <testcase> per check run; failures for findings at or above `threshold`.
void render_audit_junit(const analyze::AuditResult& res, analyze::Severity threshold,
                        std::ostream& out);
// node_exporter textfile collector: memmap_findings{check,severity}, plus the extra series
// the caller passes (already formatted lines, e.g. memmap_bar_bytes).
void render_audit_prometheus(const analyze::AuditResult& res, const std::string& extra,
                             std::ostream& out);

// XML-escape text for attributes and bodies.
std::string xml_escape(const std::string& s);

} // namespace memmap::render
