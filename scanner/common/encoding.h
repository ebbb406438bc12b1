#pragma once
// Small, dependency-free encoders and checksums used across the pipeline.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace glpatrol {

/// zlib CRC-32 (ISO-HDLC: reflected, poly 0xEDB88320, init/xorout 0xFFFFFFFF).
std::uint32_t crc32(std::string_view bytes);

/// Lowercase base36 of `v`, left-padded with '0' to at least `width` characters.
std::string to_base36(std::uint64_t v, std::size_t width = 0);

/// Parses lowercase base36 digits; nullopt on any other character or overflow.
std::optional<std::uint64_t> from_base36(std::string_view s);

/// base64url without padding (RFC 4648 §5).
std::string base64url_encode(std::string_view bytes);
/// Decodes base64url, padding optional. nullopt on invalid characters or a length of 4k+1.
std::optional<std::string> base64url_decode(std::string_view text);
/// Standard base64 with padding (used for raw bytes in JSON reports).
std::string base64_encode(std::string_view bytes);

/// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - . _ ~) and the bytes in
/// `also_keep` stay, every other byte becomes %XX (uppercase hex).
std::string percent_encode(std::string_view bytes, std::string_view also_keep = {});

/// A full lowercase hex object id (40 for SHA-1, 64 for SHA-256): the only form of an id
/// glpatrol accepts from hook input or CI variables (never revision syntax).
bool is_hex_object_id(std::string_view s);

/// Lowercase hex of bytes.
std::string hex_encode(std::string_view bytes);

/// Hex SHA-256 of `bytes` (OpenSSL).
std::string sha256_hex(std::string_view bytes);

/// True when `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

/// Replaces invalid UTF-8 sequences with U+FFFD; keeps valid text unchanged.
std::string to_valid_utf8(std::string_view s);

/// Escapes C0/C1 controls, DEL, and bidi/format code points (U+202A..U+202E, U+2066..U+2069,
/// U+200E/F) as \xNN / \u{NNNN}, and invalid UTF-8 bytes as \xNN, so that text from scanned
/// data cannot move the cursor, clear the screen or reorder a terminal line.
std::string escape_for_terminal(std::string_view s);

/// Shannon entropy in bits per byte.
double shannon_entropy(std::string_view s);

}  // namespace glpatrol
