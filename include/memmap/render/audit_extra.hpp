// The audit outputs beside the report itself: the check list, a baseline file, the extra
// node_exporter series.
#pragma once

#include <iosfwd>
#include <string>

#include <memmap/analyze/audit.hpp>

namespace memmap::render {

// --list-checks: every check, its id, severity, what it needs and what it looks for.
void render_check_list(std::ostream& out);

// --write-baseline: a comment line, then "FINGERPRINT  ID  SUBJECT" per finding.
std::string baseline_text(const analyze::AuditResult& res);

// Extra node_exporter series beside the findings: BAR sizes and the number of groups.
std::string prometheus_extra(const analyze::AuditSources& src);

} // namespace memmap::render
