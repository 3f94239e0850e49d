# The layering of docs/ARCHITECTURE.md, enforced by include directories.
#
# src/ is on no target's include path. Instead, at configure time every area
# gets two directories in the build tree, both keeping the `#include
# "area/file.hpp"` spelling:
#   include/full/<area>/<area>   -> src/<area> (a symlink: everything, detail/ too)
#   include/public/<area>/<area>/ a tree of symlinks to the headers outside any
#                                 detail/ folder (what dependants may include)
# The area's own sources (and its unit tests) see the full directory; every
# target linking gb_<area> sees only the public one, and only when it links
# gb_<area> (directly or through a PUBLIC dependency). So a header of an area
# the table does not allow, or anyone's detail/ header, is "No such file".
set(GB_INCLUDE_ROOT ${PROJECT_BINARY_DIR}/include)

# gb_area_includes(<area> [EXPORTED_DETAIL <header relative to src/<area>>...])
# EXPORTED_DETAIL lists detail headers a public header includes; each one is
# an exception recorded in an ADR (docs/adr/0008-*).
function(gb_area_includes area)
  cmake_parse_arguments(A "" "" "EXPORTED_DETAIL" ${ARGN})
  set(src ${PROJECT_SOURCE_DIR}/src/${area})
  set(full ${GB_INCLUDE_ROOT}/full/${area})
  set(public ${GB_INCLUDE_ROOT}/public/${area})
  file(MAKE_DIRECTORY ${full})
  file(CREATE_LINK ${src} ${full}/${area} SYMBOLIC)
  # Rebuilt from scratch so that a header moved into detail/ disappears.
  file(REMOVE_RECURSE ${public})
  file(MAKE_DIRECTORY ${public}/${area})
  # CONFIGURE_DEPENDS: a header added or removed re-runs this at build time.
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS RELATIVE ${src} ${src}/*.hpp)
  foreach(header IN LISTS headers)
    if(header MATCHES "(^|/)detail/" AND NOT header IN_LIST A_EXPORTED_DETAIL)
      continue()
    endif()
    get_filename_component(dir ${public}/${area}/${header} DIRECTORY)
    file(MAKE_DIRECTORY ${dir})
    file(CREATE_LINK ${src}/${header} ${public}/${area}/${header} SYMBOLIC)
  endforeach()
  set_property(GLOBAL PROPERTY GB_FULL_INCLUDE_${area} ${full})
  if(TARGET gb_${area})
    get_target_property(type gb_${area} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
      target_include_directories(gb_${area} INTERFACE ${public})
    else()
      target_include_directories(gb_${area} PRIVATE ${full} INTERFACE ${public})
    endif()
  endif()
endfunction()

# gb_sees_internals(<target> <area>): a unit test or benchmark of <area> may
# include that area's detail/ headers.
function(gb_sees_internals target area)
  get_property(full GLOBAL PROPERTY GB_FULL_INCLUDE_${area})
  if(NOT full)
    message(FATAL_ERROR "gb_sees_internals: unknown area '${area}'")
  endif()
  target_include_directories(${target} PRIVATE ${full})
endfunction()
