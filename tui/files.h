/*
 * files.h - files on this machine as the composer attaches them: a path
 * as typed (~/ for the home folder), its completion from the folder it
 * names, and the content type its name suggests.  No curses, no
 * network: unit-tested alone.
 */
#ifndef FILES_H
#define FILES_H

#include <stddef.h>

#include "dk_buf.h"

/* typed with a leading "~/" made $HOME's, into out; false if it does not
 * fit. */
bool files_expand(char *out, size_t size, const char *typed);

/*
 * Complete the last part of typed (a path, "~/" allowed) from the names
 * in its folder: out gets typed extended to the longest prefix the
 * matches share, with a '/' after a folder when it is the only match.
 * Names starting with '.' match only a part starting with '.'.  When
 * there are several matches and names is not NULL, names gets them
 * sorted, each followed by '\n' (folders with a '/').  Returns the number
 * of matches (out is typed when 0, or when it would not fit).
 */
int files_complete(char *out, size_t size, const char *typed,
                   struct dk_buf *names);

/* The content type of a file by its name's extension ("text/plain"),
 * application/octet-stream when it says nothing. */
const char *files_content_type(const char *name);

/* The part of path after its last '/'. */
const char *files_base(const char *path);

#endif
