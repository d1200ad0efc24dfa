find_package(PkgConfig REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(TSS2 REQUIRED IMPORTED_TARGET tss2-esys tss2-mu tss2-tctildr tss2-rc)
# The server's allocator, for vtpmd and for benchmarks that measure its code in
# process. A request's memory is allocated and freed on several threads (I/O,
# deep-quote batch, result writer); with tcmalloc's thread caches instead of glibc's
# arenas vtpmd used a quarter less CPU per attestation (docs/benchmarks.md).
# Sanitizer builds keep their own allocator.
add_library(vtpmd_allocator INTERFACE)
if(NOT VTPMD_SANITIZE AND NOT VTPMD_FUZZ)
  pkg_check_modules(TCMALLOC REQUIRED IMPORTED_TARGET libtcmalloc_minimal)
  target_link_libraries(vtpmd_allocator INTERFACE PkgConfig::TCMALLOC)
endif()

# Generates ${output} embedding ${files} as namespace::array[] of {file name, contents}.
function(vtpmd_embed_files output namespace array)
  set(files ${ARGN})
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} "-DFILES=${files}" -DNAMESPACE=${namespace}
            -DARRAY=${array} -P ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    VERBATIM)
endfunction()
