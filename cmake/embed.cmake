# embed.cmake - turn a text file into a C string: cmake -DIN=f -DOUT=f.c
# -DNAME=sym -P embed.cmake.  Used for schema.sql, so that an installed
# docketctl carries the schema it migrates to.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" len)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
math(EXPR n "${len} / 2")
file(WRITE "${OUT}"
  "/* Generated from ${IN} by cmake/embed.cmake; do not edit. */\n"
  "#include <stddef.h>\n"
  "const char ${NAME}[] = {${body}0x00};\n"
  "const size_t ${NAME}_len = ${n};\n")
