# Writes OUTPUT with the commit glpatrol is built from (`git describe`-like: the short id, and
# "-dirty" when the work tree has changes), rewriting it only when it changed so that an
# unchanged commit does not relink anything. Outside a git checkout (a source tarball) the
# commit is "unknown". Run at every build (add_custom_target), never at configure time only,
# so an incremental build never reports a stale commit.
set(commit "unknown")
find_program(GIT git)
if(GIT AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT}" -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0 AND rev)
    set(commit "${rev}")
    execute_process(COMMAND "${GIT}" -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(dirty)
      set(commit "${commit}-dirty")
    endif()
  endif()
endif()
set(content "#pragma once\n// Generated at build time by cmake/GitCommit.cmake.\n#define GLPATROL_COMMIT \"${commit}\"\n")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE "${OUTPUT}" "${content}")
endif()
