#pragma once
// The one shape of a byte stream the pipeline reads (stdin, large files, archive members).
#include <cstddef>
#include <functional>

namespace glpatrol {

/// Reads up to `cap` bytes into `buf`; returns the bytes read (0 = end of stream) or -1 with
/// errno set. EINTR is retried by the caller.
using ReadFn = std::function<long(char* buf, std::size_t cap)>;

}  // namespace glpatrol
