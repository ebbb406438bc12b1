#pragma once
// Commits and trees for the history walk, read from the packs (pack_reader.h) instead of
// through libgit2 one object at a time.
//
// A history scan reads every commit twice (the graph, then its message) and every changed
// tree; through libgit2 1.5 each read is an object-database lookup, a zlib inflate, a
// collision-detecting SHA-1 of the bytes and a parse into freshly allocated objects. On a
// history of 10,000 small commits that was most of the scan (bench/README.md, "Commits and
// trees from the packs"). Here an object comes from the pack reader's delta-aware decoder,
// its bytes are checked against its id with OpenSSL's SHA-1 (the CPU's SHA instructions),
// and a commit is parsed in place.
//
// Contract: never a different answer from libgit2's. An object this reader does not give
// (loose, in an alternate, undecodable, of another type, hashing to another id) and a
// commit whose shape parse_commit() does not accept are read through libgit2 by the caller,
// which then accepts or reports them exactly as before.
#include <git2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glpatrol::git {

class PackSet;
class PackObjects;
class ObjectHasher;

/// The fields of a commit the history scan uses, as libgit2 1.5's commit parser gives them.
struct CommitFields {
  git_oid tree{};
  std::vector<git_oid> parents;
  std::string_view author;       ///< the author line after "author ", without its newline
  std::string_view committer;    ///< the committer line after "committer ", likewise
  std::string_view message_raw;  ///< after the header's blank line, up to the first NUL
};

/// Parses a commit's bytes the way libgit2 1.5 (commit.c, commit_parse) does, for the shape
/// git writes: "tree" and "parent" lines with lowercase hex ids, exactly one "author" and one
/// "committer" line without NUL bytes, then any other headers, a blank line and the message.
/// False for anything else (libgit2 decides those). The views point into `raw`.
/// message_raw follows libgit2: everything after the first blank line of the header, cut at
/// a NUL byte (libgit2 keeps it as a C string), empty when there is no blank line.
bool parse_commit(std::string_view raw, CommitFields& out);

/// git_signature_free as a deleter.
struct SignatureFree {
  void operator()(git_signature* s) const { git_signature_free(s); }
};
using SignaturePtr = std::unique_ptr<git_signature, SignatureFree>;

/// A signature line ("Name <email> 1700000000 +0000") parsed by libgit2's own signature
/// parser (git_signature_from_buffer), so names, e-mails and times come out exactly as
/// git_commit_author() would give them; nullptr when libgit2 rejects the line.
SignaturePtr parse_signature(std::string_view line);

/// Random access to the packed objects of one repository, with each object's bytes checked
/// against its id. Not thread-safe: the history walk's thread owns it.
class PackedObjects {
 public:
  /// The packs of `objects_dir` (".../objects"); nullptr when it has none that parse.
  /// Objects larger than `max_size` are not decoded (the caller reads them through libgit2).
  static std::unique_ptr<PackedObjects> open(const std::string& objects_dir, std::uint64_t max_size);
  PackedObjects(const PackedObjects&) = delete;
  PackedObjects& operator=(const PackedObjects&) = delete;
  ~PackedObjects();

  /// Object `id` when a pack holds it as a `type` object whose bytes hash to `id`; valid
  /// until the next call. nullopt otherwise: the caller asks libgit2.
  std::optional<std::string_view> read(const git_oid& id, git_object_t type);

  /// A commit read and parsed as libgit2 would (both signatures parsed by libgit2's parser).
  struct Commit {
    CommitFields fields;  ///< views valid until the next read
    SignaturePtr author, committer;
  };
  /// Commit `id` from the packs; false when it is not there or not of the shape
  /// parse_commit() accepts, or a signature does not parse: the caller asks libgit2.
  bool read_commit(const git_oid& id, Commit& out);
  std::size_t pack_count() const;
  /// The parsed packs, for the blob pass to decode from as well (one index table per pack
  /// for the whole scan). PackSet's decoders may run on other threads at the same time:
  /// the entries are read-only after parsing and each reader has its own decoder.
  PackSet& packs() { return *packs_; }
  /// Objects given / asked for and not given (for the JSON report and benchmarks).
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  PackedObjects(std::unique_ptr<PackSet> packs, std::uint64_t max_size);
  std::unique_ptr<PackSet> packs_;
  std::unique_ptr<PackObjects> objects_;
  std::unique_ptr<ObjectHasher> hasher_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace glpatrol::git
