#pragma once
// Quantities as people read them, shared by the human view, the progress line and the html page.
#include <string>

namespace glpatrol {

/// Binary units with one decimal ("512 B", "1.5 KiB", "2.2 GiB"); whole bytes below 1 KiB.
/// A double so rates (bytes per second) print the same way.
std::string human_bytes(double bytes);

}  // namespace glpatrol
