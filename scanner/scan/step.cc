#include "scan/step.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "common/encoding.h"
#include "decode/archive.h"
#include "decode/lfs.h"
#include "decode/text.h"
#include "decode/utf16.h"

namespace glpatrol {

namespace {

/// Reports show a commit's subject line, at most this many bytes (after redaction).
constexpr std::size_t kMaxSubjectBytes = 200;
/// Archive members up to this size are decoded further (nested archives, base64...); larger
/// ones are scanned as a stream of plain bytes (bounded memory).
constexpr std::uint64_t kMaxMemberInMemory = 64u << 20;
/// LFS objects up to this size are read whole and decoded; larger ones are streamed.
constexpr std::uint64_t kMaxLfsInMemory = 64u << 20;

/// Reads a stream to its end or `cap` bytes into `out`; true at end of stream.
Result<bool> read_up_to(const ReadFn& read, std::uint64_t cap, std::string& out) {
  char buf[64 * 1024];
  while (out.size() < cap) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, cap - out.size()));
    long n;
    do {
      n = read(buf, want);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Error::io(std::strerror(errno));
    if (n == 0) return true;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return false;
}

/// A reader that replays `head` and then continues with `rest`.
ReadFn replay(std::string head, ReadFn rest) {
  auto pos = std::make_shared<std::size_t>(0);
  auto h = std::make_shared<std::string>(std::move(head));
  return [pos, h, rest = std::move(rest)](char* buf, std::size_t cap) -> long {
    if (*pos < h->size()) {
      const std::size_t n = std::min(cap, h->size() - *pos);
      // NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes, not a C string
      std::memcpy(buf, h->data() + *pos, n);
      *pos += n;
      return static_cast<long>(n);
    }
    return rest(buf, cap);
  };
}

/// A reader that narrows a UTF-16 stream to one byte per code unit (decode/utf16.h's rule:
/// ASCII units keep their byte, others become \x01).
ReadFn narrowing(ReadFn raw, decode::Utf16Kind kind, std::size_t bom) {
  struct State {
    ReadFn raw;
    bool little;
    std::size_t skip;
    std::string carry;
  };
  auto st = std::make_shared<State>(State{std::move(raw), kind == decode::Utf16Kind::LittleEndian, bom, {}});
  return [st](char* out, std::size_t cap) -> long {
    std::string in(std::max<std::size_t>(2, cap * 2), '\0');
    std::size_t have = st->carry.size();
    std::memcpy(in.data(), st->carry.data(), have);
    while (true) {
      long n;
      do {
        n = st->raw(in.data() + have, in.size() - have);
      } while (n < 0 && errno == EINTR);
      if (n < 0) return -1;
      have += static_cast<std::size_t>(n);
      const std::size_t skip = std::min(st->skip, have);
      st->skip -= skip;
      const std::size_t units = (have - skip) / 2;
      if (units > 0 || n == 0) {
        std::size_t w = 0;
        for (std::size_t u = 0; u < units && w < cap; ++u, ++w) {
          const char a = in[skip + 2 * u], b = in[skip + 2 * u + 1];
          const char lo = st->little ? a : b, hi = st->little ? b : a;
          out[w] = (hi == '\0' && static_cast<unsigned char>(lo) < 0x80) ? lo : '\x01';
        }
        st->carry.assign(in.data() + skip + 2 * w, have - skip - 2 * w);
        return static_cast<long>(w);
      }
      // Only a BOM or half a unit so far: read on (the buffer holds at least two bytes).
      if (have >= in.size()) {
        st->carry.assign(in.data() + skip, have - skip);
        return 0;
      }
    }
  };
}

std::string layer_kind(decode::Encoding e) { return std::string(decode::to_string(e)); }

}  // namespace

Result<ScanStep> ScanStep::create(const RuleDb& db, const StepOptions& opts, FindingSink& sink,
                                  ScanStats* stats) {
  auto m = Matcher::create(db);
  if (!m) return m.error();
  return ScanStep(std::move(*m), opts, sink, stats);
}

// ---------------------------------------------------------------------------------------------
// The decoding stage

void ScanStep::fault(const decode::Fault& f) {
  ++faults_;
  if (stats_ == nullptr) return;
  std::string where = place_.empty() ? std::string("<content>") : place_;
  if (!f.member.empty()) where += " \xE2\x96\xB8 " + f.member;  // " ▸ "
  // Whatever the decoding stage could not look into is lost coverage: a token can hide behind
  // a bomb, a truncated stream or one layer too many, so the scan is never clean (exit 3 when
  // nothing was found). An encrypted member is only listed: no one reads it without its key.
  stats_->skip({where, f.reason, f.detail, f.reason != "encrypted"});
}

Status ScanStep::match_into(std::string_view content, std::string_view name, unsigned depth,
                            decode::DecodeBudget& budget, std::vector<ContentMatch>& out) {
  std::vector<LocatedMatch> direct;
  if (auto s = matcher_.scan(content, direct); !s) return s;
  std::vector<decode::HintHit> hits = matcher_.hint_hits();  // copied: recursion rescans
  for (auto& lm : direct) out.push_back({std::move(lm), {}});
  if (!opts_.decode) return Status::ok();
  if (depth == 0 && !lfs_common_dir_.empty()) resolve_lfs(content, budget, out);
  const bool container = opts_.archives && decode::sniff_container(content.substr(0, decode::kSniffBytes)) !=
                                               decode::ContainerKind::None;
  if (depth >= opts_.max_depth) {
    if (container || !hits.empty())
      fault({"depth", "", "more than --max-decode-depth layers: not decoded further"});
    return Status::ok();
  }
  if (container) {
    const std::size_t direct_end = out.size();
    open_container(content, name, depth, budget, out);
    // A stored (uncompressed) member's bytes are in the archive itself: the token is reported
    // once, at its member, not again at a byte offset of the archive.
    std::set<std::string> in_members;
    for (std::size_t i = direct_end; i < out.size(); ++i) in_members.insert(out[i].located.secret);
    if (!in_members.empty())
      out.erase(std::remove_if(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(direct_end),
                               [&](const ContentMatch& m) {
                                 return m.chain.empty() && in_members.count(m.located.secret) != 0;
                               }),
                out.begin() + static_cast<std::ptrdiff_t>(direct_end));
  }
  decode_text(content, depth, std::move(hits), budget, out);
  return Status::ok();
}

void ScanStep::decode_text(std::string_view content, unsigned depth, std::vector<decode::HintHit> hits,
                           decode::DecodeBudget& budget, std::vector<ContentMatch>& out) {
  // Findings already reported at a parent span (by rule) are not reported again by an
  // overlapping view.
  std::set<std::pair<std::uint32_t, std::uint64_t>> seen;
  for (const auto& m : out)
    if (m.chain.empty()) seen.emplace(m.located.match.rule, m.located.match.start);
  auto add_view = [&](const decode::View& view, bool keep_position) {
    std::vector<ContentMatch> inner;
    if (!match_into(view.bytes, {}, depth + 1, budget, inner)) return;
    for (auto& m : inner) {
      LocatedMatch& lm = m.located;
      const std::uint64_t start = view.to_parent(lm.match.start);
      const std::uint64_t end = view.to_parent(lm.match.end);
      if (!seen.emplace(lm.match.rule, start).second) continue;
      // A whole-content UTF-16 view keeps its own lines and columns (an editor shows the
      // narrowed text); every other view is reported at its encoded run in `content`.
      if (!keep_position) relocate(content, start, end, lm);
      lm.match.start = start;
      lm.match.end = end;
      if (keep_position) lm.match.attributes.emplace_back("encoding", layer_kind(view.encoding));
      m.chain.insert(m.chain.begin(), DecodeLayer{layer_kind(view.encoding), "", view.begin});
      out.push_back(std::move(m));
    }
  };
  if (auto whole = decode::utf16_view(content)) add_view(*whole, true);
  if (hits.empty()) return;
  const auto views =
      decode::decode_hits(content, matcher_.db().hints(), std::move(hits), decode::TextLimits{}, budget,
                          [this](const decode::Fault& f) { fault(f); });
  for (const auto& v : views) add_view(v, false);
}

void ScanStep::scan_member(const decode::Member& member, const decode::ReadFn& read, const std::string& kind,
                           const std::string& outer, unsigned depth, decode::DecodeBudget& budget,
                           std::vector<ContentMatch>& out) {
  std::string bytes;
  auto complete = read_up_to(read, kMaxMemberInMemory, bytes);
  std::vector<ContentMatch> inner;
  place_ = outer + " \xE2\x96\xB8 " + std::string(member.name);
  if (complete && *complete) {
    (void)match_into(bytes, member.name, depth, budget, inner);
  } else if (complete) {
    // Too large to decode further: its bytes are still scanned, as a stream.
    std::vector<LocatedMatch> streamed;
    (void)matcher_.scan_stream(replay(std::move(bytes), read), streamed);
    for (auto& lm : streamed) inner.push_back({std::move(lm), {}});
  }
  place_ = outer;
  for (auto& m : inner) {
    m.chain.insert(m.chain.begin(), DecodeLayer{kind, std::string(member.name), 0});
    out.push_back(std::move(m));
  }
}

void ScanStep::open_container(std::string_view content, std::string_view name, unsigned depth,
                              decode::DecodeBudget& budget, std::vector<ContentMatch>& out) {
  const std::string kind(decode::to_string(decode::sniff_container(content.substr(0, decode::kSniffBytes))));
  const std::string outer = place_;
  (void)decode::for_each_member(
      content, name, decode::ArchiveLimits{}, budget,
      [&](const decode::Member& member, const decode::ReadFn& read) {
        scan_member(member, read, kind, outer, depth + 1, budget, out);
        return true;
      },
      [this](const decode::Fault& f) { fault(f); });
}

void ScanStep::resolve_lfs(std::string_view content, decode::DecodeBudget& budget,
                           std::vector<ContentMatch>& out) {
  if (content.size() > 1024) return;
  const auto ptr = decode::parse_lfs_pointer(content);
  if (!ptr) return;
  const std::string path = decode::lfs_object_path(lfs_common_dir_, ptr->oid);
  if (path.empty()) return;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) ::close(fd);
    if (stats_ != nullptr)
      stats_->skip({place_.empty() ? ptr->oid : place_, "lfs-object-missing",
                    "Git LFS object sha256:" + ptr->oid + " is not in the local store (git lfs fetch)",
                    false});
    return;
  }
  const ReadFn read = [fd](char* buf, std::size_t cap) { return static_cast<long>(::read(fd, buf, cap)); };
  std::string bytes;
  auto complete = read_up_to(read, kMaxLfsInMemory, bytes);
  std::vector<ContentMatch> inner;
  if (complete && *complete) {
    (void)match_into(bytes, {}, 1, budget, inner);
  } else if (complete) {
    std::vector<LocatedMatch> streamed;
    (void)matcher_.scan_stream(replay(std::move(bytes), read), streamed);
    for (auto& lm : streamed) inner.push_back({std::move(lm), {}});
  }
  ::close(fd);
  for (auto& m : inner) {
    m.chain.insert(m.chain.begin(), DecodeLayer{"lfs", "sha256:" + ptr->oid, 0});
    out.push_back(std::move(m));
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

Status ScanStep::scan(std::string_view content, const Provenance& where) {
  scratch_.clear();
  place_ = where.path;
  decode::DecodeBudget budget;
  budget.max_decoded = opts_.max_decoded;
  const auto slash = where.path.rfind('/');
  const std::string_view name = slash == std::string::npos ? std::string_view(where.path)
                                                           : std::string_view(where.path).substr(slash + 1);
  if (auto s = match_into(content, name, 0, budget, scratch_); !s) return s;
  if (!scratch_.empty()) emit(scratch_, where);
  return Status::ok();
}

Result<std::shared_ptr<const ContentMatches>> ScanStep::scan_kept(std::string_view content,
                                                                  const Provenance& where) {
  if (auto s = scan(content, where); !s) return s.error();
  if (scratch_.empty()) return std::shared_ptr<const ContentMatches>();
  auto out = std::make_shared<ContentMatches>();
  out->matches = scratch_;
  return std::shared_ptr<const ContentMatches>(std::move(out));
}

Result<std::shared_ptr<const ContentMatches>> ScanStep::match(std::string_view content,
                                                              std::string_view label) {
  auto out = std::make_shared<ContentMatches>();
  place_ = std::string(label);
  decode::DecodeBudget budget;
  budget.max_decoded = opts_.max_decoded;
  if (auto s = match_into(content, {}, 0, budget, out->matches); !s) return s.error();
  if (out->empty()) return std::shared_ptr<const ContentMatches>();
  return std::shared_ptr<const ContentMatches>(std::move(out));
}

Result<std::uint64_t> ScanStep::scan_stream(const ReadFn& read, const Provenance& where) {
  place_ = where.path;
  // The head decides: a container is opened as it streams, UTF-16 is narrowed as it streams.
  std::string head;
  auto ended = read_up_to(read, decode::kSniffBytes > 4096 ? decode::kSniffBytes : 4096, head);
  if (!ended) return ended.error();
  if (*ended) {  // small after all: the whole decoding stage applies
    if (auto s = scan(head, where); !s) return s.error();
    return head.size();
  }
  std::uint64_t total = 0;
  const ReadFn counted = [&](char* buf, std::size_t cap) -> long {
    const long n = read(buf, cap);
    if (n > 0) total += static_cast<std::uint64_t>(n);
    return n;
  };
  const std::uint64_t head_size = head.size();
  std::vector<LocatedMatch> found;
  if (opts_.decode && opts_.archives &&
      decode::sniff_container(std::string_view(head).substr(0, decode::kSniffBytes)) !=
          decode::ContainerKind::None) {
    auto r = scan_container_stream(replay(std::move(head), counted), {}, where);
    if (!r) return r.error();
    return head_size + total;
  }
  const auto utf16 = opts_.decode ? decode::detect_utf16(head) : decode::Utf16Kind::None;
  Result<std::uint64_t> r = std::uint64_t{0};
  std::vector<std::pair<std::string, std::string>> encoding;
  if (utf16 != decode::Utf16Kind::None) {
    const std::size_t bom = decode::utf16_bom_size(head);
    r = matcher_.scan_stream(narrowing(replay(std::move(head), counted), utf16, bom), found);
    encoding.emplace_back("encoding", utf16 == decode::Utf16Kind::LittleEndian ? "utf-16le" : "utf-16be");
    for (auto& lm : found) {
      lm.match.start = bom + 2 * lm.match.start;
      lm.match.end = bom + 2 * lm.match.end;
    }
  } else {
    r = matcher_.scan_stream(replay(std::move(head), counted), found);
  }
  std::vector<ContentMatch> matches;
  for (auto& lm : found) {
    lm.match.attributes.insert(lm.match.attributes.end(), encoding.begin(), encoding.end());
    matches.push_back({std::move(lm), {}});
  }
  if (!matches.empty()) emit(matches, where);
  if (!r) return r.error();
  return head_size + total;
}

Result<std::uint64_t> ScanStep::scan_container_stream(const ReadFn& read, std::string_view /*head*/,
                                                      const Provenance& where) {
  decode::DecodeBudget budget;
  budget.max_decoded = opts_.max_decoded;
  std::vector<ContentMatch> out;
  std::string kind;
  {
    // Sniff again through the replaying reader's head (peek keeps it for the archive reader).
    decode::Peeked p = decode::peek(read);
    kind = std::string(decode::to_string(decode::sniff_container(p.head)));
    const auto slash = where.path.rfind('/');
    const std::string name = slash == std::string::npos ? where.path : where.path.substr(slash + 1);
    const std::string outer = place_;
    auto st = decode::for_each_member(
        p.read, name, decode::ArchiveLimits{}, budget,
        [&](const decode::Member& member, const decode::ReadFn& mread) {
          scan_member(member, mread, kind, outer, 1, budget, out);
          return true;
        },
        [this](const decode::Fault& f) { fault(f); });
    if (!st) return st.error();
  }
  if (!out.empty()) emit(out, where);
  return std::uint64_t{0};
}

// ---------------------------------------------------------------------------------------------
// Findings

void ScanStep::emit(const std::vector<ContentMatch>& matches, const Provenance& where) {
  const Provenance safe = safe_provenance(where);
  for (const auto& m : matches) sink_->add(make_finding(m, safe));
}

void ScanStep::findings(const ContentMatches& m, const Provenance& where, std::vector<Finding>& out) {
  const Provenance safe = safe_provenance(where);
  for (const auto& cm : m.matches) out.push_back(make_finding(cm, safe));
}

Finding ScanStep::make_finding(const ContentMatch& cm, const Provenance& where) {
  const LocatedMatch& m = cm.located;
  const Rule& rule = matcher_.db().rule(m.match.rule);
  Finding f;
  f.rule_id = rule.id;
  f.rule_name = rule.name;
  f.severity = rule.severity;
  f.secret = m.secret;
  f.secret_sha256 = sha256_hex(m.secret);
  std::string prefix = token_kind_prefix(m.secret);
  for (const auto& [k, v] : m.match.attributes)
    if (k == "routable.prefix" && prefix.empty()) prefix = v;
  f.redacted = redact_token(m.secret, prefix);
  f.checksum = m.match.checksum;
  f.attributes = m.match.attributes;
  f.provenance = where;
  if (!cm.chain.empty()) {
    f.provenance.decoded = cm.chain;
    for (auto& layer : f.provenance.decoded) layer.member = redact(layer.member);
  }
  f.offset = m.match.start;
  f.line = m.line;
  f.column = m.column;
  f.end_line = m.end_line;
  f.end_column = m.end_column;
  f.inline_allow = m.inline_allow;
  if (f.provenance.source && f.provenance.source->line_anchor) {
    f.provenance.source->web_url += "#L" + std::to_string(f.line);
    f.provenance.source->line_anchor = false;
  }
  return f;
}

Provenance ScanStep::safe_provenance(const Provenance& where) {
  Provenance p = where;
  p.path = redact(p.path);
  for (auto& r : p.refs) r = redact(r);
  if (p.source) {
    p.source->project = redact(p.source->project);
    p.source->web_url = redact(p.source->web_url);
  }
  if (p.commit) {
    for (std::string* field : {&p.commit->message, &p.commit->author_name, &p.commit->author_email})
      *field = redact(*field);
    if (p.commit->message.size() > kMaxSubjectBytes) p.commit->message.resize(kMaxSubjectBytes);
  }
  return p;
}

std::string ScanStep::redact(std::string_view text) {
  if (!opts_.redact || text.empty()) return std::string(text);
  if (auto it = redacted_.find(text); it != redacted_.end()) return it->second;
  std::string out(text);
  std::vector<LocatedMatch> found;
  if (!matcher_.scan(text, found)) {
    out = "(withheld: could not be checked for tokens)";
  } else {
    for (auto m = found.rbegin(); m != found.rend(); ++m) {
      const std::string secret = out.substr(m->match.start, m->match.end - m->match.start);
      out.replace(m->match.start, m->match.end - m->match.start,
                  redact_token(secret, token_kind_prefix(secret)));
    }
  }
  // Bounded: a history with a million distinct subjects must not keep them all.
  if (redacted_.size() > 4096) redacted_.clear();
  return redacted_.emplace(std::string(text), out).first->second;
}

}  // namespace glpatrol
