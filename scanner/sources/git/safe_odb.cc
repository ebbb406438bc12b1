#include "sources/git/safe_odb.h"

#include <dirent.h>
#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "sources/git/git_source.h"
#include "sources/git/git_repo.h"
#include "sources/git/pack_reader.h"

namespace glpatrol::git {

namespace {

constexpr std::uint64_t kMaxLooseFile = 3ull << 30;

struct LooseState {
  std::string dir;  // objects directory, with trailing '/'
};

/// libgit2 sees the first member; the C++ state hangs off a pointer (standard layout).
struct SafeLooseBackend {
  git_odb_backend parent;
  LooseState* state;
};

LooseState& state_of(git_odb_backend* b) { return *reinterpret_cast<SafeLooseBackend*>(b)->state; }

std::string object_path(const LooseState& s, const git_oid* id) {
  const std::string hex = oid_hex(*id);
  return s.dir + hex.substr(0, 2) + "/" + hex.substr(2);
}

int set_error(int code, const std::string& msg) {
  git_error_set_str(GIT_ERROR_ODB, msg.c_str());
  return code;
}

/// Reads a whole loose file (or its first `limit` bytes). ENOENT -> GIT_ENOTFOUND.
int read_file(const std::string& path, std::string& out, std::size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return set_error(GIT_ENOTFOUND, "loose object not found");
    return set_error(GIT_ERROR, "cannot open loose object " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) > kMaxLooseFile) {
    ::close(fd);
    return set_error(GIT_ERROR, "loose object " + path + " is not a regular file of sane size");
  }
  const std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(st.st_size), limit);
  out.resize(want);
  std::size_t got = 0;
  while (got < want) {
    const ssize_t n = ::read(fd, out.data() + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return 0;
}

int do_read(git_odb_backend* be, const git_oid* id, bool header_only, void** data, size_t* len,
            git_object_t* type) {
  const LooseState& s = state_of(be);
  const std::string path = object_path(s, id);
  std::string file;
  if (int rc = read_file(path, file, header_only ? 4096 : kMaxLooseFile); rc != 0) return rc;
  std::string body;
  std::size_t size = 0;
  std::string err =
      inflate_loose(file, header_only, type, &size, header_only ? nullptr : &body, kMaxGitBlobSize);
  if (!err.empty() && header_only && file.size() == 4096) {
    // Header longer than the first block of compressed bytes (never in practice): read all.
    if (int rc = read_file(path, file, kMaxLooseFile); rc != 0) return rc;
    err = inflate_loose(file, true, type, &size, nullptr, kMaxGitBlobSize);
  }
  if (!err.empty()) return set_error(GIT_ERROR, "corrupt loose object " + oid_hex(*id) + ": " + err);
  *len = size;
  if (header_only) return 0;
  auto* buf = static_cast<char*>(git_odb_backend_data_alloc(be, size + 1));
  if (buf == nullptr) return set_error(GIT_ERROR, "out of memory reading " + oid_hex(*id));
  std::memcpy(buf, body.data(), size);
  buf[size] = '\0';
  *data = buf;
  return 0;
}

int be_read(void** data, size_t* len, git_object_t* type, git_odb_backend* be, const git_oid* id) {
  return do_read(be, id, false, data, len, type);
}

int be_read_header(size_t* len, git_object_t* type, git_odb_backend* be, const git_oid* id) {
  return do_read(be, id, true, nullptr, len, type);
}

int be_exists(git_odb_backend* be, const git_oid* id) {
  struct stat st {};
  return ::lstat(object_path(state_of(be), id).c_str(), &st) == 0 && S_ISREG(st.st_mode) ? 1 : 0;
}

/// Full ids in objects/xx/ whose hex starts with `prefix` (at most 2 collected).
std::vector<git_oid> match_prefix(const LooseState& s, const std::string& prefix) {
  std::vector<git_oid> out;
  if (prefix.size() < 2) return out;
  const std::string sub = s.dir + prefix.substr(0, 2) + "/";
  DIR* d = ::opendir(sub.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() != GIT_OID_HEXSZ - 2) continue;
    const std::string hex = prefix.substr(0, 2) + name;
    if (hex.compare(0, prefix.size(), prefix) != 0) continue;
    git_oid id;
    if (git_oid_fromstr(&id, hex.c_str()) != 0) continue;
    out.push_back(id);
    if (out.size() > 1) break;
  }
  ::closedir(d);
  return out;
}

int find_prefix(git_odb_backend* be, const git_oid* short_id, size_t len, git_oid* full) {
  std::string prefix = oid_hex(*short_id).substr(0, len);
  auto ids = match_prefix(state_of(be), prefix);
  if (ids.empty()) return set_error(GIT_ENOTFOUND, "no loose object with prefix " + prefix);
  if (ids.size() > 1) return set_error(GIT_EAMBIGUOUS, "ambiguous loose object prefix " + prefix);
  *full = ids[0];
  return 0;
}

int be_read_prefix(git_oid* out, void** data, size_t* len, git_object_t* type, git_odb_backend* be,
                   const git_oid* short_id, size_t hexlen) {
  git_oid full;
  if (hexlen >= GIT_OID_HEXSZ)
    full = *short_id;
  else if (int rc = find_prefix(be, short_id, hexlen, &full); rc != 0)
    return rc;
  if (int rc = do_read(be, &full, false, data, len, type); rc != 0) return rc;
  *out = full;
  return 0;
}

int be_exists_prefix(git_oid* out, git_odb_backend* be, const git_oid* short_id, size_t hexlen) {
  git_oid full;
  if (hexlen >= GIT_OID_HEXSZ) {
    if (be_exists(be, short_id) == 0) return set_error(GIT_ENOTFOUND, "loose object not found");
    full = *short_id;
  } else if (int rc = find_prefix(be, short_id, hexlen, &full); rc != 0) {
    return rc;
  }
  *out = full;
  return 0;
}

int be_foreach(git_odb_backend* be, git_odb_foreach_cb cb, void* payload) {
  const LooseState& s = state_of(be);
  static const char* kHex = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    const std::string two{kHex[i >> 4], kHex[i & 15]};
    DIR* d = ::opendir((s.dir + two).c_str());
    if (d == nullptr) continue;
    std::vector<git_oid> ids;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      git_oid id;
      if (name.size() == GIT_OID_HEXSZ - 2 && git_oid_fromstr(&id, (two + name).c_str()) == 0)
        ids.push_back(id);
    }
    ::closedir(d);
    for (const auto& id : ids)
      if (int rc = cb(&id, payload); rc != 0) return rc;
  }
  return 0;
}

void be_free(git_odb_backend* be) {
  auto* b = reinterpret_cast<SafeLooseBackend*>(be);
  delete b->state;
  delete b;
}

git_odb_backend* new_safe_loose(const std::string& dir) {
  auto* b = new SafeLooseBackend{};
  git_odb_init_backend(&b->parent, GIT_ODB_BACKEND_VERSION);
  b->state = new LooseState{dir.empty() || dir.back() == '/' ? dir : dir + "/"};
  b->parent.read = be_read;
  b->parent.read_header = be_read_header;
  b->parent.read_prefix = be_read_prefix;
  b->parent.exists = be_exists;
  b->parent.exists_prefix = be_exists_prefix;
  b->parent.foreach = be_foreach;
  b->parent.free = be_free;
  return &b->parent;
}

// --- The delta-cycle guard ---------------------------------------------------------------
// libgit2 1.5's pack backend follows a REF_DELTA chain without a visited set: a crafted pack
// whose entries are each other's bases makes git_odb_read (and read_header) loop forever. The
// guard backend sits in front of every other backend and refuses exactly the ids whose chain
// loops (found once per objects directory by the pack reader, without inflating anything);
// every other id passes through to the real backends.

struct GuardBackend {
  git_odb_backend parent;
  std::shared_ptr<const OidSet> cyclic;
};

int guard_check(git_odb_backend* be, const git_oid* id) {
  const auto& g = *reinterpret_cast<GuardBackend*>(be);
  if (g.cyclic->count(*id) == 0) return GIT_PASSTHROUGH;
  return set_error(GIT_ERROR, "corrupt pack entry " + oid_hex(*id) + ": its delta chain is a cycle");
}

int guard_read(void**, size_t*, git_object_t*, git_odb_backend* be, const git_oid* id) {
  return guard_check(be, id);
}

int guard_read_header(size_t*, git_object_t*, git_odb_backend* be, const git_oid* id) {
  return guard_check(be, id);
}

void guard_free(git_odb_backend* be) { delete reinterpret_cast<GuardBackend*>(be); }

/// The cyclic ids of the packs in `dirs`, computed once per set of directories per process
/// (every worker reopens the repository).
std::shared_ptr<const OidSet> cyclic_ids(const std::vector<std::string>& dirs) {
  static std::mutex mu;
  static std::map<std::vector<std::string>, std::shared_ptr<const OidSet>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[dirs];
  if (!slot) {
    auto set = std::make_shared<OidSet>();
    for (const auto& d : dirs)
      for (const auto& id : PackSet::open(d).delta_cycles()) set->insert(id);
    slot = std::move(set);
  }
  return slot;
}

Status add_guard(git_odb* odb, const std::vector<std::string>& dirs) {
  auto cyclic = cyclic_ids(dirs);
  if (cyclic->empty()) return Status::ok();  // nothing to refuse: no extra backend
  auto* g = new GuardBackend{};
  git_odb_init_backend(&g->parent, GIT_ODB_BACKEND_VERSION);
  g->cyclic = std::move(cyclic);
  g->parent.read = guard_read;
  g->parent.read_header = guard_read_header;
  g->parent.free = guard_free;
  // Highest priority: asked before the pack and loose backends.
  if (int rc = git_odb_add_backend(odb, &g->parent, 1000); rc != 0) {
    guard_free(&g->parent);
    return git_error("cannot add the delta-cycle guard", rc);
  }
  return Status::ok();
}

Status add_dir(git_odb* odb, const std::string& dir, bool alternate) {
  git_odb_backend* pack = nullptr;
  if (int rc = git_odb_backend_pack(&pack, dir.c_str()); rc != 0)
    return git_error("cannot open packs in " + dir, rc);
  // libgit2's own priorities: packs (2) before loose objects (1).
  int rc = alternate ? git_odb_add_alternate(odb, pack, 2) : git_odb_add_backend(odb, pack, 2);
  if (rc != 0) {
    pack->free(pack);
    return git_error("cannot add pack backend", rc);
  }
  git_odb_backend* loose = new_safe_loose(dir);
  rc = alternate ? git_odb_add_alternate(odb, loose, 1) : git_odb_add_backend(odb, loose, 1);
  if (rc != 0) {
    loose->free(loose);
    return git_error("cannot add loose backend", rc);
  }
  return Status::ok();
}

}  // namespace

std::string inflate_loose(std::string_view file, bool header_only, git_object_t* type, std::size_t* size,
                          std::string* body, std::size_t max_size) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return "zlib initialisation failed";
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&zs};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(file.data()));
  zs.avail_in = static_cast<uInt>(std::min<std::size_t>(file.size(), 0xffffffffu));
  // The header "<type> <decimal size>\0" is at most ~32 bytes.
  char head[64];
  zs.next_out = reinterpret_cast<Bytef*>(head);
  zs.avail_out = sizeof head;
  int zr = Z_OK;
  const char* nul = nullptr;
  while (nul == nullptr) {
    zr = inflate(&zs, Z_SYNC_FLUSH);
    const std::size_t have = sizeof head - zs.avail_out;
    nul = static_cast<const char*>(std::memchr(head, '\0', have));
    if (nul != nullptr) break;
    if (zr != Z_OK || zs.avail_out == 0) return "invalid or truncated object header";
  }
  const std::size_t produced = sizeof head - zs.avail_out;
  const std::string_view h(head, static_cast<std::size_t>(nul - head));
  const auto sp = h.find(' ');
  if (sp == std::string_view::npos || sp + 1 >= h.size()) return "invalid object header";
  const std::string_view tname = h.substr(0, sp);
  if (tname == "blob")
    *type = GIT_OBJECT_BLOB;
  else if (tname == "tree")
    *type = GIT_OBJECT_TREE;
  else if (tname == "commit")
    *type = GIT_OBJECT_COMMIT;
  else if (tname == "tag")
    *type = GIT_OBJECT_TAG;
  else
    return "unknown object type";
  std::uint64_t n = 0;
  for (char c : h.substr(sp + 1)) {
    if (c < '0' || c > '9' || n > (1ull << 40)) return "invalid object size";
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *size = static_cast<std::size_t>(n);
  if (header_only) return "";
  if (n > max_size) return "object of " + std::to_string(n) + " bytes exceeds the size limit";
  body->assign(static_cast<std::size_t>(n), '\0');
  const std::size_t already = produced - static_cast<std::size_t>(nul + 1 - head);
  if (already > n) return "object longer than its header says";
  std::memcpy(body->data(), nul + 1, already);
  if (zr == Z_STREAM_END) {
    if (already != n) return "truncated object";
    return "";
  }
  zs.next_out = reinterpret_cast<Bytef*>(body->data() + already);
  zs.avail_out = static_cast<uInt>(n - already);
  // One bounded call: with all input present and exactly the declared output room, zlib either
  // finishes (Z_STREAM_END), or reports corruption / truncation / excess data. No loop can spin.
  zr = inflate(&zs, Z_FINISH);
  if (zr == Z_STREAM_END) {
    if (zs.avail_out != 0) return "truncated object (shorter than its header says)";
    return "";
  }
  if (zr == Z_DATA_ERROR) return std::string("zlib data error: ") + (zs.msg ? zs.msg : "corrupt stream");
  if (zr == Z_BUF_ERROR && zs.avail_out == 0) return "object longer than its header says";
  return "truncated or corrupt zlib stream";
}

Status install_safe_odb(git_repository* repo, const std::string& objects_dir) {
  git_odb* raw = nullptr;
  if (int rc = git_odb_new(&raw); rc != 0) return git_error("cannot create object database", rc);
  OdbPtr odb(raw);
  if (auto s = add_dir(odb.get(), objects_dir, false); !s) return s;
  std::vector<std::string> dirs{objects_dir};
  std::ifstream in(objects_dir + "/info/alternates");
  std::string line;
  int n = 0;
  while (in && std::getline(in, line) && n < 16) {
    if (line.empty() || line[0] == '#') continue;
    const std::string dir = line[0] == '/' ? line : objects_dir + "/" + line;
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (auto s = add_dir(odb.get(), dir, true); !s) return s;
    dirs.push_back(dir);
    ++n;
  }
  if (auto s = add_guard(odb.get(), dirs); !s) return s;
  if (int rc = git_repository_set_odb(repo, odb.get()); rc != 0)
    return git_error("cannot install object database", rc);
  return Status::ok();  // the repository holds its own reference now
}

}  // namespace glpatrol::git
