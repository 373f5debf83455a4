#!/bin/sh
# valgrind.sh PROGRAM ARGS... - run a Docket binary under memcheck as the
# test suite does with DOCKET_VALGRIND=1: any invalid access, use of
# uninitialised memory, or definite or indirect leak makes it exit 99, so
# the test that ran it fails.  Suppressions only for the libraries' own,
# each explained in valgrind.supp.
exec valgrind --quiet --leak-check=full \
    --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 \
    --suppressions="$(dirname "$0")/valgrind.supp" "$@"
