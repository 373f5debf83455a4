# schema.cmake - the schema as the programs carry it.  libpq cannot run
# psql's \ir, so this expands schema.sql's includes at build time:
#
#   cmake -DSRC=<source dir> -DOUT=<dir> [-DEXTRA=<file.sql>...] -P schema.cmake
#
# writes, in OUT:
#   schema.sql           schema.sql with every \ir replaced by its file: what
#                        `cmake --install` and the .deb ship, for psql -f
#   schema_sql.c         for docketctl: the full schema, the functions alone
#                        (the schema/functions/ files, in schema.sql's order,
#                        which every migrate re-creates), each numbered
#                        migration of schema/migrations/, and the version
#   dk_schema_version.h  DK_SCHEMA_VERSION, for docketd's start-up check
#
# The version is written once, in schema/version.sql; the migrations must be
# 0002_*.sql, 0003_*.sql, ... without a gap, the newest one being that
# version.  EXTRA (the upgrade test's docketctl only) adds migrations after
# the real ones, numbered on from them, and to the full schema as well.
cmake_minimum_required(VERSION 3.25)

# Expand the \i and \ir lines of file (relative to its own folder, as \ir
# is; \i names a path relative to SRC) into out.  Files under
# schema/functions/ are appended to the list functions_files as well.
function(schema_expand file out)
  file(READ "${file}" text)
  get_filename_component(dir "${file}" DIRECTORY)
  string(REGEX MATCHALL "(^|\n)\\\\ir?[ \t]+[^\n]+" lines "${text}")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^\n" "" line "${line}")
    string(REGEX REPLACE "^\\\\(ir?)[ \t]+([^ \t]+)[ \t]*$" "\\1;\\2" parts
           "${line}")
    list(GET parts 0 cmd)
    list(GET parts 1 path)
    if(cmd STREQUAL "ir")
      set(inc "${dir}/${path}")
    else()
      set(inc "${SRC}/${path}")
    endif()
    if(NOT EXISTS "${inc}")
      message(FATAL_ERROR "${file}: \"${line}\": no file ${inc}")
    endif()
    file(RELATIVE_PATH rel "${SRC}" "${inc}")
    schema_expand("${inc}" body)
    if(rel MATCHES "^schema/functions/")
      set(functions_text "${functions_text}${body}")
      set(functions_text "${functions_text}" PARENT_SCOPE)
    endif()
    if(rel STREQUAL "schema/version.sql" AND version_sql)
      set(body "${version_sql}")
    endif()
    string(REPLACE "${line}" "-- ---- ${rel}\n${body}" text "${text}")
  endforeach()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# C text of a byte array named name holding path's bytes and a final NUL.
function(schema_c_array path name out)
  file(READ "${path}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
  string(REPLACE "0x0a," "0x0a,\n    " body "${body}") # a C line per SQL line
  set(${out} "static const char ${name}[] = {\n    ${body}0x00};\n"
      PARENT_SCOPE)
endfunction()

# The version, from its one place.
file(READ "${SRC}/schema/version.sql" vtext)
if(NOT vtext MATCHES "INSERT INTO schema_version \\(version\\) VALUES \\(([0-9]+)\\);")
  message(FATAL_ERROR "schema/version.sql: no INSERT INTO schema_version")
endif()
set(version ${CMAKE_MATCH_1})

# The numbered migrations: migration N takes version N - 1 to N.
file(GLOB migrations RELATIVE "${SRC}/schema/migrations"
     "${SRC}/schema/migrations/*.sql")
list(SORT migrations)
set(last 1)
set(mfiles "")
foreach(m IN LISTS migrations)
  if(NOT m MATCHES "^([0-9][0-9][0-9][0-9])_[a-z0-9_]+\\.sql$")
    message(FATAL_ERROR "schema/migrations/${m}: not named NNNN_name.sql")
  endif()
  math(EXPR n "${CMAKE_MATCH_1}")
  math(EXPR want "${last} + 1")
  if(NOT n EQUAL want)
    message(FATAL_ERROR "schema/migrations/${m}: expected migration ${want} "
            "(each takes the version before it one step on)")
  endif()
  set(last ${n})
  list(APPEND mfiles "${SRC}/schema/migrations/${m}")
endforeach()
if(NOT last EQUAL version)
  message(FATAL_ERROR "schema/version.sql says version ${version}, the "
          "newest migration is ${last}: bump schema/version.sql with each "
          "migration")
endif()

set(version_sql "")
set(extra_text "")
foreach(e IN LISTS EXTRA)
  math(EXPR version "${version} + 1")
  list(APPEND mfiles "${e}")
  file(READ "${e}" etext)
  set(extra_text "${extra_text}-- ---- ${e}\n${etext}")
endforeach()
if(EXTRA)
  set(version_sql "${extra_text}INSERT INTO schema_version (version) VALUES (${version});\n")
endif()

set(functions_text "")
schema_expand("${SRC}/schema.sql" full)
file(MAKE_DIRECTORY "${OUT}")
file(WRITE "${OUT}/schema.sql.tmp"
  "-- Generated from schema.sql and schema/ by cmake/schema.cmake: schema\n"
  "-- version ${version}.  psql -v ON_ERROR_STOP=1 -1 -f schema.sql\n${full}")
file(WRITE "${OUT}/schema_functions.sql.tmp" "${functions_text}")

schema_c_array("${OUT}/schema.sql.tmp" full_sql c_full)
schema_c_array("${OUT}/schema_functions.sql.tmp" functions_sql c_functions)
set(c_migrations "")
set(c_table "")
set(v 1)
foreach(m IN LISTS mfiles)
  math(EXPR v "${v} + 1")
  get_filename_component(mname "${m}" NAME)
  schema_c_array("${m}" migration_${v} c)
  set(c_migrations "${c_migrations}${c}")
  set(c_table "${c_table}    {${v}, \"${mname}\", migration_${v}},\n")
endforeach()
list(LENGTH mfiles nmigrations)
if(nmigrations EQUAL 0)
  set(c_table "    {0, NULL, NULL},\n")
endif()

file(WRITE "${OUT}/schema_sql.c.tmp"
  "/* Generated from schema.sql and schema/ by cmake/schema.cmake; do not edit. */\n"
  "#include \"ctl.h\"\n\n"
  "${c_full}${c_functions}${c_migrations}\n"
  "const int dk_schema_version = ${version};\n"
  "const char *const dk_schema_sql = full_sql;\n"
  "const char *const dk_schema_functions_sql = functions_sql;\n"
  "const struct ctl_migration dk_schema_migrations[] = {\n${c_table}};\n"
  "const size_t dk_schema_nmigrations = ${nmigrations};\n")
file(WRITE "${OUT}/dk_schema_version.h.tmp"
  "/* Generated from schema/version.sql by cmake/schema.cmake; do not edit. */\n"
  "#ifndef DK_SCHEMA_VERSION_H\n#define DK_SCHEMA_VERSION_H\n"
  "/* The schema version docketd runs against and docketctl migrates to. */\n"
  "#define DK_SCHEMA_VERSION ${version}\n#endif\n")

foreach(f schema.sql schema_functions.sql schema_sql.c dk_schema_version.h)
  file(RENAME "${OUT}/${f}.tmp" "${OUT}/${f}")
endforeach()
