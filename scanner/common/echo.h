#pragma once
// Values the operator gave (options, URLs, paths) that glpatrol echoes back in messages and
// reports. An operator who pastes a token into the wrong option (--gitlab-url glpat-...) must not
// see it printed, logged by CI, written into a report or sent to a DNS resolver: every echo of
// an option goes through redact_token_shaped(), and options that name a network endpoint are
// refused when contains_token_shaped() (before anything resolves them).
#include <string>
#include <string_view>

namespace glpatrol {

/// True when `text` holds a token-shaped word: a run of [A-Za-z0-9_-] that starts with a GitLab
/// kind prefix ("gl" + letters + "-", "GR1348941") followed by at least 16 characters, or any
/// run of at least 20 such characters that mixes upper case, lower case and digits (a custom
/// instance prefix, a high-entropy secret). A heuristic for echoes, not a scanner rule: it may
/// redact a long CamelCase name, it never lets a GitLab token through.
bool contains_token_shaped(std::string_view text);

/// `text` with every token-shaped word replaced by its kind prefix (if any) and "****".
std::string redact_token_shaped(std::string_view text);

/// A message for the operator's terminal (stderr) that may carry option values or bytes from a
/// scanned repository (ref names, paths, index extension signatures, libgit2's error texts):
/// token-shaped words redacted, then control, bidi and invalid bytes escaped
/// (escape_for_terminal), so repository bytes can neither move the cursor nor forge lines.
/// Every "glpatrol: ..." line built from such text goes through it.
std::string terminal_message(std::string_view text);

}  // namespace glpatrol
