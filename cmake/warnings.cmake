# Every project target gets these through vtpmd_target(); third-party headers are
# included as SYSTEM so their warnings do not fail our build.
set(VTPMD_WARNINGS -Wall -Wextra -Wpedantic -Werror -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wnull-dereference -Wimplicit-fallthrough)

function(vtpmd_target target)
  target_compile_options(${target} PRIVATE ${VTPMD_WARNINGS})
endfunction()
