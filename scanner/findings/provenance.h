#pragma once
// Provenance: where a finding's content was found. Plain data, set by the source that read
// the content and carried unchanged to every reporter. Each kind has one documented rendering
// (docs/reports.md, "Places"); reporters render it through location_kind() and these fields,
// never by inventing their own strings.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glpatrol {

/// What kind of place a content came from. The JSON/SARIF `location_kind` is to_string().
enum class SourceKind {
  File,           ///< a file on disk (`dir`); path = the path as walked
  Stdin,          ///< standard input; path = "<stdin>"
  GitBlob,        ///< a blob in a git repository; path = its path in the tree ("" when only
                  ///< reachable without a path: a tag or ref naming a blob, --all-objects)
  CommitMessage,  ///< a commit's message; path = "commit-message/<sha>" (pseudo_path),
                  ///< commit = that commit
  TagMessage,     ///< an annotated tag's message; path = the ref that names it, commit = the
                  ///< tag object (sha) and its tagger
  Path,           ///< the name of a file, directory or tree entry; path = that entry's full
                  ///< path, line 1 and column within the entry's own name; git: commit = the
                  ///< commit that introduced the name
  CommitHeader,   ///< a commit's author or committer, or a tag's tagger (name <email>);
                  ///< path = "commit-header/<sha>" (pseudo_path), commit = that commit or tag
  GitLabItem,     ///< content read through the GitLab API (a job log, snippet file, issue,
                  ///< merge request, note, wiki page, release); path = its place below the
                  ///< project, as in its web URL ("group/project/-/jobs/12"); see SourceRef
};
/// file|stdin|blob|commit-message|tag-message|path|commit-header|gitlab
std::string_view to_string(SourceKind k);
/// Parses to_string()'s words; nullopt for anything else.
std::optional<SourceKind> parse_source_kind(std::string_view s);
/// The one path of a place that is not a file: "<kind>/<object id>", e.g.
/// "commit-message/<sha>". Every format prints it as the path (JSON `path`, SARIF artifact
/// URI, GitLab `location.file`, human and hook places), and path globs in ignore files and
/// --exclude match it (docs/reports.md, "Places").
std::string pseudo_path(SourceKind kind, std::string_view object_id);
struct Provenance;
/// The path a report shows for a place: its path, or for a place without one (a blob reached
/// only through a tag or --all-objects) the pseudo-path of its commit or blob id.
std::string place_name(const Provenance& p);

/// The commit that introduced a blob at a path (history scans), the commit of a message, or
/// an annotated tag (sha = tag object, author = tagger). Text fields come from the repository:
/// they are redacted by the scan step before any report sees them (a token typed into a
/// commit subject is never printed raw), and `message` is the subject line only.
struct CommitInfo {
  std::string sha;
  std::string author_name;
  std::string author_email;
  std::string date;                      ///< ISO 8601 UTC
  std::string message;                   ///< subject line (first line), at most 200 bytes
  std::optional<std::string> merge_sha;  ///< set when the content first appears in a merge
};

/// One step of how content inside the place was reached (decoding, archive members), from the
/// outside in. Empty for plain content.
struct DecodeLayer {
  std::string kind;          ///< base64, percent, json-escape, utf-16le, utf-16be, zip, tar, gzip, ...
  std::string member;        ///< archive member name (raw bytes); "" for text encodings
  std::uint64_t offset = 0;  ///< byte offset of the encoded run (or member) in its parent
};

/// Where on a GitLab instance a finding's content lives (`glpatrol gitlab`); JSON `source`.
/// Text fields come from the instance and are redacted by the scan step like paths.
struct SourceRef {
  std::string kind;     ///< git | job_log | snippet | issue | merge_request | wiki | release
  std::string project;  ///< path with namespace ("acme/platform/api"); "" for personal snippets
  std::string web_url;  ///< opens the exact place (blob at the commit, job log line, note anchor)
  std::optional<std::int64_t> note_id;  ///< a comment of an issue or merge request
  /// The scan step appends "#L<line>" to web_url (job logs, blobs, snippet files). Never
  /// reported: a finding's web_url is final.
  bool line_anchor = false;
};

struct Provenance {
  SourceKind kind = SourceKind::File;
  std::string path;                    ///< raw bytes (may be invalid UTF-8); see SourceKind
  std::optional<std::string> blob_id;  ///< git blob id (GitBlob)
  std::optional<CommitInfo> commit;    ///< see CommitInfo
  std::optional<bool> in_head;         ///< history: is the token still in HEAD's tree?
  /// History: "" when a branch, tag or HEAD reaches the commit; otherwise what alone keeps it
  /// ("reflog", "stash", "refs/original", "no ref (--all-objects)"), so someone who rewrote
  /// history knows why it is still reported.
  std::string reachable_only_via;
  std::vector<std::string> refs;  ///< refs that reach the commit (optional)
  /// Several repositories in one report (`glpatrol git A B`): the repository as given; `path`
  /// is then prefixed with it.
  std::string repository;
  std::vector<DecodeLayer> decoded;  ///< how the token was reached inside the content
  std::optional<SourceRef> source;   ///< GitLab instance scans: the place on the instance
};

}  // namespace glpatrol
