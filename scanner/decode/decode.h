#pragma once
// glpatrol_decode: finding tokens behind encodings and inside containers.
//
// Tokens leak encoded: a Kubernetes Secret's `data:` values are base64; a .dockerconfigjson's
// `auth` is base64("user:token") and, inside a Secret, the whole JSON is base64 again; .env
// files get base64-encoded into CI variables; JSON writers escape characters as \u002d or
// \/; URLs percent-encode; Windows tools write UTF-16; build outputs are zips (jars in jars),
// backups are .tar.gz, logs are .log.gz.
//
// TEXT ENCODINGS: HINT LITERALS, NOT BLIND DECODING
// The expensive part is finding encoded runs in gigabytes of ordinary text: decoding every
// base64-looking run (as gitleaks and TruffleHog do) costs a pass over all of them and then a
// second matcher pass over the output. Here the matcher also searches for hint literals
// (hints.h; their own Hyperscan database, run only inside the runs of base64/escape bytes long
// enough to hold a hit: matcher/hint_gate.h): the encoded forms of every token prefix --
// base64 of the prefix at the three byte alignments in both alphabets (only the characters the
// prefix determines), base64 of base64 (depth 2), UTF-16LE/BE, percent-encoded and \u-escaped
// forms. A run is decoded only where a hint hit lies inside it. Base64 literals are at least 6
// characters (36 bits): no chance hit in 0.78 GB of /usr/share nor in 0.27 GB of random
// base64, so the decoding work on ordinary content is nil. The cost is the search itself: in
// the rules' Hyperscan database the literals halved its speed (they took it off the
// small-literal fast path), which is why they have their own database behind a run gate
// (bench/decode_bench.md 3b, 3c). HintOptions selects the families.
//
// What is decoded (text.h): a window around each hit, not the whole run -- context_before
// decoded bytes before the hint and up to max_view after it -- so a chance hit inside a
// 50 MB embedded image costs one window. A base64 hint carries its phase in the 4-character
// quantum, which pins the decoding grid: the run may start anywhere, be glued to other
// text, be line-wrapped (PEM 64, MIME 76, YAML block scalars, JSON "\n" escapes; lines are
// joined only when the line across the break is pure base64, so a following "key: value"
// line cannot extend the token) and padded or not. A hit must be followed by enough encoded
// bytes for the shortest token body (Hint::min_tail), which rejects most chance hits without
// decoding. Each View maps decoded offsets back to the parent (View::to_parent), so a
// finding is reported at its encoded location and overlapping views de-duplicate.
// decode_hits skips hits an earlier view already covers.
//
// A prefix split by a line wrap (PEM/MIME) is not a literal any more: hint_pattern() gives
// the regex form that allows a break between any two characters, at a further cost.
//
// Recursion is the caller's: the scan step scans a View's bytes like any content -- with the
// same hint literals -- so base64 of base64 is two steps (a depth-2 hint decodes one level;
// its output holds a depth-1 hint). The caller limits depth.
//
// WHOLE-CONTENT UTF-16 (utf16.h): a BOM, or NUL in ~every other byte of the first 4 KiB,
// makes the whole content scanned narrowed to one byte per code unit; to_parent(i) = 2i+BOM.
//
// CONTAINERS (archive.h): libarchive, detected by magic bytes (never by file name), read in
// memory or streamed (bounded memory; nested containers stream through member readers),
// never written to disk. Only in-process decompressors are enabled (libarchive would
// otherwise run external programs such as lrzip) and an explicit format list (not mtree,
// which reads files named in the archive from the local disk). Plain compressed streams
// (.log.gz) are one member named after the outer name minus its suffix.
//
// LIMITS: one DecodeBudget per top-level blob, shared by every view and archive member at
// every depth: decoded bytes (--max-decoded-size, 256 MiB) and archive members (100,000).
// Per container (ArchiveLimits): bytes per member (256 MiB) and the decompression ratio
// (1000x after the first MiB: zip/xz/zstd bombs). Whatever loses coverage is reported as a
// Fault with a stable reason word (types.h), never a crash, hang or silent gap.
//
// GIT LFS (lfs.h): pointer files are recognised so the caller can scan the object from the
// local LFS store instead of the pointer.
//
// This library links only glpatrol_common (zlib comes with it) and libarchive; it sees no
// Hyperscan, libgit2, matcher, findings or sources header. All functions are reentrant.
#include "decode/archive.h"
#include "decode/hints.h"
#include "decode/lfs.h"
#include "decode/text.h"
#include "decode/types.h"
#include "decode/utf16.h"
