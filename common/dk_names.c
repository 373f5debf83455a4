/*
 * dk_names.c - the tables that dk_roles.h and dk_views.h define.
 */
#include "dk_roles.h"
#include "dk_views.h"

#include <stdio.h>
#include <string.h>

const char *const dk_role_names[DK_NROLES + 1] = {
#define NAME_(id, name) name,
    DK_ROLES(NAME_)
#undef NAME_
        NULL};

unsigned dk_role_parse(const char *name)
{
    for (int i = 0; i < DK_NROLES; i++)
        if (strcmp(dk_role_names[i], name) == 0)
            return 1u << i;
    return 0;
}

const char *dk_role_list(unsigned roles, const char *joiner, char *buf,
                         size_t size)
{
    size_t len = 0;

    if (size)
        buf[0] = '\0';
    for (int i = 0; i < DK_NROLES && len < size; i++)
        if (roles & (1u << i))
            len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                    len ? joiner : "", dk_role_names[i]);
    return buf;
}

const char *const dk_view_names[DK_NVIEWS + 1] = {
#define NAME_(id, name, title, filter) name,
    DK_VIEWS(NAME_)
#undef NAME_
        NULL};

const char *const dk_view_titles[DK_NVIEWS] = {
#define TITLE_(id, name, title, filter) title,
    DK_VIEWS(TITLE_)
#undef TITLE_
};

const char *const dk_view_filters[DK_NVIEWS] = {
#define FILTER_(id, name, title, filter) filter,
    DK_VIEWS(FILTER_)
#undef FILTER_
};

/* ", my_open, unassigned, ...", less its first ", ". */
static const char view_list[] =
#define LIST_(id, name, title, filter) ", " name
    DK_VIEWS(LIST_);
const char *const dk_view_list = &view_list[2];
#undef LIST_

int dk_view_parse(const char *name)
{
    for (int i = 0; i < DK_NVIEWS; i++)
        if (strcmp(dk_view_names[i], name) == 0)
            return i;
    return -1;
}
