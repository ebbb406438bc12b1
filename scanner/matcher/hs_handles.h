#pragma once
// RAII owners for Hyperscan and PCRE2 handles. Each C handle has exactly one owner type.
#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>

namespace glpatrol {

struct HsDatabaseDeleter {
  void operator()(hs_database_t* p) const { hs_free_database(p); }
};
struct HsScratchDeleter {
  void operator()(hs_scratch_t* p) const { hs_free_scratch(p); }
};
struct HsCompileErrorDeleter {
  void operator()(hs_compile_error_t* p) const { hs_free_compile_error(p); }
};
struct Pcre2CodeDeleter {
  void operator()(pcre2_code* p) const { pcre2_code_free(p); }
};
struct Pcre2MatchDataDeleter {
  void operator()(pcre2_match_data* p) const { pcre2_match_data_free(p); }
};

using HsDatabase = std::unique_ptr<hs_database_t, HsDatabaseDeleter>;
using HsScratch = std::unique_ptr<hs_scratch_t, HsScratchDeleter>;
using HsCompileError = std::unique_ptr<hs_compile_error_t, HsCompileErrorDeleter>;
using Pcre2Code = std::unique_ptr<pcre2_code, Pcre2CodeDeleter>;
using Pcre2MatchData = std::unique_ptr<pcre2_match_data, Pcre2MatchDataDeleter>;

}  // namespace glpatrol
