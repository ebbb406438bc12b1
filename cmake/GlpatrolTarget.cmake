# Warnings and sanitizers are applied per target (never through global CMAKE_CXX_FLAGS).
function(glpatrol_target target)
  # (-Wnull-dereference is left out: GCC 12 reports false positives inside nlohmann/json at -O2.)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(GLPATROL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(GLPATROL_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
      -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# Embed a file's bytes as `extern const unsigned char NAME[]; extern const size_t NAME_size;`.
# Generated at build time so that editing the data file rebuilds the binary.
function(glpatrol_embed out_var symbol input)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${symbol}.cc)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${out} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/Embed.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/Embed.cmake
    COMMENT "Embedding ${input}")
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()

# Include roots per library, so the link graph decides which headers a target can see:
# glpatrol_headers(<target> <prefix> <dir>) makes <dir> includable as "<prefix>/..." for the
# target and for whatever links it PUBLIC, and for nothing else. (All headers live under
# scanner/ and reporters/; a shared include root would let any target include any header.)
# Each library gets its own root in the build tree holding one symlink <prefix> -> <dir>.
function(glpatrol_headers target prefix dir)
  set(root ${PROJECT_BINARY_DIR}/include/${target})
  file(MAKE_DIRECTORY ${root})
  if(NOT EXISTS ${root}/${prefix})
    file(CREATE_LINK ${dir} ${root}/${prefix} SYMBOLIC)
  endif()
  target_include_directories(${target} PUBLIC ${root})
endfunction()
