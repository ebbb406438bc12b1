#pragma once
// Whole-content UTF-16. Windows tools and PowerShell write UTF-16 text, which holds a token as
// every other byte: invisible to a byte-oriented matcher. Such content is also scanned
// narrowed to one byte per code unit. (UTF-16 fragments inside other content, e.g. strings
// of a .NET assembly, are found through hint literals instead: text.h.)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "decode/types.h"

namespace glpatrol::decode {

enum class Utf16Kind { None, LittleEndian, BigEndian };

/// UTF-16 when `bytes` starts with a BOM (FF FE little-endian, FE FF big-endian), or when its
/// first 4 KiB (at least 64 bytes) have NUL in >= 70% of the odd (LE) or even (BE) positions
/// and in <= 5% of the others. A content without any NUL in that window is never UTF-16 (one
/// memchr settles nearly every text file).
Utf16Kind detect_utf16(std::string_view bytes);

/// One byte per code unit, the BOM dropped: ASCII units keep their byte, every other unit
/// (and surrogate halves) becomes \x01, so positions stay one per code unit and line/column
/// arithmetic on the narrowed text is right. An odd trailing byte is dropped. Empty for None.
std::string narrow_utf16(std::string_view bytes, Utf16Kind kind);

/// Length of the BOM narrow_utf16 drops (2 or 0).
std::uint64_t utf16_bom_size(std::string_view bytes);

/// detect_utf16 + narrow_utf16 as a View over the whole content: encoding Utf16le/Utf16be,
/// [0, size), and to_parent(i) == 2*i + BOM size. nullopt when the content is not UTF-16.
std::optional<View> utf16_view(std::string_view content);

}  // namespace glpatrol::decode
