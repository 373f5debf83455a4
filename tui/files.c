/*
 * files.c - paths as a person types them at the composer's attach
 * prompt (files.h): expanded, completed from the folder's listing the
 * way a shell does it, and given a content type for uploads.begin.
 */
#include "files.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

bool files_expand(char *out, size_t size, const char *typed)
{
    const char *home = getenv("HOME");
    int n;

    if ((typed[0] == '~' && typed[1] == '/') && home && *home)
        n = snprintf(out, size, "%s%s", home, typed + 1);
    else
        n = snprintf(out, size, "%s", typed);
    return n >= 0 && (size_t)n < size;
}

const char *files_base(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Whether dir/name is a folder (following a link, as open() will). */
static bool is_folder(const char *dir, const char *name)
{
    char path[4096];
    struct stat sb;

    snprintf(path, sizeof(path), "%s%s", dir, name);
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int files_complete(char *out, size_t size, const char *typed,
                   struct dk_buf *names)
{
    const char *part = files_base(typed);
    size_t head = (size_t)(part - typed), plen = strlen(part), common = 0;
    char dir[4096], folder[4096];
    char **found = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    DIR *d;

    snprintf(out, size, "%s", typed);
    /* The folder as typed ("" is here), then as the system finds it. */
    snprintf(folder, sizeof(folder), "%.*s", (int)head, typed);
    if (!files_expand(dir, sizeof(dir), folder[0] ? folder : "./"))
        return 0;
    if (!(d = opendir(dir)))
        return 0;
    while ((e = readdir(d))) {
        char **grown;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (strncmp(e->d_name, part, plen) != 0 ||
            (e->d_name[0] == '.' && part[0] != '.'))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            grown = realloc(found, cap * sizeof(*found));
            if (!grown)
                break; /* complete from what was read */
            found = grown;
        }
        if (!(found[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n > 0) {
        qsort(found, n, sizeof(*found), by_name);
        /* The longest prefix they all share. */
        common = strlen(found[0]);
        for (size_t i = 1; i < n; i++) {
            size_t k = 0;
            while (k < common && found[i][k] == found[0][k])
                k++;
            common = k;
        }
        if (head + common + 2 <= size) {
            memcpy(out + head, found[0], common);
            out[head + common] = '\0';
            if (n == 1 && is_folder(dir, found[0]))
                strcat(out, "/");
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (names && n > 1)
            dk_buf_printf(names, "%s%s\n", found[i],
                          is_folder(dir, found[i]) ? "/" : "");
        free(found[i]);
    }
    free(found);
    return (int)n;
}

/* The types a helpdesk's files mostly have; the rest are octets, which
 * the portal offers as a download. */
static const struct {
    const char *ext, *type;
} types[] = {
    {"txt", "text/plain"},
    {"csv", "text/csv"},
    {"md", "text/markdown"},
    {"log", "text/plain"},
    {"html", "text/html"},
    {"htm", "text/html"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"svg", "image/svg+xml"},
    {"zip", "application/zip"},
    {"json", "application/json"},
    {"xml", "application/xml"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument."
             "wordprocessingml.document"},
    {"xlsx", "application/vnd.openxmlformats-officedocument."
             "spreadsheetml.sheet"},
    {"pptx", "application/vnd.openxmlformats-officedocument."
             "presentationml.presentation"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"mp4", "video/mp4"},
    {"mp3", "audio/mpeg"},
};

const char *files_content_type(const char *name)
{
    const char *dot = strrchr(files_base(name), '.');

    if (dot && dot[1])
        for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++)
            if (strcasecmp(types[i].ext, dot + 1) == 0)
                return types[i].type;
    return "application/octet-stream";
}
