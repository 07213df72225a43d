#include <memmap/render/control_filter.hpp>

#include <cstdio>

namespace memmap::render {

namespace {

// The SGR sequences render::Style writes: ESC [ 0|1|2|31..36 m.
bool
own_sgr(const std::string& seq)
{
  static const char* const k_own[] = {"\033[0m",  "\033[1m",  "\033[2m",  "\033[31m", "\033[32m",
                                      "\033[33m", "\033[34m", "\033[35m", "\033[36m"};
  for (const char* s : k_own) {
    if (seq == s) {
      return true;
    }
  }
  return false;
}

bool
is_control(unsigned char c)
{
  return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
}

} // namespace

ControlFilterBuf::ControlFilterBuf(std::streambuf* target, bool allow_colour)
  : m_target(target), m_colour(allow_colour)
{
}

ControlFilterBuf::~ControlFilterBuf()
{
  finish();
}

void
ControlFilterBuf::write(const char* s, std::size_t n)
{
  if (m_target && n > 0) {
    m_target->sputn(s, static_cast<std::streamsize>(n));
  }
}

void
ControlFilterBuf::emit_escaped(unsigned char c)
{
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  write(buf, 4);
}

void
ControlFilterBuf::flush_pending_escaped()
{
  const std::string held = std::move(m_pending);
  m_pending.clear();
  for (const char ch : held) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_control(c)) {
      emit_escaped(c);
    } else {
      write(&ch, 1);
    }
  }
}

void
ControlFilterBuf::put(unsigned char c)
{
  if (!m_pending.empty()) {
    if (static_cast<unsigned char>(m_pending[0]) == 0xc2) {
      // UTF-8 for U+0080-U+00BF: 0x80-0x9f are the C1 controls (0x9b is a CSI on its own).
      m_pending.clear();
      if (c >= 0x80 && c <= 0x9f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        write(buf, 6);
        return;
      }
      const char lead = static_cast<char>(0xc2);
      write(&lead, 1);
      // fall through: `c` is handled on its own below
    } else {
      // Inside ESC ...: only ESC [ digits m of our own passes. m_pending holds nothing but
      // ESC, '[' and digits, so a byte that cannot continue it ends it (escaped) and is then
      // handled on its own.
      const bool after_bracket = m_pending.size() >= 2;
      if (m_colour && after_bracket && c == 'm') {
        m_pending.push_back('m');
        if (own_sgr(m_pending)) {
          write(m_pending.data(), m_pending.size());
          m_pending.clear();
        } else {
          flush_pending_escaped();
        }
        return;
      }
      const bool continues = m_colour && m_pending.size() <= 4
                             && (after_bracket ? (c >= '0' && c <= '9') : c == '[');
      if (continues) {
        m_pending.push_back(static_cast<char>(c));
        return;
      }
      flush_pending_escaped();
      // fall through: `c` on its own
    }
  }
  if (c == 0x1b) {
    m_pending.push_back(static_cast<char>(c));
    return;
  }
  if (c == 0xc2) {
    m_pending.push_back(static_cast<char>(c));
    return;
  }
  if (is_control(c)) {
    emit_escaped(c);
    return;
  }
  const char ch = static_cast<char>(c);
  write(&ch, 1);
}

ControlFilterBuf::int_type
ControlFilterBuf::overflow(int_type ch)
{
  if (traits_type::eq_int_type(ch, traits_type::eof())) {
    return traits_type::not_eof(ch);
  }
  put(static_cast<unsigned char>(traits_type::to_char_type(ch)));
  return ch;
}

std::streamsize
ControlFilterBuf::xsputn(const char* s, std::streamsize n)
{
  // Runs of ordinary bytes go through in one call; the rest byte by byte.
  std::streamsize i = 0;
  while (i < n) {
    std::streamsize j = i;
    if (m_pending.empty()) {
      while (j < n) {
        const auto c = static_cast<unsigned char>(s[j]);
        if (is_control(c) || c == 0x1b || c == 0xc2) {
          break;
        }
        ++j;
      }
      write(s + i, static_cast<std::size_t>(j - i));
    }
    if (j < n) {
      put(static_cast<unsigned char>(s[j]));
      ++j;
    }
    i = j;
  }
  return n;
}

int
ControlFilterBuf::sync()
{
  return m_target ? m_target->pubsync() : 0;
}

void
ControlFilterBuf::finish()
{
  if (!m_pending.empty()) {
    flush_pending_escaped();
  }
  sync();
}

void
ControlFilterBuf::raw(std::string_view bytes)
{
  if (!m_pending.empty()) {
    flush_pending_escaped();
  }
  write(bytes.data(), bytes.size());
}

void
write_control(std::ostream& os, std::string_view bytes)
{
  if (auto* f = dynamic_cast<ControlFilterBuf*>(os.rdbuf())) {
    os.flush();
    f->raw(bytes);
  } else {
    os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
}

ControlFilter::ControlFilter(std::ostream& os, bool allow_colour)
  : m_os(os), m_old(os.rdbuf()), m_buf(m_old, allow_colour)
{
  m_os.rdbuf(&m_buf);
}

ControlFilter::~ControlFilter()
{
  m_buf.finish();
  m_os.rdbuf(m_old);
}

std::string
escape_controls(std::string_view text)
{
  struct StringBuf : std::streambuf {
    std::string s;
    int_type overflow(int_type ch) override
    {
      if (!traits_type::eq_int_type(ch, traits_type::eof())) {
        s.push_back(traits_type::to_char_type(ch));
      }
      return ch;
    }
    std::streamsize xsputn(const char* p, std::streamsize n) override
    {
      s.append(p, static_cast<std::size_t>(n));
      return n;
    }
  } sink;
  {
    ControlFilterBuf f(&sink, false);
    f.sputn(text.data(), static_cast<std::streamsize>(text.size()));
  }
  return std::move(sink.s);
}

} // namespace memmap::render
